/**
 * Converters for the scalar types of the service-schema vocabulary
 * (schemas/service.schema.json). A {@link Conv} turns a JS value into the
 * term Erlang expects (`toTerm`) and a received term back into the JS value
 * (`fromTerm`); both check the shape and throw {@link Mismatch} on anything
 * else, so neither side ever casts silently.
 */
import { Atom } from '../term/atom.js';
import { fromCharlist, toAtom, toBinary, toCharlist } from '../term/convert.js';
import { Float, Pid, Reference, type Term } from '../term/values.js';
import { Mismatch } from './errors.js';

export interface Conv<T> {
  /** The schema's name for the type, for messages. */
  readonly type: string;
  toTerm(v: T): Term;
  fromTerm(t: Term): T;
}

const TRUE = Atom.of('true');
const FALSE = Atom.of('false');
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const fail = (detail: string, value: unknown): never => {
  throw new Mismatch(detail, value);
};

/** An atom as its name. `true`/`false` decode as booleans and read back as 'true'/'false'. */
export const atom: Conv<string> = {
  type: 'atom',
  toTerm: (v) => {
    if (typeof v !== 'string') return fail('must be a string (an atom name)', v);
    try {
      return toAtom(v);
    } catch {
      return fail('is longer than 255 characters, too long for an atom', v);
    }
  },
  fromTerm: (t) => (t instanceof Atom ? t.name : typeof t === 'boolean' ? String(t) : fail('must be an atom', t)),
};

/** One of a fixed set of atoms, as a string-literal union. */
export function atoms<const T extends string>(...names: T[]): Conv<T> {
  const set = new Set<string>(names);
  const want = `must be one of the atoms ${names.join(', ')}`;
  return {
    type: names.join(' | '),
    toTerm: (v) => (typeof v === 'string' && set.has(v) ? Atom.of(v) : fail(want, v)),
    fromTerm: (t) => {
      const name = t instanceof Atom ? t.name : typeof t === 'boolean' ? String(t) : undefined;
      return name !== undefined && set.has(name) ? (name as T) : fail(want, t);
    },
  };
}

const MAX = BigInt(Number.MAX_SAFE_INTEGER);
/** A bigint as a number when no precision is lost (a term built in JS may hold a small bigint). */
const safe = (b: bigint): number | undefined => (b >= -MAX && b <= MAX ? Number(b) : undefined);

/** An integer within ±(2⁵³−1), as a number; a larger one is refused (declare it `bigint`). */
export const integer: Conv<number> = {
  type: 'integer',
  toTerm: (v) => (Number.isSafeInteger(v) ? v : fail('must be an integer within ±(2^53-1)', v)),
  fromTerm: (t) =>
    typeof t === 'number' && Number.isInteger(t)
      ? t
      : typeof t === 'bigint'
        ? safe(t) ?? fail('is an integer beyond ±(2^53-1): declare it bigint', t)
        : fail('must be an integer', t),
};

/** Any integer, always a bigint in JS. */
export const bigint: Conv<bigint> = {
  type: 'bigint',
  toTerm: (v) => (typeof v === 'bigint' ? v : fail('must be a bigint', v)),
  fromTerm: (t) => (typeof t === 'bigint' ? t : typeof t === 'number' && Number.isInteger(t) ? BigInt(t) : fail('must be an integer', t)),
};

/** A float; an integral JS number goes out as a float (1 → 1.0), never as an integer. */
export const float: Conv<number> = {
  type: 'float',
  toTerm: (v) => (typeof v !== 'number' || !Number.isFinite(v) ? fail('must be a finite number', v) : Number.isInteger(v) ? new Float(v) : v),
  fromTerm: (t) => (t instanceof Float ? t.value : typeof t === 'number' && !Number.isInteger(t) ? t : fail('must be a float', t)),
};

/** An integer or a float, as Erlang's number(): integral values go out as integers. */
export const number: Conv<number> = {
  type: 'number',
  toTerm: (v) => (typeof v === 'number' && Number.isFinite(v) && (!Number.isInteger(v) || Number.isSafeInteger(v)) ? v : fail('must be a finite number (integers within ±(2^53-1))', v)),
  fromTerm: (t) =>
    typeof t === 'number' ? t : t instanceof Float ? t.value : typeof t === 'bigint' ? (safe(t) ?? fail('is an integer beyond ±(2^53-1)', t)) : fail('must be a number', t),
};

export const boolean: Conv<boolean> = {
  type: 'boolean',
  toTerm: (v) => (typeof v === 'boolean' ? v : fail('must be a boolean', v)),
  fromTerm: (t) => (typeof t === 'boolean' ? t : t === TRUE ? true : t === FALSE ? false : fail('must be a boolean (true or false)', t)),
};

/** A binary holding UTF-8 text, as a JS string. Invalid UTF-8 is refused, never replaced. */
export const binary: Conv<string> = {
  type: 'binary',
  toTerm: (v) => (typeof v === 'string' ? toBinary(v) : fail('must be a string', v)),
  fromTerm: (t) => {
    if (typeof t === 'string') return t;
    if (!(t instanceof Uint8Array)) return fail('must be a binary', t);
    try {
      return strict.decode(t);
    } catch {
      return fail('must be UTF-8 text', t);
    }
  },
};

/** A binary as its bytes. */
export const bytes: Conv<Uint8Array> = {
  type: 'bytes',
  toTerm: (v) => (v instanceof Uint8Array ? v : fail('must be a Uint8Array', v)),
  fromTerm: (t) => (t instanceof Uint8Array ? t : typeof t === 'string' ? toBinary(t) : fail('must be a binary', t)),
};

/** An Erlang string (a list of code points), as a JS string. */
export const charlist: Conv<string> = {
  type: 'charlist',
  toTerm: (v) => (typeof v === 'string' ? toCharlist(v) : fail('must be a string', v)),
  fromTerm: (t) => {
    try {
      return fromCharlist(t);
    } catch (e) {
      return fail(`must be a charlist: ${(e as Error).message}`, t);
    }
  },
};

export const pid: Conv<Pid> = {
  type: 'pid',
  toTerm: (v) => (v instanceof Pid ? v : fail('must be a pid', v)),
  fromTerm: (t) => (t instanceof Pid ? t : fail('must be a pid', t)),
};

export const reference: Conv<Reference> = {
  type: 'reference',
  toTerm: (v) => (v instanceof Reference ? v : fail('must be a reference', v)),
  fromTerm: (t) => (t instanceof Reference ? t : fail('must be a reference', t)),
};

/** Any term, unchecked beyond being present. */
export const term: Conv<Term> = {
  type: 'term',
  toTerm: (v) => (v === undefined || v === null ? fail('must be a term', v) : v),
  fromTerm: (t) => t,
};
