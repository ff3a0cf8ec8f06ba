/**
 * What a proxy may reach of an exposed object. A path is a list of names
 * (`['stats', 'mean']`). With `allow`, only the paths its patterns name
 * are reachable (`*` stands for one name, `**` for any number of them, so
 * `users.*` reaches `users.get` but not `users.db.drop`); without it, the
 * object's own properties and its class's methods, at any depth. Either way
 * a name is reached only when it is the object's own or defined by one of
 * its classes: never `__proto__`, `constructor`, `prototype`, a symbol, or
 * what every object or function inherits (`toString`, `call`, `bind`, ...).
 */
import { CallError } from '../router/index.js';

/** The longest path a request may name. */
export const MAX_PATH = 64;

const NEVER = new Set(['__proto__', 'constructor', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__']);
const BUILTIN_PROTOTYPES = new Set<object>([Object.prototype, Function.prototype, Array.prototype, Promise.prototype]);

export class Policy {
  readonly #patterns: readonly (readonly string[])[] | undefined;

  constructor(allow?: readonly string[]) {
    this.#patterns = allow?.map((p) => p.split('.'));
  }

  /** Every path that the default rule reaches. */
  static readonly open = new Policy();

  allows(path: readonly string[]): boolean {
    if (this.#patterns === undefined) return true;
    return this.#patterns.some((p) => matches(p, 0, path, 0));
  }
}

function matches(p: readonly string[], i: number, path: readonly string[], j: number): boolean {
  if (i === p.length) return j === path.length;
  if (p[i] === '**') return matches(p, i + 1, path, j) || (j < path.length && matches(p, i, path, j + 1));
  return j < path.length && (p[i] === '*' || p[i] === path[j]) && matches(p, i + 1, path, j + 1);
}

/** Where a refusal came from, for its message: `calc on a@host` (an object that says so when asked). */
export type Where = string | { toString(): string };

export function notAllowed(where: Where, path: readonly string[], why: string): CallError {
  const target = path.length === 0 ? '(the object itself)' : path.join('.');
  return new CallError(String(where), target, 'CallError', why, undefined, { code: 'NOT_ALLOWED', message: `${target} on ${where}: not allowed (${why})` });
}

/** True when `key` is `o`'s own or defined by one of its classes (not by Object, Function, Array or Promise). */
export function isMember(o: object, key: string): boolean {
  if (NEVER.has(key)) return false;
  for (let p: object | null = o; p !== null && !BUILTIN_PROTOTYPES.has(p); p = Object.getPrototypeOf(p) as object | null) {
    if (Object.prototype.hasOwnProperty.call(p, key)) return true;
  }
  return false;
}

/**
 * Walks `path` from `root`: each name must be a member (see isMember) of
 * an object, and the whole path one that `policy` allows. Gives the value
 * at the end and the object it was read from (the `this` of a call).
 */
export function walk(root: unknown, path: readonly string[], policy: Policy, where: Where): { value: unknown; holder: unknown } {
  if (path.length > MAX_PATH) throw notAllowed(where, path.slice(0, 4), `a path of ${path.length} names is longer than ${MAX_PATH}`);
  if (!policy.allows(path)) throw notAllowed(where, path, 'not in the allow list');
  let holder: unknown = undefined;
  let value = root;
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null) {
      throw notAllowed(where, path.slice(0, i + 1), `${path.slice(0, i).join('.') || 'the object'} is ${value === null ? 'null' : typeof value}, which has no members`);
    }
    if (!isMember(value, key)) throw notAllowed(where, path.slice(0, i + 1), `${key} is not a member of ${describe(value)}`);
    holder = value;
    value = (value as Record<string, unknown>)[key];
  }
  return { value, holder };
}

function describe(o: object): string {
  const name = (o.constructor as { name?: unknown } | undefined)?.name;
  return typeof o === 'function' ? 'a function' : typeof name === 'string' && name !== 'Object' ? `a ${name}` : 'the object';
}
