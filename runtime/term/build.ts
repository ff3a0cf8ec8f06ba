/**
 * Constructors the generated ETF decoder (generated/etf.ts) calls once a tag's
 * fields are read; named by `-beamwire: {build: ...}` in schemas/etf.ksy. Each
 * receives the reader and the tag's offset, then the fields in wire order, and
 * applies the checks OTP's `dec_term` applies.
 */
import { Atom, MAX_ATOM_CHARS } from './atom.js';
import { equals, termKey } from './compare.js';
import { format } from './format.js';
import type { TermReader } from './reader.js';
import { BitBinary, ExportFun, Float, Fun, ImproperList, LocalTerm, Pid, Port, Reference, Tuple, type Term } from './values.js';
import { codePointLength, latin1Decode, utf8Decode } from '../wire/utf8.js';
import { cachedAtom, storeAtom } from './atom-cache.js';

const TRUE = Atom.of('true');
const FALSE = Atom.of('false');

/**
 * Atoms `true`/`false` become JS booleans; they encode back to the same atoms.
 * The length is checked before interning, so a rejected atom never enters the table.
 */
function internAtom(r: TermReader, at: number, name: string): Atom | boolean {
  if (name.length > MAX_ATOM_CHARS && codePointLength(name) > MAX_ATOM_CHARS)
    r.fail('ATOM_TOO_LONG', `atom of ${codePointLength(name)} characters (max ${MAX_ATOM_CHARS})`, at);
  const a = Atom.of(name);
  return a === TRUE ? true : a === FALSE ? false : a;
}

/** UTF-8 atom: `start` is where its `len` bytes are (interned from the bytes, see atom-cache.ts). */
export function atom_utf8(r: TermReader, at: number, len: number, start: number): Atom | boolean {
  const hit = cachedAtom<Atom | boolean>(r.buf, start, len, false);
  if (hit !== undefined) return hit;
  const a = internAtom(r, at, utf8Decode(r.buf, start, start + len));
  storeAtom(r.buf, start, len, false, a);
  return a;
}

export function atom_latin1(r: TermReader, at: number, len: number, start: number): Atom | boolean {
  if (len > MAX_ATOM_CHARS) r.fail('ATOM_TOO_LONG', `latin-1 atom of ${len} bytes (max ${MAX_ATOM_CHARS})`, at);
  const hit = cachedAtom<Atom | boolean>(r.buf, start, len, true);
  if (hit !== undefined) return hit;
  const a = internAtom(r, at, latin1Decode(r.buf, start, start + len));
  storeAtom(r.buf, start, len, true, a);
  return a;
}

export function atom_cache_ref(r: TermReader, at: number, index: number): Atom | boolean {
  const a = r.atomCache?.[index];
  if (a === undefined) r.fail('ATOM_CACHE_REF', `atom cache ref ${index} outside a distribution header`, at);
  return a === TRUE ? true : a === FALSE ? false : a;
}

/** A node, module or function name: an atom (booleans are atoms too). */
function asAtom(r: TermReader, at: number, t: Term, what: string): Atom {
  if (t instanceof Atom) return t;
  if (typeof t === 'boolean') return t ? TRUE : FALSE;
  return r.fail('BAD_NODE', `${what} is not an atom`, at);
}

export function float(r: TermReader, at: number, v: number): number | Float {
  if (!Number.isFinite(v)) r.fail('BAD_FLOAT', `float ${v} (Erlang has no NaN or infinity)`, at);
  return Number.isInteger(v) || Object.is(v, -0) ? new Float(v) : v;
}

export function float_text(r: TermReader, at: number, text: Uint8Array): number | Float {
  let end = text.indexOf(0);
  if (end < 0) end = text.length;
  let s = '';
  for (let i = 0; i < end; i++) s += String.fromCharCode(text[i]!);
  // What OTP accepts (checked against erl): digits.digits[e±N]; no hex, radix prefixes, Infinity, spaces, "7" or ".5".
  const v = /^[+-]?\d+\.\d+([eE][+-]?\d+)?$/.test(s) ? Number(s) : NaN;
  return float(r, at, v);
}

export function bit_binary(r: TermReader, at: number, len: number, bits: number, data: Uint8Array): Uint8Array | BitBinary {
  if (bits > 8 || (bits === 0) !== (len === 0)) r.fail('BAD_BIT_COUNT', `${bits} bits in the last of ${len} bytes`, at);
  if (bits === 8 || len === 0) return binary(r, at, len, data);
  // Bits past the last significant one are not part of the value: clear them,
  // so equal bitstrings compare equal. That needs a copy; bitstrings are rare.
  const bytes = data.slice();
  bytes[len - 1]! &= (0xff << (8 - bits)) & 0xff;
  return new BitBinary(bytes, bits);
}

export function binary(r: TermReader, _at: number, _len: number, data: Uint8Array): Uint8Array {
  return r.copyBinaries ? data.slice() : data;
}

export function pid(r: TermReader, at: number, node: Term, id: number, serial: number, creation: number): Pid {
  return new Pid(asAtom(r, at, node, 'pid node'), id, serial, creation);
}

export function port(r: TermReader, at: number, node: Term, id: number | bigint, creation: number): Port {
  return new Port(asAtom(r, at, node, 'port node'), BigInt(id), creation);
}

export function reference(r: TermReader, at: number, len: number, node: Term, creation: number, ids: number[]): Reference {
  // OTP accepts 0 words (and echoes them); more than 5 it refuses (V4_NC's maximum).
  if (len > 5) r.fail('BAD_LENGTH', `reference of ${len} words (0..5)`, at);
  return new Reference(asAtom(r, at, node, 'reference node'), creation, ids);
}

export function reference_old(r: TermReader, at: number, node: Term, id: number, creation: number): Reference {
  return new Reference(asAtom(r, at, node, 'reference node'), creation, [id]);
}

export function tuple(_r: TermReader, _at: number, _arity: number, elements: Term[]): Tuple {
  return new Tuple(elements);
}

export function nil(_r: TermReader, _at: number): Term[] {
  return [];
}

export function charlist(_r: TermReader, _at: number, len: number, chars: Uint8Array): number[] {
  const out = new Array<number>(len);
  for (let i = 0; i < len; i++) out[i] = chars[i]!;
  return out;
}

/**
 * `[E1, ..., En | Tail]`. The generated decoder has already folded LIST_EXT
 * tails into `elements`; a proper tail here can only be NIL_EXT or
 * STRING_EXT, whose elements are spliced on, as Erlang sees one list.
 */
export function list(_r: TermReader, _at: number, len: number, elements: Term[], tail: Term): Term {
  if (Array.isArray(tail)) {
    for (let i = 0; i < tail.length; i++) elements.push(tail[i]!);
    return elements;
  }
  if (len === 0) return tail;
  return new ImproperList(elements, tail);
}

/** OTP's largest integer: BIG_ARITY_MAX, (1 << 19) - 1 words of 8 bytes (erts/emulator/beam/big.h). */
export const MAX_BIG_BYTES = ((1 << 19) - 1) * 8;

/** Little-endian magnitude digits and a sign; a number when it is safe, else a bigint. */
export function big(r: TermReader, at: number, n: number, sign: number, digits: Uint8Array): number | bigint {
  if (sign > 1) r.fail('BAD_SIGN', `bignum sign byte ${sign}`, at);
  if (n > MAX_BIG_BYTES) r.fail('BAD_LENGTH', `bignum of ${n} bytes exceeds OTP's maximum of ${MAX_BIG_BYTES}`, at);
  if (n <= 6) {
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + digits[i]!;
    return sign === 1 && v !== 0 ? -v : v;
  }
  let v: bigint;
  if (n <= 8) {
    // 64-bit ids and nanosecond timestamps: two words, no string.
    let lo = 0;
    let hi = 0;
    for (let i = Math.min(n, 4) - 1; i >= 0; i--) lo = lo * 256 + digits[i]!;
    for (let i = n - 1; i >= 4; i--) hi = hi * 256 + digits[i]!;
    if (hi < 0x200000) {
      const x = hi * 4294967296 + lo;
      return sign === 1 && x !== 0 ? -x : x;
    }
    v = (BigInt(hi) << 32n) | BigInt(lo);
  } else {
    // Native hex conversion: linear, where building the string by hand was not.
    v = BigInt('0x' + Buffer.from(digits).reverse().toString('hex'));
  }
  if (sign === 1) v = -v;
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

function asInteger(r: TermReader, at: number, t: Term, what: string): number | bigint {
  if ((typeof t === 'number' && Number.isInteger(t)) || typeof t === 'bigint') return t;
  return r.fail('BAD_VALUE', `${what} is not an integer`, at);
}

export function fun(
  r: TermReader,
  at: number,
  size: number,
  arity: number,
  uniq: Uint8Array,
  index: number,
  _numFree: number,
  module: Term,
  oldIndex: Term,
  oldUniq: Term,
  pid: Term,
  freeVars: Term[],
): Fun {
  if (size !== r.pos - (at + 1)) r.fail('BAD_SIZE_FIELD', `fun Size ${size}, but the fun is ${r.pos - (at + 1)} bytes`, at);
  if (!(pid instanceof Pid)) r.fail('BAD_VALUE', 'fun Pid is not a pid', at);
  return new Fun(
    arity,
    uniq.slice(), // 16 bytes: not worth keeping the whole input alive for

    index,
    asAtom(r, at, module, 'fun module'),
    asInteger(r, at, oldIndex, 'fun OldIndex'),
    asInteger(r, at, oldUniq, 'fun OldUniq'),
    pid,
    freeVars,
  );
}

export function export_fun(r: TermReader, at: number, module: Term, fn: Term, arity: Term): ExportFun {
  // OTP writes a small_integer_ext but accepts any integer here and echoes it; so do we.
  if (typeof arity !== 'number' || !Number.isInteger(arity) || arity < 0) r.fail('BAD_VALUE', 'export arity is not a non-negative integer', at);
  return new ExportFun(asAtom(r, at, module, 'export module'), asAtom(r, at, fn, 'export function'), arity);
}

/**
 * Keys and values alternate in `pairs`. Duplicate keys are an error, as in
 * OTP: atoms and numbers are caught by the Map itself, other keys (tuples,
 * binaries, Floats) by their structural key.
 */
export function map(r: TermReader, at: number, arity: number, pairs: Term[]): Map<Term, Term> {
  const m = new Map<Term, Term>();
  let objectKeys = 0;
  for (let i = 0; i < pairs.length; i += 2) {
    const k = pairs[i]!;
    if (typeof k === 'object' && !(k instanceof Atom)) objectKeys++;
    m.set(k, pairs[i + 1]!);
  }
  if (m.size !== arity) r.fail('DUPLICATE_MAP_KEY', 'duplicate map key', at);
  // Two keys that are objects may still be equal terms; one cannot collide.
  if (objectKeys > 1) checkObjectKeys(r, at, pairs, objectKeys);
  return m;
}

/** Few object keys (Elixir's binary keys, say) are compared pairwise; many go through a Set of structural keys. */
function checkObjectKeys(r: TermReader, at: number, pairs: Term[], count: number): void {
  const keys: Term[] = [];
  for (let i = 0; i < pairs.length; i += 2) {
    const k = pairs[i]!;
    if (typeof k === 'object' && !(k instanceof Atom)) keys.push(k);
  }
  if (count <= 8) {
    for (let i = 1; i < keys.length; i++)
      for (let j = 0; j < i; j++) if (equals(keys[i]!, keys[j]!)) r.fail('DUPLICATE_MAP_KEY', `duplicate map key ${format(keys[i]!).slice(0, 40)}`, at);
    return;
  }
  const seen = new Set<string>();
  for (const k of keys) {
    const key = termKey(k);
    if (seen.has(key)) r.fail('DUPLICATE_MAP_KEY', `duplicate map key ${format(k).slice(0, 40)}`, at);
    seen.add(key);
  }
}

export function local(r: TermReader, at: number, _data: Uint8Array): LocalTerm {
  if (at !== r.topPos) r.fail('LOCAL_EXT_NESTED', 'LOCAL_EXT inside another term', at);
  return new LocalTerm(r.buf.slice(at, r.end));
}
