/**
 * A term in Elixir's syntax, as `inspect(term, limit: :infinity,
 * printable_limit: :infinity)` prints it (checked against Elixir 1.14, 1.18
 * and 1.20 by test/interop/elixir-literals.test.ts), so that `beamwire rpc
 * --elixir` can answer in the language it was asked in. Pids, ports,
 * references and funs, which have no literal syntax, print as format() does.
 * Where releases differ it prints what every one of them reads back: charlists
 * as `~c"abc"` (1.15+; 1.14 prints 'abc' but reads both), and quoted the
 * Latin Extended-A letters 1.20 no longer takes bare (`:"Ĕ"`). Small maps
 * print in term order, as on OTP 25; OTP 26+ iterates atom keys in atom-table
 * order, which nobody outside that node can know.
 */
import { Atom, atom } from '../term/atom.js';
import { floatText } from '../term/float-text.js';
import { format } from '../term/format.js';
import { BitBinary, ExportFun, Float, Fun, ImproperList, LocalTerm, Pid, Port, Reference, Tuple, type Term } from '../term/values.js';

/** Operator atoms inspect/2 prints bare (`:+`, `[+: 1]`); the others (`:"//"`, `:"::"`) it quotes. */
const BARE_OPERATORS = new Set(
  '@ ! ^ not + - & === !== == != <= >= && || <> ++ -- +++ --- ** <- .. ... |> =~ < > -> * / = | . and or when in ~>> <<~ ~> <~ <~> >>> <<< ||| &&& \\\\ % %{} {} <<>> ..//'.split(' '),
);
/*
 * Elixir leaves an atom bare when it is an identifier by UAX 31 whose characters UTS 39 allows and whose
 * scripts may mix; past ASCII that is a large table. This accepts ASCII, Latin-1 and Latin Extended-A
 * letters (less the few UTS 39 restricts: Elixir 1.20 rejects :Ĕ, :ĸ, :Ŗ bare) and Han/kana, which inspect/2 leaves bare too; any other
 * name is quoted (:"λ"), which Elixir reads as the same atom.
 */
const IDENTIFIER = /^[\p{ID_Start}_][\p{ID_Continue}@]*[?!]?$/u;
const PLAIN_CHARS = /^[A-Za-z0-9_@?!\u00b7\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u0113\u0116-\u012b\u012e-\u0131\u0134-\u0137\u0139-\u013e\u0141-\u0148\u014a-\u014d\u0150-\u0155\u0158-\u0161\u0164-\u017e\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]*$/u;
const isBare = (name: string): boolean => (IDENTIFIER.test(name) && PLAIN_CHARS.test(name)) || BARE_OPERATORS.has(name);
const ALIAS_SEGMENT = /^[A-Z][a-zA-Z0-9_]*$/;
const ESCAPES: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 27: '\\e', 92: '\\\\', 127: '\\d' };
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function formatElixir(t: Term): string {
  switch (typeof t) {
    case 'number':
      return Number.isInteger(t) ? (Number.isSafeInteger(t) ? String(t) : BigInt(t).toString()) : elixirFloat(t);
    case 'bigint':
      return t.toString();
    case 'boolean':
      return String(t);
    case 'string':
      return binary(new TextEncoder().encode(t));
  }
  if (t instanceof Atom) return atomText(t.name);
  if (t instanceof Float) return elixirFloat(t.value);
  if (t instanceof Tuple) return `{${t.elements.map(formatElixir).join(', ')}}`;
  if (Array.isArray(t)) return list(t);
  if (t instanceof Uint8Array) return binary(t);
  if (t instanceof Map) return map([...t]);
  if (t instanceof ImproperList) return `[${t.elements.map(formatElixir).join(', ')} | ${formatElixir(t.tail)}]`;
  if (t instanceof BitBinary) {
    const head = [...t.bytes.subarray(0, -1)].map(String);
    return `<<${[...head, `${t.bytes[t.bytes.length - 1]! >> (8 - t.bits)}::size(${t.bits})`].join(', ')}>>`;
  }
  if (t instanceof Pid || t instanceof Port || t instanceof Reference || t instanceof ExportFun || t instanceof Fun || t instanceof LocalTerm) return format(t);
  return map(Object.keys(t).map((k) => [atom(k), (t as Record<string, Term>)[k]!]));
}

/** Elixir prints an integral float below 1e16 in full (1000.0, not 1.0e3); otherwise as Erlang does. */
function elixirFloat(x: number): string {
  const abs = Math.abs(x);
  if (abs >= 1 && abs < 1e16 && Number.isInteger(x)) return `${x < 0 ? '-' : ''}${abs}.0`;
  return floatText(x);
}

function atomText(name: string): string {
  if (name === 'nil' || name === 'true' || name === 'false') return name;
  if (name === 'Elixir') return name;
  if (name.startsWith('Elixir.') && name.slice(7).split('.').every((s) => ALIAS_SEGMENT.test(s))) return name.slice(7);
  return isBare(name) ? `:${name}` : `:${quoted(name, '"')}`;
}

/** A keyword key without its colon: `a`, `+`, `"a b"`. */
function keyText(name: string): string {
  return isBare(name) && name !== 'Elixir' ? name : quoted(name, '"'); // Elixir: would read as the alias
}

function quoted(text: string, q: '"' | "'"): string {
  let out: string = q;
  let prev = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (ESCAPES[c] !== undefined) out += ESCAPES[c];
    else if (c === 0) out += '\\0';
    else if (!printable(c)) out += c < 0x100 ? `\\x${c.toString(16).toUpperCase().padStart(2, '0')}` : `\\x{${c.toString(16).toUpperCase()}}`;
    else if (ch === q) out += `\\${q}`;
    else if (ch === '{' && prev === '#') out = `${out.slice(0, -1)}\\#{`;
    else out += ch;
    prev = ch;
  }
  return out + q;
}

/** String.printable?/1 of Elixir 1.14, per code point. */
const printable = (c: number): boolean =>
  (c >= 0x20 && c <= 0x7e) || ESCAPES[c] !== undefined || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);

function binary(b: Uint8Array): string {
  let text: string | undefined;
  try {
    text = strictUtf8.decode(b);
  } catch {
    text = undefined;
  }
  if (text !== undefined && [...text].every((ch) => printable(ch.codePointAt(0)!))) return quoted(text, '"');
  return `<<${[...b].join(', ')}>>`;
}

/** List.ascii_printable?/1: what Elixir shows as a charlist, ~c"...". */
const asciiPrintable = (t: Term): boolean => typeof t === 'number' && ((t >= 0x20 && t <= 0x7e) || (t >= 7 && t <= 13) || t === 27);

const keywordKey = (t: Term): string | undefined => {
  const name = typeof t === 'boolean' ? String(t) : t instanceof Atom ? t.name : undefined;
  return name === undefined || name.startsWith('Elixir.') ? undefined : name;
};

function list(items: Term[]): string {
  if (items.length === 0) return '[]';
  if (items.every(asciiPrintable)) return `~c${quoted(String.fromCharCode(...(items as number[])), '"')}`;
  const pairs = items.map((x) => (x instanceof Tuple && x.elements.length === 2 ? keywordKey(x.elements[0]!) : undefined));
  if (pairs.every((k) => k !== undefined)) return `[${items.map((x, i) => `${keyText(pairs[i]!)}: ${formatElixir((x as Tuple).elements[1]!)}`).join(', ')}]`;
  return `[${items.map(formatElixir).join(', ')}]`;
}

function map(entries: [Term, Term][]): string {
  entries.sort(([a], [b]) => termOrder(a, b)); // small maps print in term order, as :maps.to_list gives them
  const keys = entries.map(([k]) => keywordKey(k));
  if (keys.every((k) => k !== undefined)) return `%{${entries.map(([, v], i) => `${keyText(keys[i]!)}: ${formatElixir(v)}`).join(', ')}}`;
  return `%{${entries.map(([k, v]) => `${formatElixir(k)} => ${formatElixir(v)}`).join(', ')}}`;
}

/**
 * The order of a small map's keys (:maps.to_list): Erlang's term order, number < atom < reference <
 * fun < port < pid < tuple < map < [] < list < bitstring, except that it compares exactly: integers
 * before floats.
 */
function termOrder(a: Term, b: Term): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 0: {
      // Map keys compare exactly: every integer before every float (checked against elixir), then by value.
      const kind = (isFloat(a) ? 1 : 0) - (isFloat(b) ? 1 : 0);
      if (kind !== 0) return kind;
      return typeof a === 'bigint' || typeof b === 'bigint' ? cmpBig(a, b) : Number(numeric(a)) - Number(numeric(b));
    }
    case 1:
      return cmpText(atomName(a), atomName(b));
    case 6: {
      const [x, y] = [(a as Tuple).elements, (b as Tuple).elements];
      return x.length !== y.length ? x.length - y.length : cmpSeq(x, y);
    }
    case 7: {
      const [x, y] = [mapEntries(a), mapEntries(b)];
      if (x.length !== y.length) return x.length - y.length;
      const byKey = cmpSeq(x.map(([k]) => k), y.map(([k]) => k));
      return byKey !== 0 ? byKey : cmpSeq(x.map(([, v]) => v), y.map(([, v]) => v));
    }
    case 9:
      return cmpList(a, b);
    case 10: {
      const [x, y] = [bitsOf(a), bitsOf(b)];
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
      return x.length - y.length;
    }
    default:
      return 0; // pids, ports, references, funs: no literal syntax, order among them does not matter here
  }
}

function rank(t: Term): number {
  if (typeof t === 'number' || typeof t === 'bigint' || t instanceof Float) return 0;
  if (typeof t === 'boolean' || t instanceof Atom) return 1;
  if (t instanceof Reference) return 2;
  if (t instanceof Fun || t instanceof ExportFun) return 3;
  if (t instanceof Port) return 4;
  if (t instanceof Pid) return 5;
  if (t instanceof Tuple) return 6;
  if (t instanceof Map) return 7;
  if (Array.isArray(t) && t.length === 0) return 8;
  if (Array.isArray(t) || t instanceof ImproperList) return 9;
  if (t instanceof Uint8Array || t instanceof BitBinary || typeof t === 'string') return 10;
  return 7; // a plain object is a map with atom keys
}

const numeric = (t: Term): number | bigint => (t instanceof Float ? t.value : (t as number | bigint));
const isFloat = (t: Term): boolean => t instanceof Float || (typeof t === 'number' && !Number.isInteger(t));
/** Two integers, one of them a bigint. */
function cmpBig(a: Term, b: Term): number {
  const [x, y] = [BigInt(numeric(a)), BigInt(numeric(b))];
  return x < y ? -1 : x > y ? 1 : 0;
}
const atomName = (t: Term): string => (typeof t === 'boolean' ? String(t) : (t as Atom).name);
function cmpText(a: string, b: string): number {
  const [x, y] = [[...a], [...b]];
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
  return x.length - y.length;
}
function cmpSeq(x: readonly Term[], y: readonly Term[]): number {
  for (let i = 0; i < x.length; i++) {
    const c = termOrder(x[i]!, y[i]!);
    if (c !== 0) return c;
  }
  return 0;
}
function cmpList(a: Term, b: Term): number {
  const parts = (t: Term): [Term[], Term] => (t instanceof ImproperList ? [t.elements, t.tail] : [t as Term[], []]);
  const rest = ([elements, tail]: [Term[], Term], i: number): Term =>
    i >= elements.length ? tail : Array.isArray(tail) && tail.length === 0 ? elements.slice(i) : new ImproperList(elements.slice(i), tail);
  const [x, y] = [parts(a), parts(b)];
  const n = Math.min(x[0].length, y[0].length);
  for (let i = 0; i < n; i++) {
    const c = termOrder(x[0][i]!, y[0][i]!);
    if (c !== 0) return c;
  }
  return termOrder(rest(x, n), rest(y, n)); // what follows: [] or a tail against the rest of the other
}
const mapEntries = (t: Term): [Term, Term][] =>
  (t instanceof Map ? [...t] : Object.keys(t as object).map((k): [Term, Term] => [atom(k), (t as Record<string, Term>)[k]!])).sort(([a], [b]) => termOrder(a, b));
function bitsOf(t: Term): number[] {
  const bytes = t instanceof BitBinary ? t.bytes : typeof t === 'string' ? new TextEncoder().encode(t) : (t as Uint8Array);
  const out: number[] = [];
  const bitLen = t instanceof BitBinary ? t.bitLength : bytes.length * 8;
  for (let i = 0; i < bitLen; i++) out.push((bytes[i >> 3]! >> (7 - (i & 7))) & 1);
  return out;
}
