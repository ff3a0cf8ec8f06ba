import { Atom } from './atom.js';
import { floatText } from './float-text.js';
import { BitBinary, ExportFun, Float, Fun, ImproperList, LocalTerm, Pid, Port, Reference, Tuple, type Term } from './values.js';

// As io_lib:write_atom: bare when it starts with a latin-1 lowercase letter, continues with latin-1 letters,
// digits, _ or @, and is no reserved word; otherwise quoted, with the escapes ~w uses (checked by test/interop/format.test.ts).
// The reserved words are OTP 27's, which added maybe and else (maybe_expr on by default): 'maybe' reads back as the atom
// on every release, a bare maybe is a syntax error from 27 on. OTP 25 and 26 print those two bare.
const BARE_ATOM = /^[a-z\xdf-\xf6\xf8-\xff][a-zA-Z0-9_@\xc0-\xd6\xd8-\xf6\xf8-\xff]*$/;
const RESERVED = new Set('after and andalso band begin bnot bor bsl bsr bxor case catch cond div end fun if let not of or orelse receive rem try when xor maybe else'.split(' '));
const ESCAPES: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 27: '\\e', 39: "\\'", 92: '\\\\', 127: '\\d' };

function quoteAtom(name: string): string {
  if (BARE_ATOM.test(name) && !RESERVED.has(name)) return name;
  let out = "'";
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    if (ESCAPES[c] !== undefined) out += ESCAPES[c];
    else if (c < 0x20 || (c >= 0x80 && c < 0xa0)) out += `\\${c.toString(8).padStart(3, '0')}`;
    else if (c > 0xff) out += `\\x{${c.toString(16).toUpperCase()}}`;
    else out += ch;
  }
  return `${out}'`;
}

function formatBinary(b: Uint8Array): string {
  let printable = b.length > 0;
  for (const c of b) if (c < 0x20 || c > 0x7e) printable = false;
  if (printable) return `<<"${Buffer.from(b).toString('latin1').replace(/["\\]/g, '\\$&')}">>`;
  return `<<${[...b].join(',')}>>`;
}

/** A term in Erlang's syntax, as `io:format("~w")` would print it (binaries of printable ASCII as text). */
export function format(t: Term): string {
  switch (typeof t) {
    case 'number':
      // The term model: an integral number is an integer (in full, never 1e+21), any other a float.
      if (Number.isInteger(t)) return Number.isSafeInteger(t) ? String(t) : BigInt(t).toString();
      return floatText(t);
    case 'bigint':
      return t.toString();
    case 'boolean':
      return String(t);
    case 'string':
      return formatBinary(new TextEncoder().encode(t));
  }
  if (t instanceof Atom) return quoteAtom(t.name);
  if (t instanceof Tuple) return `{${t.elements.map(format).join(',')}}`;
  if (Array.isArray(t)) return `[${t.map(format).join(',')}]`;
  if (t instanceof Uint8Array) return formatBinary(t);
  if (t instanceof Map) return `#{${[...t].map(([k, v]) => `${format(k)} => ${format(v)}`).join(',')}}`;
  if (t instanceof Float) return floatText(t.value);
  if (t instanceof ImproperList) return `[${t.elements.map(format).join(',')}|${format(t.tail)}]`;
  if (t instanceof BitBinary) {
    const head = [...t.bytes.subarray(0, -1)];
    return `<<${[...head, `${t.bytes[t.bytes.length - 1]! >> (8 - t.bits)}:${t.bits}`].join(',')}>>`;
  }
  if (t instanceof Pid || t instanceof Port || t instanceof Reference || t instanceof ExportFun || t instanceof Fun) return t.toString();
  if (t instanceof LocalTerm) return `#Local<${t.bytes.length} bytes>`;
  return `#{${Object.keys(t).map((k) => `${quoteAtom(k)} => ${format((t as Record<string, Term>)[k]!)}`).join(',')}}`;
}
