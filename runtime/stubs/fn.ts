/**
 * One Erlang function of a service schema, both ways: {@link Fn.call} sends a
 * typed call through an {@link RpcCaller} (node.rpc) and checks the result,
 * {@link serve} wraps a TypeScript implementation for node.expose and checks
 * the arguments a peer sends. Generated stubs (generated/services/) are a
 * table of these.
 */
import type { Term } from '../term/values.js';
import { BadArgError, BadResultError, joinPath, Mismatch, UndefError } from './errors.js';
import type { Conv } from './scalars.js';

export interface CallOptions {
  /** Milliseconds to wait for the reply (node.rpc's default when absent). */
  timeout?: number;
  /** Abandons the call (node.rpc rejects with `signal.reason`). */
  signal?: AbortSignal;
}

/** What a stub needs from a node: node.rpc's signature (a Node is an RpcCaller). */
export interface RpcCaller {
  rpc(node: string, module: string, fun: string, args: Term[], opts?: CallOptions): Promise<Term>;
}

/** What node.expose takes: one function per Erlang function name, any arity. */
export type Exposed = Record<string, (...args: Term[]) => Promise<Term>>;

type Convs<A extends unknown[]> = { [K in keyof A]: Conv<A[K]> };

export class Fn<A extends unknown[], R> {
  /** `lists:seq/2`. */
  readonly mfa: string;
  constructor(
    readonly module: string,
    readonly name: string,
    readonly args: Convs<A>,
    readonly result: Conv<R>,
  ) {
    this.mfa = `${module}:${name}/${args.length}`;
  }

  /** The arguments as terms; a JS value of the wrong shape is a BadArgError before anything is sent. */
  encodeArgs(args: A): Term[] {
    const cs = this.args as readonly Conv<unknown>[];
    if (args.length !== cs.length) throw new BadArgError(this.mfa, Math.min(args.length, cs.length), 'args', `must be ${cs.length} arguments`, args.length);
    return cs.map((c, i) => this.arg(i, () => c.toTerm(args[i])));
  }

  /** A peer's arguments as typed values; BadArgError names the argument and the place in it. */
  decodeArgs(terms: readonly Term[]): A {
    const cs = this.args as readonly Conv<unknown>[];
    if (terms.length !== cs.length) throw new UndefError(this.module, this.name, terms.length);
    return cs.map((c, i) => this.arg(i, () => c.fromTerm(terms[i]!))) as A;
  }

  decodeResult(t: Term): R {
    return this.res(() => this.result.fromTerm(t));
  }

  encodeResult(v: R): Term {
    return this.res(() => this.result.toTerm(v));
  }

  /** Calls `module:name(Args...)` on `target` and returns the checked, converted result. */
  async call(caller: RpcCaller, target: string, args: A, opts?: CallOptions): Promise<R> {
    const result = await caller.rpc(target, this.module, this.name, this.encodeArgs(args), opts);
    return this.decodeResult(result);
  }

  private arg<T>(i: number, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof Mismatch) throw new BadArgError(this.mfa, i, joinPath(`args[${i}]`, e.at), e.detail, e.value);
      throw e;
    }
  }

  private res<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof Mismatch) throw new BadResultError(this.mfa, joinPath('result', e.at), e.detail, e.value);
      throw e;
    }
  }
}

export const fn = <A extends unknown[], R>(module: string, name: string, args: Convs<A>, result: Conv<R>): Fn<A, R> => new Fn(module, name, args, result);

/** An implementation of one function, paired with its spec. */
export interface Served {
  readonly fn: Fn<unknown[], unknown>;
  readonly impl: (...args: never[]) => unknown;
}

export const serve = <A extends unknown[], R>(f: Fn<A, R>, impl: (...args: A) => R | Promise<R>): Served => ({ fn: f as unknown as Fn<unknown[], unknown>, impl: impl as (...args: never[]) => unknown });

/**
 * The record node.expose takes: per Erlang name, a function that picks the
 * arity, checks and converts the arguments (BadArgError), runs the
 * implementation and checks its result (BadResultError: the implementation broke the schema).
 */
export function expose(served: readonly Served[]): Exposed {
  const byName = new Map<string, Map<number, Served>>();
  for (const s of served) {
    const arities = byName.get(s.fn.name) ?? new Map<number, Served>();
    arities.set(s.fn.args.length, s);
    byName.set(s.fn.name, arities);
  }
  const out: Exposed = {};
  for (const [name, arities] of byName) {
    const module = [...arities.values()][0]!.fn.module;
    Object.defineProperty(out, name, {
      enumerable: true,
      value: async (...terms: Term[]): Promise<Term> => {
        const s = arities.get(terms.length);
        if (s === undefined) throw new UndefError(module, name, terms.length);
        const args = s.fn.decodeArgs(terms);
        return s.fn.encodeResult(await (s.impl as (...a: unknown[]) => unknown)(...args));
      },
    });
  }
  return out;
}

/** A stub object's functions with the caller and the target node filled in: `bind(lists, node, 'erl@host').seq(1, 3)`. */
export type Bound<S> = {
  [K in keyof S]: S[K] extends (caller: RpcCaller, target: string, ...rest: infer A) => infer R ? (...rest: A) => R : never;
};

export function bind<S extends Record<string, (caller: RpcCaller, target: string, ...rest: never[]) => unknown>>(stub: S, caller: RpcCaller, target: string): Bound<S> {
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(stub)) out[k] = (...rest: never[]) => f(caller, target, ...rest);
  return out as Bound<S>;
}
