/**
 * `encode` and `decode`: the envelope (version byte 131, compression, limits,
 * trailing bytes) around the generated per-tag codec in generated/etf.ts.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import * as G from '../../generated/etf.js';
import { Atom } from '../term/atom.js';
import { equals, termKey } from '../term/compare.js';
import { format } from '../term/format.js';
import { TermReader } from '../term/reader.js';
import { BitBinary, ExportFun, Float, Fun, ImproperList, LocalTerm, Pid, Port, Reference, Tuple, type Term } from '../term/values.js';
import { DecodeError, EncodeError } from '../wire/errors.js';
import { utf8Write } from '../wire/utf8.js';
import { Writer } from '../wire/writer.js';
import type { TermSink } from '../term/sink.js';

const VERSION = 131;

export interface DecodeOptions {
  /** Deepest nesting accepted. Default 1000. */
  maxDepth?: number;
  /** Largest input accepted, in bytes. Default 256 MiB. */
  maxSize?: number;
  /** Largest inflated size a compressed term (tag 80) may declare. Default 64 MiB. */
  maxInflatedSize?: number;
  /** Copy binaries out of the input. Default false: binaries are views into it (zero-copy). */
  copyBinaries?: boolean;
}

export interface EncodeOptions {
  /** zlib-compress (tag 80), as term_to_binary(T, [compressed]); a number is the level 0..9. */
  compressed?: boolean | number;
}

export const DEFAULT_LIMITS = Object.freeze({ maxDepth: 1000, maxSize: 256 * 1024 * 1024, maxInflatedSize: 64 * 1024 * 1024 });

let spareReader: TermReader | undefined = new TermReader(new Uint8Array(0));

/** Decodes one whole term, version byte first. Throws DecodeError, and nothing else, on bad input. */
export function decode(bytes: Uint8Array, options: DecodeOptions = {}): Term {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decode() takes a Uint8Array');
  const maxSize = options.maxSize ?? DEFAULT_LIMITS.maxSize;
  if (bytes.length > maxSize) throw new DecodeError('SIZE_LIMIT', 0, `input of ${bytes.length} bytes exceeds maxSize ${maxSize}`);
  if (bytes.length === 0) throw new DecodeError('TRUNCATED', 0, 'empty input');
  if (bytes[0] !== VERSION) throw new DecodeError('BAD_VERSION', 0, `version byte ${bytes[0]}, expected ${VERSION}`);
  if (bytes[1] === G.Tag.COMPRESSED) return decodeBody(inflate(bytes, options), 0, options);
  return decodeBody(bytes, 1, options);
}

function decodeBody(buf: Uint8Array, start: number, options: DecodeOptions): Term {
  return withReader(buf, start, options, undefined, (r) => {
    const t = G.decodeTerm(r, 0);
    if (r.pos !== r.end) r.fail('TRAILING_BYTES', `${r.end - r.pos} bytes after the term`);
    return t;
  });
}

/**
 * The terms that fill `buf` from `start`, back to back: a distribution
 * packet's control message and, for some, the message after it. `versioned`:
 * each term starts with its own 131 (the pass-through 'p' form); otherwise
 * none does, and ATOM_CACHE_REF indexes `atomCache` (the packet's header).
 */
export function decodePacketTerms(
  buf: Uint8Array,
  start: number,
  versioned: boolean,
  atomCache: readonly Atom[] | undefined,
  options: DecodeOptions = {},
): Term[] {
  return withReader(buf, start, options, atomCache, (r) => {
    const terms: Term[] = [];
    while (r.pos < r.end) {
      if (terms.length === 2) r.fail('TRAILING_BYTES', `${r.end - r.pos} bytes after the control message and its payload`);
      if (versioned) {
        const v = r.u8();
        if (v !== VERSION) r.fail('BAD_VERSION', `version byte ${v}, expected ${VERSION}`, r.pos - 1);
      }
      r.topPos = r.pos;
      terms.push(G.decodeTerm(r, 0));
    }
    if (terms.length === 0) r.fail('TRUNCATED', 'no control message');
    return terms;
  });
}

function withReader<T>(buf: Uint8Array, start: number, options: DecodeOptions, atomCache: readonly Atom[] | undefined, body: (r: TermReader) => T): T {
  // The decoder calls no user code, so one reader serves every call; a
  // re-entrant call (none today) would simply get a fresh one.
  const r = spareReader ?? new TermReader(buf);
  spareReader = undefined;
  r.reset(buf, start);
  r.topPos = start;
  r.maxDepth = options.maxDepth ?? DEFAULT_LIMITS.maxDepth;
  r.copyBinaries = options.copyBinaries ?? false;
  r.atomCache = atomCache;
  try {
    return body(r);
  } catch (e) {
    // A stack overflow's position depends on the stack left, not on the input:
    // report it at the term's start so the same bytes always give the same error.
    throw asDecodeError(e, e instanceof RangeError ? start : r.pos);
  } finally {
    r.reset(EMPTY);
    r.atomCache = undefined;
    spareReader = r;
  }
}

const EMPTY = new Uint8Array(0);

/** Only DecodeError leaves the decoder: a stack overflow is too deep a term. */
function asDecodeError(e: unknown, at: number): DecodeError {
  if (e instanceof DecodeError) return e;
  if (e instanceof RangeError) return new DecodeError('DEPTH_LIMIT', at, `term too deeply nested for the stack (${e.message})`);
  return new DecodeError('BAD_VALUE', at, `unexpected ${String(e)}`);
}

/** Tag 80: a u32 inflated size, then a zlib stream of the term with no version byte. */
function inflate(bytes: Uint8Array, options: DecodeOptions): Uint8Array {
  if (bytes.length < 6) throw new DecodeError('TRUNCATED', bytes.length, 'compressed term shorter than its header');
  const size = ((bytes[2]! << 24) | (bytes[3]! << 16) | (bytes[4]! << 8) | bytes[5]!) >>> 0;
  const limit = options.maxInflatedSize ?? DEFAULT_LIMITS.maxInflatedSize;
  if (size > limit) throw new DecodeError('INFLATE_LIMIT', 2, `declared inflated size ${size} exceeds maxInflatedSize ${limit}`);
  let out: Uint8Array;
  try {
    // maxOutputLength stops a stream that inflates past what it declared
    // before that memory is spent.
    out = inflateSync(bytes.subarray(6), { maxOutputLength: Math.max(size, 1) });
  } catch (e) {
    const tooBig = (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
    throw new DecodeError(tooBig ? 'INFLATE_LIMIT' : 'INFLATE_FAILED', 6, tooBig ? `inflates past its declared size ${size}` : `zlib: ${(e as Error).message}`);
  }
  if (out.length !== size) throw new DecodeError('INFLATE_FAILED', 6, `inflated to ${out.length} bytes, declared ${size}`);
  return out;
}

const bigScratch = new Uint8Array(8);
const bigScratchView = new DataView(bigScratch.buffer);
const TRUE = Atom.of('true');
const FALSE = Atom.of('false');

/**
 * Chooses the tag for each JavaScript value (the smallest form, as OTP
 * does) and writes it through the generated writers.
 */
class Encoder implements TermSink {
  readonly w = new Writer();
  /** Offset of the top-level term in the message (LOCAL_EXT is valid only there). */
  start = 0;
  /** A distribution packet's atom cache, while encodePacket is given one. */
  refs: AtomRefs | undefined;
  /** Set only while re-running a failed encode to name the bad value's path. */
  path: (string | number)[] | undefined;

  term(t: Term): void {
    switch (typeof t) {
      case 'number':
        return this.number(t);
      case 'string':
        return this.string(t);
      case 'boolean':
        return this.atom(t ? TRUE : FALSE);
      case 'bigint':
        return this.bigint(t);
      case 'object':
        if (t === null) break;
        if (t instanceof Atom) return this.atom(t);
        if (t instanceof Tuple) return this.tuple(t.elements);
        if (Array.isArray(t)) return this.list(t);
        if (t instanceof Uint8Array) return G.putBinaryExt(this, t);
        if (t instanceof Map) return this.map(t);
        return this.other(t);
    }
    this.fail('UNSUPPORTED_VALUE', `${t === null ? 'null' : typeof t} has no Erlang term (use an atom such as undefined or nil)`);
  }

  private number(v: number): void {
    if (Number.isInteger(v)) {
      if (v >= 0 && v <= 255) return G.putSmallIntegerExt(this, v);
      if (v >= -2147483648 && v <= 2147483647) return G.putIntegerExt(this, v);
      if (Number.isSafeInteger(v)) return this.safeBig(v);
      return this.big(BigInt(v));
    }
    if (!Number.isFinite(v)) this.fail('BAD_FLOAT', `${v} (Erlang has no NaN or infinity)`);
    G.putNewFloatExt(this, v);
  }

  private bigint(v: bigint): void {
    if (v >= -2147483648n && v <= 2147483647n) return this.number(Number(v));
    this.big(v);
  }

  /** SMALL_BIG_EXT for a safe integer beyond 32 bits (timestamps in ms), by arithmetic. */
  private safeBig(v: number): void {
    let m = v < 0 ? -v : v;
    let n = 0;
    while (m > 0) {
      bigScratch[n++] = m % 256;
      m = Math.floor(m / 256);
    }
    G.putSmallBigExt(this, v < 0 ? 1 : 0, bigScratch.subarray(0, n));
  }

  /** SMALL_BIG_EXT / LARGE_BIG_EXT: the magnitude as little-endian bytes. */
  private big(v: bigint): void {
    const sign = v < 0n ? 1 : 0;
    const mag = sign ? -v : v;
    if (mag <= 0xffffffffffffffffn) {
      // The common 33..64-bit case (snowflake ids) without string conversion.
      bigScratchView.setBigUint64(0, mag, true);
      let n = 8;
      while (n > 1 && bigScratch[n - 1] === 0) n--;
      return G.putSmallBigExt(this, sign, bigScratch.subarray(0, n));
    }
    const hex = mag.toString(16);
    const digits = Buffer.from(hex.length & 1 ? '0' + hex : hex, 'hex').reverse();
    if (digits.length <= 255) G.putSmallBigExt(this, sign, digits);
    else G.putLargeBigExt(this, sign, digits);
  }

  /** A JavaScript string is a UTF-8 binary (Elixir's string). */
  private string(s: string): void {
    if (!s.isWellFormed()) this.fail('BAD_VALUE', 'string with a lone surrogate has no UTF-8 form');
    const w = this.w;
    w.ensure(5 + s.length * 3);
    w.p8(G.Tag.BINARY_EXT);
    const at = w.pos;
    const end = utf8Write(w.buf, at + 4, s);
    w.p32(end - at - 4);
    w.pos = end;
  }

  atom(a: Atom): void {
    if (this.refs !== undefined) {
      const i = this.refs.ref(a);
      if (i >= 0) {
        this.w.ensure(2);
        this.w.p8(G.Tag.ATOM_CACHE_REF);
        return this.w.p8(i);
      }
    }
    const name = a.name;
    if (!name.isWellFormed()) this.fail('BAD_VALUE', 'atom with a lone surrogate has no UTF-8 form');
    // 85 UTF-16 units are at most 255 UTF-8 bytes: the common case needs no count.
    if (name.length <= 85) return G.putSmallAtomUtf8Ext(this, name);
    const bytes = Buffer.byteLength(name, 'utf8');
    if (bytes <= 255) return G.putSmallAtomUtf8Ext(this, name);
    if ([...name].length > 255) this.fail('BAD_VALUE', `atom of ${[...name].length} characters (max 255)`);
    G.putAtomUtf8Ext(this, name);
  }

  private tuple(elements: readonly Term[]): void {
    const n = elements.length;
    if (n <= 255) G.putSmallTupleExtHeader(this, n);
    else G.putLargeTupleExtHeader(this, n);
    this.elements(elements);
  }

  private elements(elements: readonly Term[]): void {
    const path = this.path;
    for (let i = 0; i < elements.length; i++) {
      path?.push(i);
      this.term(elements[i]!);
      path?.pop();
    }
  }

  /** As term_to_binary: a short list of bytes is STRING_EXT, any other LIST_EXT + NIL_EXT. */
  private list(t: readonly Term[]): void {
    const n = t.length;
    if (n === 0) return G.putNilExt(this);
    if (n <= 65535 && isByteList(t)) return G.putStringExt(this, Uint8Array.from(t as number[]));
    G.putListExtHeader(this, n);
    this.elements(t);
    G.putNilExt(this);
  }

  private map(m: Map<Term, Term>): void {
    checkDistinctKeys(this, m);
    G.putMapExtHeader(this, m.size);
    // forEach, not for-of: no [key, value] array per entry.
    if (this.path === undefined) m.forEach(this.pairWriter);
    else
      m.forEach((v, k) => {
        this.term(k);
        this.path!.push(`(${format(k)})`);
        this.term(v);
        this.path!.pop();
      });
  }

  private readonly pairWriter = (v: Term, k: Term): void => {
    this.term(k);
    this.term(v);
  };

  private other(t: object): void {
    if (t instanceof Float) {
      if (!Number.isFinite(t.value)) this.fail('BAD_FLOAT', `${t.value} (Erlang has no NaN or infinity)`);
      return G.putNewFloatExt(this, t.value);
    }
    if (t instanceof Pid) return G.putNewPidExt(this, t.node, t.id, t.serial, t.creation);
    if (t instanceof Reference) {
      if (t.ids.length > 5) this.fail('BAD_VALUE', `reference of ${t.ids.length} words (0..5)`);
      return G.putNewerReferenceExt(this, t.node, t.creation, t.ids);
    }
    if (t instanceof Port) {
      // OTP writes NEW_PORT_EXT while the id fits in 28 bits, V4_PORT_EXT beyond.
      if (t.id <= 0xfffffffn) return G.putNewPortExt(this, t.node, Number(t.id), t.creation);
      return G.putV4PortExt(this, t.node, t.id, t.creation);
    }
    if (t instanceof ImproperList) {
      G.putListExtHeader(this, t.elements.length);
      this.elements(t.elements);
      return this.term(t.tail);
    }
    if (t instanceof BitBinary) {
      if (t.bits < 1 || t.bits > 8 || t.bytes.length === 0) this.fail('BAD_VALUE', `bitstring with ${t.bits} bits in the last of ${t.bytes.length} bytes`);
      return G.putBitBinaryExt(this, t.bits, t.bytes);
    }
    if (t instanceof ExportFun) return G.putExportExt(this, t.module, t.name, t.arity);
    if (t instanceof Fun) return G.putNewFunExt(this, t.arity, t.uniq, t.index, t.module, t.oldIndex, t.oldUniq, t.pid, t.freeVars);
    if (t instanceof LocalTerm) {
      if (this.w.offset() !== this.start) this.fail('BAD_VALUE', 'a LocalTerm can only be a whole term, not part of one');
      return this.w.bytes(t.bytes);
    }
    const proto = Object.getPrototypeOf(t) as unknown;
    if (proto === Object.prototype || proto === null) return this.object(t as Record<string, Term>);
    this.fail('UNSUPPORTED_VALUE', `${(t as { constructor?: { name?: string } }).constructor?.name ?? 'object'} has no Erlang term`);
  }

  /** A plain object is a map with atom keys, as #{key => Value}. */
  private object(o: Record<string, Term>): void {
    const keys = Object.keys(o);
    G.putMapExtHeader(this, keys.length);
    const path = this.path;
    for (const k of keys) {
      this.atom(Atom.of(k));
      path?.push(k);
      this.term(o[k]!);
      path?.pop();
    }
  }

  fail(code: EncodeError['code'], detail: string): never {
    throw new EncodeError(code, this.path ? formatPath(this.path) : '', detail);
  }
}

/**
 * Two different JavaScript keys can be one Erlang term ({a} and {a}, 1 and
 * 1n, true and atom('true'), 'x' and <<"x">>); Erlang would refuse the map,
 * so refuse to write it. Atoms and numbers are distinct Map keys already, so
 * only the other keys are compared structurally (numbers too when a bigint
 * or an integral number beyond 2^53 could equal one of them).
 */
function checkDistinctKeys(e: Encoder, m: Map<Term, Term>): void {
  if (m.size < 2) return;
  let suspects: Term[] | undefined;
  let bigs = false;
  // Two different strings are two different binaries: strings are suspects only beside another key kind.
  let strings: string[] | undefined;
  for (const k of m.keys()) {
    if (typeof k === 'string') {
      (strings ??= []).push(k);
      continue;
    }
    if (typeof k === 'number') {
      if (!Number.isInteger(k) || Number.isSafeInteger(k)) continue;
      bigs = true;
    } else if (k instanceof Atom && k !== TRUE && k !== FALSE) continue;
    else if (typeof k === 'bigint') bigs = true;
    (suspects ??= []).push(k);
  }
  if (suspects === undefined) return;
  if (strings !== undefined) suspects.push(...strings);
  if (suspects.length === 1 && !bigs) return;
  // A bigint can equal a plain safe integer key: compare those too.
  const keys = bigs ? [...m.keys()].filter((k) => !(k instanceof Atom && k !== TRUE && k !== FALSE)) : suspects;
  if (keys.length <= 8) {
    for (let i = 1; i < keys.length; i++)
      for (let j = 0; j < i; j++) if (equals(keys[i]!, keys[j]!)) e.fail('BAD_VALUE', `map has two keys equal to ${format(keys[i]!).slice(0, 60)}`);
    return;
  }
  const seen = new Set<string>();
  for (const k of keys) {
    const key = termKey(k);
    if (seen.has(key)) e.fail('BAD_VALUE', `map has two keys equal to ${format(k).slice(0, 60)}`);
    seen.add(key);
  }
}

function isByteList(t: readonly Term[]): boolean {
  for (let i = 0; i < t.length; i++) {
    const v = t[i];
    if (typeof v !== 'number' || !(v >= 0 && v <= 255) || (v | 0) !== v) return false;
  }
  return true;
}

const formatPath = (p: (string | number)[]): string => p.map((s) => (typeof s === 'number' ? `[${s}]` : s.startsWith('(') ? s : `.${s}`)).join('');

let spareEncoder: Encoder | undefined = new Encoder();

/** Encodes a term, version byte first (`term_to_binary/2`). Throws EncodeError for values Erlang cannot hold. */
export function encode(term: Term, options: EncodeOptions = {}): Uint8Array {
  const e = spareEncoder ?? new Encoder();
  spareEncoder = undefined;
  const w = e.w;
  w.begin();
  try {
    w.p8(VERSION);
    e.start = 1;
    runEncode(e, term);
    if (options.compressed !== undefined && options.compressed !== false) {
      const out = compress(w, options.compressed);
      w.rewind();
      return out;
    }
    return w.take();
  } catch (err) {
    w.rewind();
    throw err;
  } finally {
    spareEncoder = e;
  }
}

/**
 * A distribution header's atom cache as the encoder sees it: the index of
 * `a` among this packet's atom-cache refs, written as ATOM_CACHE_REF, or -1
 * to write the atom inline. The header itself is the caller's to write.
 */
export interface AtomRefs {
  ref(a: Atom): number;
}

/**
 * One connected-phase packet: the 4-byte length, `prefix` (112 for the 'p'
 * form, 131 68 0 for a header without atom-cache refs), then `terms`, each
 * with its own 131 when `versioned`. Written in one buffer, ready for the socket.
 * With `refs`, atoms it names become ATOM_CACHE_REFs.
 */
export function encodePacket(prefix: readonly number[], terms: readonly Term[], versioned: boolean, refs?: AtomRefs): Uint8Array {
  const e = spareEncoder ?? new Encoder();
  spareEncoder = undefined;
  const w = e.w;
  w.begin();
  e.refs = refs;
  try {
    w.ensure(4 + prefix.length);
    w.p32(0);
    for (const b of prefix) w.p8(b);
    for (const t of terms) {
      if (versioned) w.u8(VERSION);
      e.start = w.offset();
      runEncode(e, t);
    }
    w.patchU32(0, w.offset() - 4);
    return w.take();
  } catch (err) {
    w.rewind();
    throw err;
  } finally {
    e.refs = undefined;
    spareEncoder = e;
  }
}

function runEncode(e: Encoder, term: Term): void {
  try {
    e.term(term);
  } catch (err) {
    if (!(err instanceof EncodeError) && !(err instanceof RangeError)) throw err;
    // Encode again, tracking the path, so the error says where the bad value is.
    const tracer = new Encoder();
    tracer.path = [];
    try {
      tracer.term(term);
    } catch (traced) {
      if (traced instanceof EncodeError) throw traced;
      if (traced instanceof RangeError) throw new EncodeError('DEPTH_LIMIT', formatPath(tracer.path.slice(0, 20)) + '…', 'nested too deeply (a cycle?)');
    }
    throw err;
  }
}

/** As term_to_binary(T, [compressed]): kept uncompressed when zlib does not make it smaller. */
function compress(w: Writer, level: number | true): Uint8Array {
  const body = w.buf.subarray(w.mark + 1, w.pos);
  const z = deflateSync(body, { level: level === true ? 6 : level });
  if (z.length + 5 >= body.length) return w.buf.slice(w.mark, w.pos);
  const out = new Uint8Array(6 + z.length);
  out[0] = VERSION;
  out[1] = G.Tag.COMPRESSED;
  new DataView(out.buffer).setUint32(2, body.length);
  out.set(z, 6);
  return out;
}
