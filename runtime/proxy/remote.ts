/**
 * The proxies: an ES Proxy over a function, so that every name read gives
 * a deeper path, a call sends a push at once (never blocking, never
 * waiting for what it is called on), and `await` reads the value. What a
 * proxy stands for is one of: an exposed name, a reference, or an op (a
 * push not yet answered, on which further calls are pipelined; once
 * answered, the proxy acts on the value it gave).
 */
import { inspect } from 'node:util';
import { CallError } from '../router/index.js';
import type { Target } from './messages.js';
import { Op, type CallOptions, type Pushes } from './ops.js';
import type { RefKind } from './tables.js';

export interface RefBase {
  readonly owner: string;
  readonly id: number;
  readonly kind: RefKind;
}
export type Base = { readonly name: string } | { readonly ref: RefBase } | { readonly op: Op };

interface Handle {
  readonly ep: Pushes;
  readonly peer: string;
  readonly base: Base;
  readonly path: readonly string[];
  readonly options: CallOptions;
  /** The proxy of the reference itself, which the import table counts. */
  readonly root: object | undefined;
}

/** What the endpoint encodes a proxy of ours as. */
export type Held = (RefBase & { readonly path: readonly string[] }) | { readonly op: Op; readonly path: readonly string[] };

/** The key under which a proxy gives its handle (to this module only: the symbol is not exported). */
const HANDLE = Symbol('beamwire.remote');

interface ProxyTarget {
  (): void;
  [HANDLE]: Handle;
  /** Proxies of names read on a name or a reference, reused: `api.add` is one proxy however often it is read. */
  children?: Map<string, object>;
}

const handleOf = (o: object): Handle | undefined => (typeof o === 'function' ? ((o as Partial<ProxyTarget>)[HANDLE] as Handle | undefined) : undefined);

/** The path of a proxy of the thing itself, shared. */
const NO_PATH: readonly string[] = Object.freeze([]);

export function makeRemote(ep: Pushes, peer: string, base: Base, options: CallOptions): object {
  return make({ ep, peer, base, path: NO_PATH, options, root: undefined });
}

/** The reference or op a proxy of ours stands for, or undefined for anything else. */
export function refOf(o: object): Held | undefined {
  const h = handleOf(o);
  if (h === undefined) return undefined;
  if ('op' in h.base) return { op: h.base.op, path: h.path };
  if ('ref' in h.base) return { ...h.base.ref, path: h.path };
  return undefined;
}

/** A proxy that calls with other options (a timeout, a signal): `withOptions(calc, { timeout: 100 }).add(1, 2)`. */
export function withOptions<T extends object>(remote: T, options: CallOptions): T {
  const h = handleOf(remote);
  if (h === undefined) throw new TypeError('withOptions takes a remote proxy');
  return make({ ...h, options: { ...h.options, ...options } }) as T;
}

const readOnly = (t: ProxyTarget): never => {
  throw new TypeError(`${describe(t[HANDLE])} is remote: its properties are read-only here`);
};

/** One handler for every proxy: a proxy's state is on its target, so making one allocates no closures. */
const traps: ProxyHandler<ProxyTarget> = {
  get: (t, key, self: object) => (key === HANDLE ? t[HANDLE] : get(t, self, key)),
  apply: (t, _self, args: unknown[]) => {
    const h = t[HANDLE];
    return make({ ep: h.ep, peer: h.peer, base: { op: call(h, args) }, path: NO_PATH, options: h.options, root: undefined });
  },
  construct: (t) => {
    throw new TypeError(`${describe(t[HANDLE])} cannot be constructed remotely`);
  },
  set: readOnly,
  defineProperty: readOnly,
  deleteProperty: readOnly,
  has: () => false,
  ownKeys: () => ['prototype'],
  getOwnPropertyDescriptor: (t, key) => (key === 'prototype' ? Reflect.getOwnPropertyDescriptor(t, key) : undefined),
  getPrototypeOf: () => Function.prototype,
};

function make(h: Handle): object {
  const t = function remote(): void {} as ProxyTarget;
  const proxy = new Proxy(t, traps);
  t[HANDLE] = h.root === undefined && h.path.length === 0 && 'ref' in h.base ? { ...h, root: proxy } : h;
  return proxy;
}

function thenable(h: Handle): boolean {
  return h.path.length > 0 || 'op' in h.base;
}

function get(t: ProxyTarget, self: object, key: string | symbol): unknown {
  const h = t[HANDLE];
  if (key === 'then') return thenable(h) ? (ok?: (v: unknown) => unknown, no?: (e: unknown) => unknown) => read(h).then(ok, no) : undefined;
  if (key === 'catch') return thenable(h) ? (no?: (e: unknown) => unknown) => read(h).catch(no) : undefined;
  if (key === 'finally') return thenable(h) ? (f?: () => void) => read(h).finally(f) : undefined;
  if (key === Symbol.dispose) return () => dispose(h, self);
  if (key === Symbol.asyncDispose) return async () => dispose(h, self);
  if (key === inspect.custom) return () => `[Remote ${describe(h)}]`;
  if (key === Symbol.toPrimitive) return () => `[Remote ${describe(h)}]`;
  if (typeof key === 'symbol') return undefined;
  if ('op' in h.base) return make({ ...h, path: [...h.path, key] });
  let child = t.children?.get(key);
  if (child === undefined) (t.children ??= new Map()).set(key, (child = make({ ...h, path: [...h.path, key] })));
  return child;
}

/** `await proxy`: the op's own result, or a `get` of the path. */
function read(h: Handle): Promise<unknown> {
  const b = h.base;
  if ('op' in b) {
    if (h.path.length === 0) {
      b.op.want();
      return b.op.promise;
    }
    if (!b.op.pipelinable) return b.op.promise.then((v) => at(v, h.path).value);
  }
  return send(h, 'get', []).promise;
}

function call(h: Handle, args: unknown[]): Op {
  const b = h.base;
  if ('op' in b && !b.op.pipelinable) {
    return Op.later(
      b.op.promise.then((v) => {
        const { value, holder } = at(v, h.path);
        if (typeof value !== 'function') throw new TypeError(`${h.path.join('.') || 'the result'} of ${describe(h)} is not a function`);
        return Reflect.apply(value, holder, args) as unknown;
      }),
    );
  }
  return send(h, 'call', args);
}

function send(h: Handle, kind: 'get' | 'call', args: unknown[]): Op {
  const b = h.base;
  if ('ref' in b && h.root !== undefined && h.ep.imports.isReleased(h.root)) {
    const op = new Op(0, undefined);
    op.fail(new CallError(h.peer, describe(h), 'CallError', 'released', undefined, { code: 'RELEASED', message: `${describe(h)}: the reference was released (disposed)` }));
    return op;
  }
  const target: Target = 'name' in b ? { name: b.name } : 'ref' in b ? { ref: b.ref.id } : { op: b.op.id };
  return h.ep.push(h.peer, target, h.path, kind, args, h.options, 'op' in b ? b.op : undefined);
}

/** A path read on a value already here (a settled op's): a remote proxy in it goes on remotely. */
function at(v: unknown, path: readonly string[]): { value: unknown; holder: unknown } {
  let holder: unknown = undefined;
  let value = v;
  for (const key of path) {
    if (value === null || value === undefined) throw new TypeError(`cannot read ${key} of ${String(value)}`);
    holder = value;
    value = (value as Record<string, unknown>)[key];
  }
  return { value, holder };
}

function dispose(h: Handle, self: object): void {
  const b = h.base;
  if ('ref' in b) {
    const root = h.root ?? handleOf(self)?.root;
    if (root !== undefined) h.ep.imports.dispose(root);
    return;
  }
  // `using u = await calc.users.get(7)` disposes the reference; a disposed op releases what it gave, when it gives it.
  if ('op' in b && h.path.length === 0) {
    void b.op.promise.then(
      (v) => typeof v === 'function' && handleOf(v) !== undefined && (v as Partial<Disposable>)[Symbol.dispose]?.(),
      () => undefined,
    );
  }
}

function describe(h: Handle): string {
  const b = h.base;
  const base = 'name' in b ? b.name : 'ref' in b ? `reference ${b.ref.id}` : 'a result';
  return `${[base, ...h.path].join('.')} on ${h.peer}`;
}
