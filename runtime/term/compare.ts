import { Atom } from './atom.js';
import { BitBinary, ExportFun, Float, Fun, ImproperList, LocalTerm, Pid, Port, Reference, Tuple, type Term } from './values.js';

/**
 * Erlang's exact equality (`=:=`) over terms: `1` and `1.0` differ, `0.0` and
 * `-0.0` differ (OTP 27), `1` and `1n` are one integer, a JS string equals the
 * binary of its UTF-8, maps compare by content, not identity. Structural: no
 * strings are built, so it is cheap enough for duplicate-key checks.
 */
export function equals(a: Term, b: Term): boolean {
  if (a === b) return true; // a JS -0 is the integer 0; float zeros are Float objects
  switch (typeof a) {
    case 'number':
      if (!Number.isInteger(a)) return isFloat(b, a);
      return isInteger(b) && a == b; // loose equality compares a number and a bigint by value
    case 'bigint':
      return isInteger(b) && a == b;
    case 'boolean':
      return b instanceof Atom && b.name === String(a);
    case 'string':
      return binaryOf(b) !== undefined && bytesEqual(utf8.encode(a), binaryOf(b)!);
  }
  if (typeof b !== 'object' && typeof b !== 'boolean' && typeof b !== 'string') return false;
  if (a instanceof Atom) return typeof b === 'boolean' && a.name === String(b);
  if (a instanceof Float) return isFloat(b, a.value);
  const ab = binaryOf(a);
  if (ab !== undefined) {
    const bb = binaryOf(b);
    return bb !== undefined && bytesEqual(ab, bb);
  }
  if (typeof b !== 'object') return false;
  if (Array.isArray(a)) return Array.isArray(b) && listEquals(a, b);
  if (a instanceof Tuple) return b instanceof Tuple && listEquals(a.elements, b.elements);
  if (a instanceof BitBinary) return b instanceof BitBinary && a.bits === b.bits && termKey(a) === termKey(b);
  if (a instanceof ImproperList) return b instanceof ImproperList && listEquals(a.elements, b.elements) && equals(a.tail, b.tail);
  if (a instanceof Pid) return b instanceof Pid && a.node === b.node && a.id === b.id && a.serial === b.serial && a.creation === b.creation;
  if (a instanceof Port) return b instanceof Port && a.node === b.node && a.id === b.id && a.creation === b.creation;
  if (a instanceof Reference) return b instanceof Reference && a.node === b.node && a.creation === b.creation && listEquals(a.ids, b.ids);
  if (a instanceof ExportFun) return b instanceof ExportFun && a.module === b.module && a.name === b.name && a.arity === b.arity;
  if (a instanceof LocalTerm) return b instanceof LocalTerm && bytesEqual(a.bytes, b.bytes);
  if (a instanceof Fun)
    return (
      b instanceof Fun &&
      a.module === b.module &&
      a.index === b.index &&
      a.arity === b.arity &&
      bytesEqual(a.uniq, b.uniq) &&
      equals(a.oldIndex, b.oldIndex) &&
      equals(a.oldUniq, b.oldUniq) &&
      equals(a.pid, b.pid) &&
      listEquals(a.freeVars, b.freeVars)
    );
  const am = asMap(a);
  const bm = asMap(b);
  if (am === undefined || bm === undefined || am.size !== bm.size) return false;
  // Keys equal by value but not by identity (tuples, binaries, floats) are looked up through termKey
  // once the map is big: a scan per key made two maps of 10 000 tuple keys take seconds to compare.
  let byKey: Map<string, Term> | undefined;
  for (const [k, v] of am) {
    let w = bm.get(k);
    if (w === undefined && bm.size <= SCAN_MAX) w = mapGet(bm, k);
    else if (w === undefined) w = (byKey ??= new Map([...bm].map(([bk, bv]) => [termKey(bk), bv]))).get(termKey(k));
    if (w === undefined || !equals(v, w)) return false;
  }
  return true;
}

/** Up to this many keys, a map is scanned for a key equal by value rather than indexed. */
const SCAN_MAX = 16;

const utf8 = new TextEncoder();

const isInteger = (b: Term): boolean => (typeof b === 'number' && Number.isInteger(b)) || typeof b === 'bigint';

function isFloat(b: Term, v: number): boolean {
  if (typeof b === 'number') return !Number.isInteger(b) && b === v;
  return b instanceof Float && Object.is(b.value, v);
}

/** The bytes of a binary-valued term: a Uint8Array, a whole-byte BitBinary, or a JS string. */
function binaryOf(t: Term): Uint8Array | undefined {
  if (t instanceof Uint8Array) return t;
  if (typeof t === 'string') return utf8.encode(t);
  if (t instanceof BitBinary && t.bits === 8) return t.bytes;
  return undefined;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function listEquals(a: readonly Term[], b: readonly Term[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!equals(a[i]!, b[i]!)) return false;
  return true;
}

/** A Map, or a plain object read as the map with atom keys it encodes to. */
function asMap(t: object): Map<Term, Term> | undefined {
  if (t instanceof Map) return t;
  const proto = Object.getPrototypeOf(t) as unknown;
  if (proto !== Object.prototype && proto !== null) return undefined;
  return new Map(Object.keys(t).map((k) => [Atom.of(k), (t as Record<string, Term>)[k]!]));
}

/**
 * A string that is equal for two terms exactly when they are `=:=`. Used to
 * find duplicate map keys made of tuples, binaries and other objects, and to
 * look such keys up ({@link mapGet}).
 */
export function termKey(t: Term): string {
  switch (typeof t) {
    case 'number':
      // An integral number beyond 2^53 encodes as the exact integer it holds.
      return Number.isInteger(t) ? (Number.isSafeInteger(t) ? `i${t}` : `i${BigInt(t)}`) : `f${t}`;
    case 'bigint':
      return `i${t}`;
    case 'boolean':
      return `a${t}`;
    case 'string':
      return `b${binaryKey(new TextEncoder().encode(t))}`;
    case 'object':
      break;
    default:
      return `?${String(t)}`;
  }
  if (t instanceof Atom) return `a${t.name}`;
  if (t instanceof Uint8Array) return `b${binaryKey(t)}`;
  if (Array.isArray(t)) return `[${t.map(termKey).join(',')}]`;
  if (t instanceof Tuple) return `{${t.elements.map(termKey).join(',')}}`;
  if (t instanceof Float) return Object.is(t.value, -0) ? 'f-0' : `f${t.value}`;
  if (t instanceof Map) {
    const parts = [...t].map(([k, v]) => `${termKey(k)}=>${termKey(v)}`).sort();
    return `#{${parts.join(',')}}`;
  }
  if (t instanceof ImproperList) return `[${t.elements.map(termKey).join(',')}|${termKey(t.tail)}]`;
  if (t instanceof BitBinary) {
    // 8 bits in the last byte is a binary; bits past the last significant one are not part of the value.
    if (t.bits === 8) return `b${binaryKey(t.bytes)}`;
    const bytes = t.bytes.slice();
    if (bytes.length > 0) bytes[bytes.length - 1]! &= (0xff << (8 - t.bits)) & 0xff;
    return `B${t.bits}:${binaryKey(bytes)}`;
  }
  if (t instanceof Pid) return `P${t.node.name}.${t.id}.${t.serial}.${t.creation}`;
  if (t instanceof Port) return `O${t.node.name}.${t.id}.${t.creation}`;
  if (t instanceof Reference) return `R${t.node.name}.${t.creation}.${t.ids.join('.')}`;
  if (t instanceof ExportFun) return `E${t.module.name}:${t.name.name}/${t.arity}`;
  if (t instanceof Fun)
    return `F${t.module.name}.${t.index}/${t.arity}.${binaryKey(t.uniq)}.${termKey(t.oldIndex)}.${termKey(t.oldUniq)}.${termKey(t.pid)}(${t.freeVars.map(termKey).join(',')})`;
  if (t instanceof LocalTerm) return `L${binaryKey(t.bytes)}`;
  // A plain object encodes as a map with atom keys; compare it as one.
  const parts = Object.keys(t).map((k) => `a${k}=>${termKey((t as Record<string, Term>)[k]!)}`).sort();
  return `#{${parts.join(',')}}`;
}

function binaryKey(b: Uint8Array): string {
  // latin1 maps each byte to one UTF-16 unit: a native, lossless byte string.
  return `${b.length}:${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1')}`;
}

/** `maps:get/2` semantics for a map: finds tuple, binary, float or bigint keys by value. */
export function mapGet(map: Map<Term, Term>, key: Term): Term | undefined {
  const direct = map.get(key);
  if (direct !== undefined) return direct;
  if (key instanceof Atom && map.size === 0) return undefined;
  for (const [k, v] of map) if (equals(k, key)) return v;
  return undefined;
}
