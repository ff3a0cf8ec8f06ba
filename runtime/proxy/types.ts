/**
 * `Remote<T>`: a TypeScript interface as its proxy. Every method is async;
 * every property is an awaitable read, which is also the remote thing
 * itself, so calls on it are pipelined; functions in arguments are passed
 * by reference. What `await` gives (`Settled<T>`): plain data as itself,
 * an object with methods or a function as a reference (a Remote, which is
 * Disposable), an AsyncIterable, ReadableStream or Readable as a
 * RemoteStream. At run time a class instance is a reference and a plain
 * object is data (whose functions are references); the types read "has
 * methods" as "is a reference", which is what a class instance has.
 */
import type { RemoteStream } from './stream.js';

type Primitive = string | number | boolean | bigint | symbol | null | undefined | void;
type Fn = (...args: never[]) => unknown;
type HasMethods<T> = [{ [K in keyof T]-?: T[K] extends Fn ? K : never }[keyof T]] extends [never] ? false : true;

/** What `await` on a remote result of type T gives. */
export type Settled<T> = T extends Primitive
  ? T
  : T extends AsyncIterable<infer E>
    ? RemoteStream<E>
    : T extends ReadableStream<infer E>
      ? RemoteStream<E>
      : T extends Fn
        ? Remote<T>
        : T extends Date | Uint8Array | Error | RegExp
          ? T
          : T extends ReadonlyMap<infer K, infer V>
            ? Map<Settled<K>, Settled<V>>
            : T extends ReadonlySet<infer E>
              ? Set<Settled<E>>
              : T extends readonly unknown[]
                ? { -readonly [I in keyof T]: Settled<T[I]> }
                : HasMethods<T> extends true
                  ? Remote<T>
                  : { -readonly [K in keyof T]: Settled<T[K]> };

/** The members of a remote T, reached before T itself has arrived. */
type Pipelined<T> = T extends Primitive
  ? unknown
  : T extends Fn
    ? RemoteCall<T>
    : T extends Date | Uint8Array | Error | RegExp | ReadonlyMap<unknown, unknown> | ReadonlySet<unknown> | readonly unknown[] | AsyncIterable<unknown>
      ? unknown
      : Members<T>;

/** A remote result: a promise of `Settled<T>` on which T's members can be used at once (pipelining). */
export type RemotePromise<T> = [T] extends [never] ? Promise<never> : Promise<Settled<T>> & Pipelined<T>;

/**
 * An argument: a value, a function or object passed by reference, a
 * reference given back to its owner, or a pipelined result. A callback is
 * typed as itself, so that its parameters are inferred.
 */
export type RemoteArg<A> = A extends Fn ? A : A | Settled<A> | RemotePromise<A>;
type RemoteArgs<A extends readonly unknown[]> = { [I in keyof A]: RemoteArg<A[I]> };

type RemoteCall<T> = T extends (...args: infer A) => infer R ? (...args: RemoteArgs<A>) => RemotePromise<Awaited<R>> : never;

type Member<V> = V extends Fn ? RemoteCall<V> : RemotePromise<V>;

type Members<T> = { readonly [K in keyof T as K extends string ? K : never]-?: Member<T[K]> };

/** A remote T: what node.proxy<T>() and a reference give. Dispose it (`using`) to release a reference early. */
export type Remote<T> = (T extends Fn ? RemoteCall<T> : unknown) & Members<T> & Disposable;
