import { Atom } from './atom.js';
import { BitBinary, ExportFun, Float, Fun, ImproperList, LocalTerm, Pid, Port, Reference, Tuple, type Term } from './values.js';

/**
 * Erlang's exact equality (`=:=`) over decoded terms: `1` and `1.0` differ,
 * `0.0` and `-0.0` differ (OTP 27), maps compare by content, not identity.
 */
export function equals(a: Term, b: Term): boolean {
  if (a === b) return true; // a JS -0 is the integer 0; float zeros are Float objects
  return termKey(a) === termKey(b);
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
  let s = `${b.length}:`;
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** `maps:get/2` semantics for a decoded map: finds tuple, binary or float keys by value. */
export function mapGet(map: Map<Term, Term>, key: Term): Term | undefined {
  const direct = map.get(key);
  if (direct !== undefined || typeof key !== 'object') return direct;
  const want = termKey(key);
  for (const [k, v] of map) if (typeof k === 'object' && termKey(k) === want) return v;
  return undefined;
}
