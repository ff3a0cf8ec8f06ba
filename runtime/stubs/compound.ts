/**
 * Converters for the compound types of the service-schema vocabulary: list,
 * tuple, map with fixed atom keys, map_of, record. Each checks its own shape
 * and adds its step to the path of a {@link Mismatch} thrown inside, so the
 * path is only built when something is wrong.
 */
import { Atom } from '../term/atom.js';
import { format } from '../term/format.js';
import { Tuple, type Term } from '../term/values.js';
import { Mismatch } from './errors.js';
import type { Conv } from './scalars.js';

const fail = (detail: string, value: unknown): never => {
  throw new Mismatch(detail, value);
};

/** Runs `f`; a Mismatch inside gets `step` put in front of its path. */
function at<R>(step: string | number, f: () => R): R {
  try {
    return f();
  } catch (e) {
    if (e instanceof Mismatch) e.at.unshift(step);
    throw e;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map) && !(v instanceof Tuple) && !(v instanceof Uint8Array);

/** A plain object: the one kind of object term that is a map (a Pid or an Atom is not). */
const isPlainMap = (t: Term): t is Record<string, Term> => {
  if (typeof t !== 'object' || t === null || Array.isArray(t)) return false;
  const proto: unknown = Object.getPrototypeOf(t);
  return proto === Object.prototype || proto === null;
};

/** A proper list of T, as an array. */
export function list<T>(of: Conv<T>): Conv<T[]> {
  return {
    type: `list of ${of.type}`,
    toTerm: (v) => (Array.isArray(v) ? v.map((x, i) => at(i, () => of.toTerm(x))) : fail('must be an array', v)),
    fromTerm: (t) => (Array.isArray(t) ? t.map((x, i) => at(i, () => of.fromTerm(x))) : fail('must be a proper list', t)),
  };
}

/** A tuple of fixed size, as a TS tuple. */
export function tuple<T extends unknown[]>(...of: { [K in keyof T]: Conv<T[K]> }): Conv<T> {
  const cs = of as readonly Conv<unknown>[];
  const n = cs.length;
  return {
    type: `{${cs.map((c) => c.type).join(', ')}}`,
    toTerm: (v) => {
      if (!Array.isArray(v) || v.length !== n) return fail(`must be an array of ${n} elements`, v);
      return new Tuple(cs.map((c, i) => at(i, () => c.toTerm(v[i]))));
    },
    fromTerm: (t) => {
      if (!(t instanceof Tuple) || t.size !== n) return fail(`must be a tuple of ${n} elements`, t);
      return cs.map((c, i) => at(i, () => c.fromTerm(t.elements[i]!))) as T;
    },
  };
}

/** A field of a fixed-key map that may be absent; see {@link map}. */
export interface Optional<T> {
  readonly optional: true;
  readonly conv: Conv<T>;
}

export const optional = <T>(conv: Conv<T>): Optional<T> => ({ optional: true, conv });

type Fields = Record<string, Conv<unknown> | Optional<unknown>>;
type Simplify<T> = { [K in keyof T]: T[K] };
/** The object type a fixed-key map decodes to: an Optional field is an optional property. */
export type MapShape<F extends Fields> = Simplify<
  { [K in keyof F as F[K] extends Optional<unknown> ? never : K]: F[K] extends Conv<infer T> ? T : never } & {
    [K in keyof F as F[K] extends Optional<unknown> ? K : never]?: F[K] extends Optional<infer T> ? T : never;
  }
>;

/** A map's value for the atom `key`; a plain-object map term is read by property (own ones only). */
function lookup(t: Map<Term, Term> | Record<string, Term>, key: string): Term | undefined {
  if (!(t instanceof Map)) return Object.hasOwn(t, key) ? t[key] : undefined;
  const v = t.get(Atom.of(key));
  // The atoms true and false decode as booleans, also as keys.
  return v === undefined && (key === 'true' || key === 'false') ? t.get(key === 'true') : v;
}

/** A map with fixed atom keys, as an object; keys the schema does not name are ignored on the way in. */
export function map<F extends Fields>(fields: F): Conv<MapShape<F>> {
  const entries = Object.entries(fields).map(([k, f]) => ('optional' in f ? { k, c: f.conv, opt: true } : { k, c: f, opt: false }));
  return {
    type: `#{${entries.map((e) => `${e.k}${e.opt ? ' =>' : ' :='} ${e.c.type}`).join(', ')}}`,
    toTerm: (value) => {
      const v: unknown = value;
      if (!isObject(v)) return fail('must be an object', v);
      const m = new Map<Term, Term>();
      for (const { k, c, opt } of entries) {
        const x = Object.hasOwn(v, k) ? v[k] : undefined;
        if (x === undefined) {
          if (opt) continue;
          return fail(`has no field ${k}`, v);
        }
        m.set(Atom.of(k), at(k, () => c.toTerm(x)));
      }
      return m;
    },
    fromTerm: (t) => {
      if (!(t instanceof Map) && !isPlainMap(t)) return fail('must be a map', t);
      const o: Record<string, unknown> = {};
      for (const { k, c, opt } of entries) {
        const x = lookup(t, k);
        if (x === undefined) {
          if (opt) continue;
          return fail(`has no key ${k}`, t);
        }
        o[k] = at(k, () => c.fromTerm(x));
      }
      return o as MapShape<F>;
    },
  };
}

/** A map with keys of one type and values of another, as a JS Map (keys converted, so atom keys are strings). */
export function mapOf<K, V>(key: Conv<K>, value: Conv<V>): Conv<Map<K, V>> {
  const step = (k: unknown): string => `#${typeof k === 'string' ? JSON.stringify(k) : format(k as Term).slice(0, 40)}`;
  return {
    type: `#{${key.type} => ${value.type}}`,
    toTerm: (v) => {
      if (!(v instanceof Map)) return fail('must be a Map', v);
      const m = new Map<Term, Term>();
      for (const [k, x] of v) m.set(at(step(k), () => key.toTerm(k)), at(step(k), () => value.toTerm(x)));
      return m;
    },
    fromTerm: (t) => {
      if (!(t instanceof Map) && !isPlainMap(t)) return fail('must be a map', t);
      const m = new Map<K, V>();
      const pairs: [Term, Term][] = t instanceof Map ? [...t] : Object.entries(t).map(([k, x]) => [Atom.of(k), x]);
      for (const [k, x] of pairs) m.set(at(step(k), () => key.fromTerm(k)), at(step(k), () => value.fromTerm(x)));
      return m;
    },
  };
}

/** A record: the tuple {Name, Field1, ...}, as an object with the fields in order. */
export function record<F extends Record<string, Conv<unknown>>>(name: string, fields: F): Conv<MapShape<F>> {
  const tag = Atom.of(name);
  const entries = Object.entries(fields);
  const n = entries.length + 1;
  return {
    type: `#${name}{}`,
    toTerm: (value) => {
      const v: unknown = value;
      if (!isObject(v)) return fail(`must be an object (record ${name})`, v);
      const out: Term[] = [tag];
      for (const [k, c] of entries) {
        if (!Object.hasOwn(v, k) || v[k] === undefined) return fail(`has no field ${k}`, v);
        out.push(at(k, () => c.toTerm(v[k])));
      }
      return new Tuple(out);
    },
    fromTerm: (t) => {
      if (!(t instanceof Tuple) || t.size !== n || t.elements[0] !== tag) return fail(`must be a #${name}{} record: a tuple of ${n} elements tagged ${format(tag)}`, t);
      const o: Record<string, unknown> = {};
      entries.forEach(([k, c], i) => (o[k] = at(k, () => c.fromTerm(t.elements[i + 1]!))));
      return o as MapShape<F>;
    },
  };
}
