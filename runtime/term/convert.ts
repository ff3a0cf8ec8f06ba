import { Atom, atom } from './atom.js';
import { codePointLength } from '../wire/utf8.js';
import type { Term } from './values.js';

const utf8 = new TextEncoder();
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** `"héllo"` → `[104,233,108,108,111]`: an Erlang string (a list of code points). */
export function toCharlist(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) out.push(ch.codePointAt(0)!);
  return out;
}

/** The inverse of {@link toCharlist}; throws TypeError on anything but a list of code points. */
export function fromCharlist(t: Term): string {
  if (!Array.isArray(t)) throw new TypeError('not a list');
  let s = '';
  for (const c of t) {
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
      throw new TypeError(`not a code point: ${String(c)}`);
    s += String.fromCodePoint(c);
  }
  return s;
}

/** UTF-8 bytes of `s`: what Elixir calls a string. */
export const toBinary = (s: string): Uint8Array => utf8.encode(s);

/** A binary (or a JS string, returned as is) as text; throws TypeError on invalid UTF-8. */
export function fromBinary(t: Term): string {
  if (typeof t === 'string') return t;
  if (!(t instanceof Uint8Array)) throw new TypeError('not a binary');
  return strict.decode(t);
}

/** `atom` with OTP's length limit checked: at most 255 code points. */
export function toAtom(s: string): Atom {
  if (codePointLength(s) > 255) throw new RangeError(`atom longer than 255 characters`);
  return atom(s);
}

/** An atom's text (booleans, which decode from `true`/`false`, included). */
export function fromAtom(t: Term): string {
  if (t instanceof Atom) return t.name;
  if (typeof t === 'boolean') return String(t);
  throw new TypeError('not an atom');
}

export interface ToMapOptions {
  /** Map keys as atoms (Erlang records and options) or binaries (Elixir/JSON-style). Default `atom`. */
  keys?: 'atom' | 'binary';
}

/** A plain object's own enumerable properties as an Erlang map. */
export function toMap(obj: Readonly<Record<string, Term>>, options: ToMapOptions = {}): Map<Term, Term> {
  const m = new Map<Term, Term>();
  const asBinary = options.keys === 'binary';
  for (const k of Object.keys(obj)) m.set(asBinary ? utf8.encode(k) : toAtom(k), obj[k]!);
  return m;
}

/**
 * An Erlang map whose keys are atoms, binaries or strings as a plain object.
 * Keys such as `__proto__` become own properties (never the prototype), so a
 * peer cannot pollute objects through map keys. Throws TypeError on other keys.
 */
export function fromMap(m: Map<Term, Term>): Record<string, Term> {
  const o: Record<string, Term> = {};
  for (const [k, v] of m) {
    const key =
      k instanceof Atom ? k.name : k instanceof Uint8Array ? strict.decode(k) : typeof k === 'string' ? k : typeof k === 'boolean' ? String(k) : undefined;
    if (key === undefined) throw new TypeError('map key is not an atom, binary or string');
    Object.defineProperty(o, key, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return o;
}
