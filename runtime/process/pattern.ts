/**
 * Patterns for selective receive. A pattern is compiled once into a test
 * function; literals compare with Erlang's `=:=` ({@link equals}); `bind`
 * captures values into a typed bindings object, and a name bound twice must
 * hold equal values, as a repeated variable does in an Erlang pattern.
 */
import { Atom, atom } from '../term/atom.js';
import { equals, mapGet } from '../term/compare.js';
import { BitBinary, Float, Pid, Reference, Tuple, type Term } from '../term/values.js';

export type Bindings = Record<string, Term>;
type Test = (value: Term, into: Bindings) => boolean;

/** A compiled pattern matching values of type `T` and binding `B`. */
export class Pattern<T extends Term = Term, B extends object = {}> {
  /** @internal */
  constructor(
    readonly test: Test,
    /** Whether a match writes bindings (then a fresh bindings object is made per attempt). */
    readonly binds: boolean,
    /**
     * A reference every matching value contains. A message that arrived
     * before that reference was made cannot match, so a receive can skip
     * those (OTP's receive-marker optimisation for `make_ref()` replies).
     */
    readonly ref?: Reference,
  ) {}

  /** Phantom field: carries `T` and `B` for type inference only; never set. */
  declare readonly _types?: [T, B];

  /**
   * A guard: matches when this pattern does and `guard(bindings, value)` is
   * true. As in paragram, a guard that throws counts as no match. Guards run
   * while a message is being delivered: keep them pure and synchronous.
   */
  when(guard: (bindings: B, value: T) => boolean): Pattern<T, B> {
    const test = this.test;
    return new Pattern<T, B>((v, into) => {
      if (!test(v, into)) return false;
      try {
        return guard(into as B, v as T) === true;
      } catch {
        return false;
      }
    }, true, this.ref);
  }
}

/** Anything a pattern position accepts: a pattern, or a term taken as a literal. */
export type PatternLike = Pattern<any, any> | Term;
/** The value type a pattern (or literal) matches. */
export type ValueOf<P> = P extends Pattern<infer T, any> ? T : P extends Term ? P : never;
/** The bindings a pattern (or literal: none) produces. */
export type BindingsOf<P> = P extends Pattern<any, infer B> ? B : {};
type AllBindings<Ps extends readonly unknown[]> = Ps extends readonly [infer H, ...infer R] ? BindingsOf<H> & AllBindings<R> : {};
type Values<Ps extends readonly unknown[]> = { -readonly [K in keyof Ps]: ValueOf<Ps[K]> };
/** Flattens an intersection of binding records into one object type, for readable hovers. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

const REST = Symbol('rest');
/** `P.rest()` / `P.rest('name')`: the remaining elements of a tuple or list (last position only). */
export class Rest<N extends string | undefined = undefined> {
  readonly [REST] = true;
  constructor(readonly name: N) {}
}
type RestBinding<R> = R extends Rest<infer N> ? (N extends string ? { [K in N]: Term[] } : {}) : {};
type Elements = readonly PatternLike[] | readonly [...PatternLike[], Rest<any>];
type ElemBindings<Ps extends readonly unknown[]> = Ps extends readonly [...infer I, infer L]
  ? L extends Rest<any>
    ? AllBindings<I> & RestBinding<L>
    : AllBindings<Ps>
  : AllBindings<Ps>;
type ElemValues<Ps extends readonly unknown[]> = Ps extends readonly [...infer I, infer L]
  ? L extends Rest<any>
    ? [...Values<I>, ...Term[]]
    : Values<Ps>
  : Values<Ps>;

/** Compiles a pattern-like value: a pattern stays as it is, anything else is a literal. */
export function compile(p: PatternLike): Pattern<any, any> {
  return p instanceof Pattern ? p : literal(p);
}

const ANY = new Pattern<Term, {}>(() => true, false);

function literal<T extends Term>(lit: T): Pattern<T, {}> {
  if (lit instanceof Atom) {
    // Atoms are interned; `true`/`false` also arrive as JS booleans.
    const name = lit.name;
    const asBool = name === 'true' ? true : name === 'false' ? false : undefined;
    return new Pattern((v) => v === lit || (asBool !== undefined && v === asBool), false);
  }
  if (typeof lit === 'number' && Number.isSafeInteger(lit)) {
    const big = BigInt(lit);
    return new Pattern((v) => v === lit || v === big, false);
  }
  if (typeof lit === 'boolean') {
    const a = atom(String(lit));
    return new Pattern((v) => v === lit || v === a, false);
  }
  return new Pattern((v) => v === lit || equals(lit, v), false, lit instanceof Reference ? lit : undefined);
}

function sequence(items: Elements, read: (v: Term) => readonly Term[] | undefined): Test {
  const last = items[items.length - 1];
  const rest = last instanceof Rest ? last : undefined;
  const fixed = (rest === undefined ? items : items.slice(0, -1)).map((p) => compile(p as PatternLike).test);
  const n = fixed.length;
  const restName = rest?.name as string | undefined;
  return (v, into) => {
    const els = read(v);
    if (els === undefined || (rest === undefined ? els.length !== n : els.length < n)) return false;
    for (let i = 0; i < n; i++) if (!fixed[i]!(els[i]!, into)) return false;
    if (restName !== undefined) return bindName(into, restName, els.slice(n));
    return true;
  };
}

function bindName(into: Bindings, name: string, value: Term): boolean {
  if (Object.hasOwn(into, name)) return equals(into[name]!, value);
  into[name] = value;
  return true;
}

/** The first reference some element requires (see {@link Pattern.ref}). */
function refIn(items: readonly unknown[]): Reference | undefined {
  for (const p of items) {
    if (p instanceof Reference) return p;
    if (p instanceof Pattern && p.ref !== undefined) return p.ref;
  }
  return undefined;
}

const bindsAny = (items: readonly unknown[]): boolean =>
  items.some((p) => (p instanceof Pattern && p.binds) || (p instanceof Rest && p.name !== undefined));

const isInteger = (v: Term): v is number | bigint => (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint';
const isFloat = (v: Term): v is number | Float => (typeof v === 'number' && !Number.isInteger(v)) || v instanceof Float;
const isBinary = (v: Term): v is Uint8Array | string | BitBinary =>
  v instanceof Uint8Array || typeof v === 'string' || (v instanceof BitBinary && v.bits === 8);
const tupleElements = (v: Term): readonly Term[] | undefined => (v instanceof Tuple ? v.elements : undefined);
const listElements = (v: Term): readonly Term[] | undefined => (Array.isArray(v) ? v : undefined);

function kind<T extends Term>(is: (v: Term) => boolean, lit: Term | undefined): Pattern<T, {}> {
  if (lit === undefined) return new Pattern<T, {}>((v) => is(v), false);
  const l = literal(lit);
  return new Pattern<T, {}>((v, into) => is(v) && l.test(v, into), false, l.ref);
}

/** The pattern builder. Import `P` and `_` (the wildcard). */
export const P = {
  /** Matches anything, binds nothing (Erlang's `_`). */
  any: ANY,

  /** A literal, compared with `=:=`; what a bare term in a pattern position means. */
  lit: <T extends Term>(value: T): Pattern<T, {}> => literal(value),

  /** Binds the value to `name` (matching `sub` first, when given). */
  bind<N extends string, S extends PatternLike = Pattern<Term, {}>>(
    name: N,
    sub?: S,
  ): Pattern<ValueOf<S>, Simplify<BindingsOf<S> & { [K in N]: ValueOf<S> }>> {
    const compiled = sub === undefined ? undefined : compile(sub);
    const inner = compiled?.test;
    return new Pattern((v, into) => (inner === undefined || inner(v, into)) && bindName(into, name, v), true, compiled?.ref);
  },

  /** An atom: any atom (`true`/`false` included), or the one named. */
  atom: (name?: string): Pattern<Atom | boolean, {}> =>
    kind((v) => v instanceof Atom || typeof v === 'boolean', name === undefined ? undefined : atom(name)),
  /** An integer (`number` or `bigint`), or the one given. */
  integer: (value?: number | bigint): Pattern<number | bigint, {}> => kind(isInteger, value),
  /** A float (a non-integral `number` or a `Float`). */
  float: (): Pattern<number | Float, {}> => kind(isFloat, undefined),
  /** Any number, integer or float. */
  number: (): Pattern<number | bigint | Float, {}> => kind((v) => isInteger(v) || isFloat(v), undefined),
  /** A binary (`Uint8Array`, JS string, whole-byte `BitBinary`), or the one given (a string means its UTF-8). */
  binary: (value?: string | Uint8Array): Pattern<Uint8Array | string | BitBinary, {}> => kind(isBinary, value),
  /** A pid, or the one given. */
  pid: (value?: Pid): Pattern<Pid, {}> => kind((v) => v instanceof Pid, value),
  /** A reference, or the one given. */
  ref: (value?: Reference): Pattern<Reference, {}> => kind((v) => v instanceof Reference, value),

  /** A tuple of exactly these elements, or at least the fixed ones when the last is `P.rest()`. */
  tuple<const Ps extends Elements>(...elements: Ps): Pattern<Tuple<ElemValues<Ps>>, Simplify<ElemBindings<Ps>>> {
    return new Pattern(sequence(elements, tupleElements), bindsAny(elements), refIn(elements));
  },
  /** A proper list of exactly these elements, or at least the fixed ones when the last is `P.rest()`. */
  list<const Ps extends Elements>(...elements: Ps): Pattern<ElemValues<Ps>, Simplify<ElemBindings<Ps>>> {
    return new Pattern(sequence(elements, listElements), bindsAny(elements), refIn(elements));
  },
  /** A proper list whose every element matches `element` (bindings inside `element` are not kept). */
  listOf<S extends PatternLike>(element: S): Pattern<ValueOf<S>[], {}> {
    const t = compile(element).test;
    return new Pattern((v) => Array.isArray(v) && v.every((e) => t(e, {})), false);
  },
  /** The rest of a tuple or list, bound to `name` as an array when named. */
  rest: <N extends string | undefined = undefined>(name?: N): Rest<N> => new Rest(name as N),

  /**
   * A map holding at least these keys (a subset match, as `#{k := V}`), whose
   * values match. An object spec names atom keys; a `Map` spec takes any key
   * terms. Matches `Map`s and plain objects (maps with atom keys).
   */
  map<const S extends Readonly<Record<string, PatternLike>>>(spec: S): Pattern<Map<Term, Term> | Record<string, Term>, MapBindings<S>> {
    return mapPattern(Object.entries(spec).map(([k, p]) => [atom(k), p] as const));
  },
  mapOf(spec: ReadonlyMap<Term, PatternLike>): Pattern<Map<Term, Term> | Record<string, Term>, Bindings> {
    return mapPattern([...spec]);
  },

  /** A predicate as a pattern (a type guard narrows the value type); throwing counts as no match. */
  is<T extends Term = Term>(pred: ((v: Term) => v is T) | ((v: Term) => boolean)): Pattern<T, {}> {
    return ANY.when((_b, v) => pred(v)) as Pattern<T, {}>;
  },
  /** The first of `alternatives` that matches (bindings of the one that matched). */
  or<const Ps extends readonly PatternLike[]>(...alternatives: Ps): Pattern<ValueOf<Ps[number]>, Partial<Simplify<AllBindings<Ps>>>> {
    const tests = alternatives.map((p) => compile(p).test);
    const binds = bindsAny(alternatives);
    return new Pattern((v, into) => {
      for (const t of tests) {
        const scratch: Bindings = binds ? { ...into } : into;
        if (t(v, scratch)) {
          if (binds) Object.assign(into, scratch);
          return true;
        }
      }
      return false;
    }, binds);
  },
};

/** Erlang's `_`. */
export const _ = ANY;

// An object spec binds what all its values bind.
type MapBindings<S> = [keyof S] extends [never] ? {} : Simplify<UnionToIntersection<{ [K in keyof S]: BindingsOf<S[K]> }[keyof S]>>;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

function mapPattern(entries: ReadonlyArray<readonly [Term, PatternLike]>): Pattern<any, any> {
  const tests = entries.map(([k, p]) => [k, compile(p).test] as const);
  const binds = bindsAny(entries.map(([, p]) => p));
  return new Pattern(
    (v, into) => {
      for (const [k, t] of tests) {
        const found = lookup(v, k);
        if (found === undefined || !t(found, into)) return false;
      }
      return true;
    },
    binds,
    refIn(entries.map(([k, p]) => (k instanceof Reference ? k : p))),
  );
}

/** The value under `key` in a `Map` or a plain object (a map with atom keys), or undefined when `v` is neither or lacks it. */
function lookup(v: Term, key: Term): Term | undefined {
  if (v instanceof Map) return mapGet(v, key);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return undefined;
  if (!(key instanceof Atom) || !Object.hasOwn(v, key.name)) return undefined;
  return (v as Record<string, Term>)[key.name];
}
