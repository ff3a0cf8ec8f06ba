/**
 * mitogen's `econtext` arguments, made explicit: a function wrapped in
 * `withContext` is called by its context as `fn(injected, ...args)`, where
 * `injected` carries the router, the calling context and the node. Nothing is
 * ever injected by parameter name. The mark is a `Symbol.for` registry key,
 * so it survives bundling: the bundle's `require('beamwire')` may be another
 * copy of the runtime than the one that loads it, and both read the same key.
 */

const MARK: unique symbol = Symbol.for('beamwire.withContext') as never;

/**
 * What a context passes to a `withContext` function. The lead's Router fills it;
 * the fields are typed `unknown` here so that this file depends on nothing.
 */
export interface Injected {
  /** The Router of the context the function runs in. */
  readonly router: unknown;
  /** The context that made the call. */
  readonly caller: unknown;
  /** The beamwire Node of the context the function runs in. */
  readonly node: unknown;
}

/** A function marked by `withContext`: its first parameter is supplied by the context, not the caller. */
export type ContextFunction<A extends unknown[] = never[], R = unknown, I = Injected> = ((injected: I, ...args: A) => R) & {
  readonly [MARK]: true;
};

/**
 * Marks `fn` so that a context calls it with what it injects in front of the
 * caller's arguments. Returns `fn` itself: called directly (in a unit test,
 * say) it takes the injected value as its first argument, as its type says.
 */
export function withContext<A extends unknown[], R, I = Injected>(fn: (injected: I, ...args: A) => R): ContextFunction<A, R, I> {
  if (typeof fn !== 'function') throw new TypeError(`withContext takes a function, not ${typeof fn}`);
  Object.defineProperty(fn, MARK, { value: true });
  return fn as ContextFunction<A, R, I>;
}

/** Whether `f` was marked by `withContext` (by any copy of beamwire). */
export function isContextFunction(f: unknown): f is ContextFunction {
  return typeof f === 'function' && (f as { [MARK]?: unknown })[MARK] === true;
}

/**
 * A module as the caller sees it through a context: its functions only, each
 * returning a promise, `withContext` functions without their injected parameter.
 */
export type RemoteModule<T> = {
  readonly [K in keyof T as T[K] extends (...args: never[]) => unknown ? K : never]: T[K] extends ContextFunction<infer A, infer R, any>
    ? (...args: A) => Promise<Awaited<R>>
    : T[K] extends (...args: infer A) => infer R
      ? (...args: A) => Promise<Awaited<R>>
      : never;
};
