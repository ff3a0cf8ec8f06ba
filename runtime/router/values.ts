/**
 * JavaScript values ↔ terms, for arguments and results between contexts:
 * what crosses comes back as the value it was, and Erlang reads it as the
 * term it looks like (the table is in README.md of this folder). What has
 * no natural term is a tagged tuple whose first element is a reserved atom
 * (`'$bw_…'`); a tuple of the user's that starts with one is escaped, so it
 * round-trips too. Anything else (a function, a symbol, a class instance, a
 * cycle) is refused with an EncodeError naming its path.
 */
import { Atom, atom } from '../term/atom.js';
import { tuple } from '../term/make.js';
import { BitBinary, ExportFun, Float, Fun, ImproperList, LocalTerm, Pid, Port, Reference, Tuple, type Term } from '../term/values.js';
import { EncodeError } from '../wire/errors.js';
import type { ChannelCodec, ChannelNode } from './host.js';
import { Sender } from './sender.js';

const NIL = atom('nil');
const UNDEFINED = atom('undefined');
const TRUE = atom('true');
const FALSE = atom('false');
const T_BIGINT = atom('$bw_bigint');
const T_FLOAT = atom('$bw_float');
const T_MAP = atom('$bw_map');
const T_SET = atom('$bw_set');
const T_DATE = atom('$bw_date');
const T_BYTES = atom('$bw_bytes');
const T_BUFFER = atom('$bw_buffer');
const T_ERROR = atom('$bw_error');
const T_ATOM = atom('$bw_atom');
const T_TUPLE = atom('$bw_tuple');
const T_SENDER = atom('$bw_sender');
/** runtime/proxy/'s: a reference to an object or function, and a pipelined result. */
export const T_REF = atom('$bw_ref');
export const T_OP = atom('$bw_op');
const NAN = atom('nan');
const INF = atom('infinity');
const NEG_INF = atom('neg_infinity');
const RESERVED = /^\$bw/;

/** Where decoded values live: Senders in them are bound to this node. */
export interface DecodeContext {
  readonly node?: unknown;
  /** What a `{'$bw_ref', …}` or `{'$bw_op', …}` tuple stands for (runtime/proxy/); without it the tuple stays a tuple. */
  readonly reference?: (t: Tuple) => unknown;
}

/**
 * What a caller passes by reference (runtime/proxy/): `byReference` gets
 * each function and each object with a prototype of its own (a class
 * instance) before it would be refused, and gives the term that stands
 * for it, or undefined to refuse it as usual.
 */
export interface EncodeHooks {
  byReference(v: object, path: string): Term | undefined;
}

const ERRORS: Record<string, ErrorConstructor> = { Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError };
const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** `value` as a term; EncodeError (`UNSUPPORTED_VALUE`) names the path of what cannot cross. */
export function toTerm(value: unknown, path = 'value', hooks?: EncodeHooks): Term {
  return enc(value, path, new Set(), hooks);
}

/** Deeper than this is refused (DEPTH_LIMIT), long before the stack would overflow. */
export const MAX_DEPTH = 1000;

function refuse(path: string, what: string): never {
  throw new EncodeError('UNSUPPORTED_VALUE', path, `${what} is not a value that crosses contexts`);
}

function enc(v: unknown, path: string, seen: Set<object>, h: EncodeHooks | undefined): Term {
  switch (typeof v) {
    case 'string':
      return v;
    case 'boolean':
      return v;
    case 'number':
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) return v;
      if (Number.isFinite(v)) return new Float(v);
      return tuple(T_FLOAT, Number.isNaN(v) ? NAN : v > 0 ? INF : NEG_INF);
    case 'bigint':
      // Beyond 2^53 an integer decodes as a bigint; within, it would come back a number.
      return v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER) ? v : tuple(T_BIGINT, v);
    case 'undefined':
      return UNDEFINED;
    case 'symbol':
      return refuse(path, 'a symbol');
    case 'function':
      return h?.byReference(v, path) ?? refuse(path, `a function${v.name ? ` (${v.name})` : ''}`);
  }
  if (v === null) return NIL;
  const o = v as object;
  if (seen.has(o)) return refuse(path, 'a cycle (an object that contains itself)');
  if (seen.size >= MAX_DEPTH) throw new EncodeError('DEPTH_LIMIT', path, `nested more than ${MAX_DEPTH} deep`);
  seen.add(o);
  try {
    return encObject(o, path, seen, h);
  } finally {
    seen.delete(o);
  }
}

function encObject(o: object, path: string, seen: Set<object>, h: EncodeHooks | undefined): Term {
  if (Array.isArray(o)) {
    const out: Term[] = new Array(o.length);
    for (let i = 0; i < o.length; i++) out[i] = enc(o[i], `${path}[${i}]`, seen, h);
    return out;
  }
  if (o instanceof Uint8Array) return tuple(Buffer.isBuffer(o) ? T_BUFFER : T_BYTES, o);
  if (o instanceof Atom) return o === TRUE || o === FALSE || o === NIL || o === UNDEFINED || RESERVED.test(o.name) ? tuple(T_ATOM, o.name) : o;
  if (o instanceof Tuple) {
    const elements = o.elements.map((e: Term, i: number) => enc(e, `${path}{${i}}`, seen, h));
    const head = o.elements[0];
    return head instanceof Atom && RESERVED.test(head.name) ? tuple(T_TUPLE, elements) : new Tuple(elements);
  }
  if (o instanceof Map) {
    const pairs: Term[] = [];
    let i = 0;
    for (const [k, val] of o) pairs.push(tuple(enc(k, `${path}.keys[${i}]`, seen, h), enc(val, `${path}.get(${i++})`, seen, h)));
    return tuple(T_MAP, pairs);
  }
  if (o instanceof Set) return tuple(T_SET, [...o].map((e, i) => enc(e, `${path}[${i}]`, seen, h)));
  if (o instanceof Date) {
    const t = o.getTime();
    return tuple(T_DATE, Number.isNaN(t) ? NAN : t);
  }
  if (o instanceof Error) return encError(o, path, seen, h);
  if (o instanceof Sender) return tuple(T_SENDER, o.pid, o.alias);
  if (o instanceof Pid || o instanceof Reference || o instanceof Port || o instanceof Fun || o instanceof ExportFun || o instanceof BitBinary) return o;
  if (o instanceof Float) return o;
  if (o instanceof ImproperList) return new ImproperList(o.elements.map((e, i) => enc(e, `${path}[${i}]`, seen, h)), enc(o.tail, `${path}.tail`, seen, h));
  if (o instanceof LocalTerm) return refuse(path, 'a LocalTerm');
  const proto = Object.getPrototypeOf(o) as object | null;
  if (proto !== Object.prototype && proto !== null) return h?.byReference(o, path) ?? refuse(path, `an instance of ${(o.constructor as { name?: string } | undefined)?.name || 'a class'}`);
  const m = new Map<Term, Term>();
  for (const k of Object.keys(o)) m.set(k, enc((o as Record<string, unknown>)[k], `${path}.${k}`, seen, h));
  return m;
}

function encError(e: Error, path: string, seen: Set<object>, h: EncodeHooks | undefined): Term {
  const m = new Map<Term, Term>([
    ['name', String(e.name)],
    ['message', String(e.message)],
  ]);
  if (typeof e.stack === 'string') m.set('stack', e.stack);
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') m.set('code', code);
  // A cause that cannot cross becomes its text: the error itself still does.
  if ('cause' in e) {
    try {
      m.set('cause', enc(e.cause, `${path}.cause`, seen, h));
    } catch {
      m.set('cause', String(e.cause));
    }
  }
  return tuple(T_ERROR, m);
}

/** The value `term` carries (as toTerm made it, or as Erlang wrote it). */
export function fromTerm(term: Term, ctx: DecodeContext = {}): unknown {
  return dec(term, ctx);
}

/** The values mapping as a channel codec (receivers, senders). */
export const valueCodec: ChannelCodec = {
  toTerm: (v) => toTerm(v),
  fromTerm: (t, c) => fromTerm(t, { node: c.node }),
};

function dec(t: Term, ctx: DecodeContext): unknown {
  if (typeof t !== 'object' || t === null) return t; // numbers, bigints, booleans
  if (t instanceof Uint8Array) {
    try {
      return textDecoder.decode(t);
    } catch {
      return plainBytes(t); // not UTF-8: bytes, as Erlang meant them
    }
  }
  if (Array.isArray(t)) return t.map((e) => dec(e, ctx));
  if (t instanceof Atom) return t === NIL ? null : t === UNDEFINED ? undefined : t;
  if (t instanceof Tuple) return decTuple(t, ctx);
  if (t instanceof Map) {
    let plain = true;
    for (const k of t.keys()) if (!(k instanceof Uint8Array) && typeof k !== 'string') plain = false;
    if (!plain) return new Map([...t].map(([k, v]) => [dec(k, ctx), dec(v, ctx)]));
    const o: Record<string, unknown> = {};
    for (const [k, v] of t) {
      const key = typeof k === 'string' ? k : Buffer.from((k as Uint8Array).buffer, (k as Uint8Array).byteOffset, (k as Uint8Array).byteLength).toString('utf8');
      // A key such as __proto__ is an own property here, never the prototype.
      Object.defineProperty(o, key, { value: dec(v, ctx), enumerable: true, writable: true, configurable: true });
    }
    return o;
  }
  if (t instanceof ImproperList) return new ImproperList(t.elements.map((e) => dec(e, ctx) as Term), dec(t.tail, ctx) as Term);
  if (t instanceof Float) return t.value;
  return t; // pids, references, ports, funs, bitstrings
}

function decTuple(t: Tuple, ctx: DecodeContext): unknown {
  const [tag, a, b] = t.elements;
  if (!(tag instanceof Atom) || !RESERVED.test(tag.name)) return new Tuple(t.elements.map((e) => dec(e, ctx) as Term));
  switch (tag) {
    case T_BIGINT:
      return BigInt(a as number | bigint);
    case T_FLOAT:
      return a === NAN ? NaN : a === INF ? Infinity : -Infinity;
    case T_MAP:
      return new Map((a as Tuple[]).map((p) => [dec(p.elements[0]!, ctx), dec(p.elements[1]!, ctx)]));
    case T_SET:
      return new Set((a as Term[]).map((e) => dec(e, ctx)));
    case T_DATE:
      return new Date(a === NAN ? NaN : (a as number));
    case T_BYTES:
      return plainBytes(a as Uint8Array);
    case T_BUFFER: {
      const u = a as Uint8Array;
      return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
    }
    case T_ATOM:
      return atom(typeof a === 'string' ? a : Buffer.from(a as Uint8Array).toString('utf8'));
    case T_TUPLE:
      return new Tuple((a as Term[]).map((e) => dec(e, ctx) as Term));
    case T_ERROR:
      return decError(a as Map<Term, Term>, ctx);
    case T_SENDER: {
      const s = ctx.node === undefined ? undefined : Sender.fromTerm(tuple(atom('$bw_sender'), a!, b!), ctx.node as ChannelNode, valueCodec);
      return s ?? t;
    }
    case T_REF:
    case T_OP:
      return ctx.reference === undefined ? new Tuple(t.elements.map((e) => dec(e, ctx) as Term)) : ctx.reference(t);
    default:
      return new Tuple(t.elements.map((e) => dec(e, ctx) as Term));
  }
}

function decError(m: Map<Term, Term>, ctx: DecodeContext): Error {
  const field = (k: string): unknown => {
    for (const [key, v] of m) if ((typeof key === 'string' ? key : Buffer.from(key as Uint8Array).toString('utf8')) === k) return dec(v, ctx);
    return undefined;
  };
  const name = String(field('name') ?? 'Error');
  const Ctor = ERRORS[name] ?? Error;
  const e = new Ctor(String(field('message') ?? ''));
  if (Ctor === Error && name !== 'Error') Object.defineProperty(e, 'name', { value: name, enumerable: false, writable: true, configurable: true });
  const stack = field('stack');
  if (typeof stack === 'string') e.stack = stack;
  const code = field('code');
  if (typeof code === 'string') (e as { code?: string }).code = code;
  for (const [key] of m) if ((typeof key === 'string' ? key : Buffer.from(key as Uint8Array).toString('utf8')) === 'cause') e.cause = field('cause');
  return e;
}

/** A Uint8Array over the same memory (the codec hands out Buffers, which are a subclass). */
function plainBytes(u: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(u) === Uint8Array.prototype ? u : new Uint8Array(u.buffer, u.byteOffset, u.byteLength);
}
