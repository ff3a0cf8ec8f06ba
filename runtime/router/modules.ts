/**
 * The context side of module forwarding: a ModuleHost keeps the bundles it
 * was given (by hash, to serve its own children), evaluates each once, and
 * calls its exported functions.
 *
 * Dispatch is mitogen's: calls run one at a time, in arrival order, across
 * every module of the context; an async function's promise settles before the
 * next call starts. A module opts out with `export const concurrency =
 * 'parallel'`: its calls start as they arrive. A serial call that waits on a
 * call back into its own context deadlocks, as in mitogen.
 */
import { createRequire, isBuiltin, SourceMap, type SourceMapPayload } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileFunction } from 'node:vm';
import { brotliDecompressSync } from 'node:zlib';
import { hashOf, SOURCE_MAP_MARKER, WRAPPER_PARAMS, type ModuleBundle } from './bundle.js';
import { isContextFunction, type Injected } from './econtext.js';
import { CallTargetError, ModuleError } from './module-errors.js';

export type Concurrency = 'serial' | 'parallel';

export interface ModuleHostOptions {
  /** What `require('beamwire')` returns inside a module: the context's own runtime (its module namespace). */
  readonly beamwire: object;
  /** Where a missing bundle comes from (the parent). Without it, calling an unknown hash fails with UNKNOWN_MODULE. */
  readonly fetch?: (hash: string) => Promise<ModuleBundle>;
}

interface Job {
  readonly hash: string;
  readonly fnName: string;
  readonly args: readonly unknown[];
  readonly inject: () => Injected;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
}

interface Loaded {
  readonly url: string;
  readonly exports: Readonly<Record<string, unknown>>;
  readonly concurrency: Concurrency;
  readonly stacks: StackMapper;
}

export class ModuleHost {
  readonly #beamwire: object;
  readonly #fetch: ((hash: string) => Promise<ModuleBundle>) | undefined;
  readonly #bundles = new Map<string, ModuleBundle>();
  readonly #fetching = new Map<string, Promise<ModuleBundle>>();
  readonly #loading = new Map<string, Promise<Loaded>>();
  readonly #loaded = new Map<string, Loaded>();
  /** Serial calls in arrival order; those before `#head` have run. */
  readonly #queue: Job[] = [];
  #head = 0;
  /** A call runs, or the head waits for its module. */
  #busy = false;

  constructor(options: ModuleHostOptions) {
    this.#beamwire = options.beamwire;
    this.#fetch = options.fetch;
  }

  has(hash: string): boolean {
    return this.#bundles.has(hash);
  }

  /** The bundle with this hash, to serve a child that lacks it. */
  get(hash: string): ModuleBundle | undefined {
    return this.#bundles.get(hash);
  }

  /** Keeps a bundle after checking that its bytes hash to its hash. Adding one already here is a no-op. */
  add(bundle: ModuleBundle): void {
    if (typeof bundle !== 'object' || bundle === null || !(bundle.code instanceof Uint8Array) || typeof bundle.hash !== 'string') {
      throw new ModuleError('BAD_BUNDLE', '(unknown)', 'not a bundle: needs hash, url, code and size');
    }
    if (typeof bundle.url !== 'string' || !Number.isSafeInteger(bundle.size) || bundle.size < 0) {
      throw new ModuleError('BAD_BUNDLE', bundle.hash, 'not a bundle: needs a url and a size');
    }
    if (this.#bundles.has(bundle.hash)) return;
    const actual = hashOf(bundle.code);
    if (actual !== bundle.hash) throw new ModuleError('HASH_MISMATCH', bundle.url, `claims ${bundle.hash} but its code hashes to ${actual}`);
    this.#bundles.set(bundle.hash, bundle);
  }

  /** The bundle with this hash, asking `fetch` (once, however many ask at the same time) when it is not here. */
  async obtain(hash: string): Promise<ModuleBundle> {
    const here = this.#bundles.get(hash);
    if (here !== undefined) return here;
    const fetch = this.#fetch;
    if (fetch === undefined) throw new ModuleError('UNKNOWN_MODULE', hash, 'no bundle with this hash here');
    let pending = this.#fetching.get(hash);
    if (pending === undefined) {
      pending = fetchChecked(fetch, hash)
        .then((bundle) => (this.add(bundle), bundle))
        .finally(() => this.#fetching.delete(hash));
      this.#fetching.set(hash, pending);
    }
    return pending;
  }

  /**
   * Calls export `fnName` of the module `hash` with `args`; a `withContext`
   * function gets `inject()` in front of them. Resolves with what it returns
   * (awaited), rejects with what it throws, its stack mapped to the user's files.
   */
  call(hash: string, fnName: string, args: readonly unknown[], inject: () => Injected): Promise<unknown> {
    const ready = this.#loaded.get(hash);
    if (ready?.concurrency === 'parallel') return invoke(ready, fnName, args, inject);
    // The call takes its place in the order now, on arrival, even if its module must be fetched first.
    if (ready === undefined) this.#load(hash).catch(() => undefined); // start fetching early; the queue reports failures
    return new Promise((resolve, reject) => {
      this.#queue.push({ hash, fnName, args, inject, resolve, reject });
      if (!this.#busy) this.#pump();
    });
  }

  /**
   * Runs queued calls in order. A function that returns a plain value lets the
   * next call start at once, in the same turn; one that returns a promise (or
   * whose module must load first) holds the queue until it settles.
   */
  #pump(): void {
    this.#busy = true;
    if (this.#head > 1024) {
      // A queue that never empties would keep every finished call.
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
    while (this.#head < this.#queue.length) {
      const job = this.#queue[this.#head]!;
      const mod = this.#loaded.get(job.hash);
      if (mod === undefined) {
        this.#load(job.hash).then(
          () => this.#pump(),
          (e: unknown) => {
            this.#head++;
            job.reject(e);
            this.#pump();
          },
        );
        return;
      }
      this.#head++;
      if (mod.concurrency === 'parallel') {
        invoke(mod, job.fnName, job.args, job.inject).then(job.resolve, job.reject);
        continue;
      }
      let result: unknown;
      let pending: boolean;
      try {
        result = start(mod, job.fnName, job.args, job.inject);
        pending = isThenable(result); // a `then` getter may throw too
      } catch (e) {
        job.reject(mod.stacks.map(e));
        continue;
      }
      if (pending) {
        Promise.resolve(result).then(
          (v) => {
            job.resolve(v);
            this.#pump();
          },
          (e: unknown) => {
            job.reject(mod.stacks.map(e));
            this.#pump();
          },
        );
        return;
      }
      job.resolve(result);
    }
    this.#queue.length = 0;
    this.#head = 0;
    this.#busy = false;
  }

  /** Evaluates the module once; a module whose evaluation threw keeps throwing the same error (as an ES module does). */
  #load(hash: string): Promise<Loaded> {
    let loading = this.#loading.get(hash);
    if (loading === undefined) {
      loading = this.obtain(hash).then(
        (bundle) => this.#evaluate(bundle),
        (e: unknown) => {
          this.#loading.delete(hash); // a failed fetch may succeed later
          throw e;
        },
      );
      this.#loading.set(hash, loading);
    }
    return loading;
  }

  #evaluate(bundle: ModuleBundle): Loaded {
    const source = inflate(bundle);
    const marker = source.lastIndexOf(SOURCE_MAP_MARKER);
    const stacks = new StackMapper(`beamwire-module:${bundle.hash.slice(0, 16)}`, marker < 0 ? undefined : source.slice(marker + SOURCE_MAP_MARKER.length));
    const filename = filenameOf(bundle.url);
    const module = { exports: {} as Record<string, unknown>, filename, id: filename };
    try {
      const fn = compileFunction(source, [...WRAPPER_PARAMS], { filename: stacks.filename });
      fn.call(module.exports, module.exports, this.#requireFor(bundle.url, filename), module, filename, dirname(filename), bundle.url);
    } catch (e) {
      if (e instanceof ModuleError) throw e;
      throw new ModuleError('MODULE_EVAL', bundle.url, `evaluating it threw: ${describe(e)}`, { cause: stacks.map(e) });
    }
    // `module.exports = <not an object>` exports nothing callable.
    const exports: Record<string, unknown> = typeof module.exports === 'object' && module.exports !== null ? module.exports : {};
    const concurrency = exports['concurrency'] ?? 'serial';
    if (concurrency !== 'serial' && concurrency !== 'parallel') {
      throw new ModuleError('BAD_CONCURRENCY', bundle.url, `export concurrency must be 'serial' or 'parallel', not ${describe(concurrency)}`);
    }
    const loaded: Loaded = { url: bundle.url, exports, concurrency, stacks };
    this.#loaded.set(bundle.hash, loaded);
    return loaded;
  }

  /** beamwire is the context's own; builtins and anything else resolve from where the module was at the root. */
  #requireFor(url: string, filename: string): (id: string) => unknown {
    const nodeRequire = createRequire(filename);
    return (id: string) => {
      if (id === 'beamwire') return this.#beamwire;
      if (isBuiltin(id)) return nodeRequire(id);
      try {
        return nodeRequire(id);
      } catch (e) {
        if ((e as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw e;
        throw new ModuleError('MISSING_DEPENDENCY', url, `requires '${id}', which is neither a builtin nor in its bundle, and this context cannot resolve it`, { cause: e });
      }
    };
  }
}

async function fetchChecked(fetch: (hash: string) => Promise<ModuleBundle>, hash: string): Promise<ModuleBundle> {
  const bundle = await fetch(hash);
  if (bundle?.hash !== hash) throw new ModuleError('HASH_MISMATCH', hash, `asked for ${hash}, was sent ${String(bundle?.hash)}`);
  return bundle;
}

async function invoke(mod: Loaded, fnName: string, args: readonly unknown[], inject: () => Injected): Promise<unknown> {
  try {
    return await start(mod, fnName, args, inject);
  } catch (e) {
    throw mod.stacks.map(e);
  }
}

/** Calls the function and returns what it returns, a promise or not. */
function start(mod: Loaded, fnName: string, args: readonly unknown[], inject: () => Injected): unknown {
  const fn = callTarget(mod, fnName);
  return isContextFunction(fn) ? fn(inject(), ...args) : Reflect.apply(fn, undefined, args);
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/** Own exported functions only: nothing inherited, no non-function, no class. */
function callTarget(mod: Loaded, fnName: string): (...args: unknown[]) => unknown {
  if (typeof fnName !== 'string') throw new CallTargetError(mod.url, String(fnName), 'a function name is a string');
  if (!Object.hasOwn(mod.exports, fnName)) throw new CallTargetError(mod.url, fnName, 'the module exports no such name');
  const fn = mod.exports[fnName];
  if (typeof fn !== 'function') throw new CallTargetError(mod.url, fnName, `the export is ${describe(fn)}, not a function`);
  if (/^class\b/.test(Function.prototype.toString.call(fn))) throw new CallTargetError(mod.url, fnName, 'the export is a class');
  return fn as (...args: unknown[]) => unknown;
}

function inflate(bundle: ModuleBundle): string {
  let raw: Buffer;
  try {
    raw = brotliDecompressSync(bundle.code, { maxOutputLength: Math.max(1, bundle.size) });
  } catch (e) {
    throw new ModuleError('BAD_BUNDLE', bundle.url, `its code does not inflate to ${bundle.size} bytes: ${describe(e)}`, { cause: e });
  }
  if (raw.length !== bundle.size) throw new ModuleError('BAD_BUNDLE', bundle.url, `its code inflates to ${raw.length} bytes, not ${bundle.size}`);
  return raw.toString('utf8');
}

function filenameOf(url: string): string {
  try {
    return fileURLToPath(url);
  } catch {
    return url;
  }
}

function describe(v: unknown): string {
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  return typeof v === 'string' ? `'${v}'` : typeof v === 'object' && v !== null ? 'an object' : String(v);
}

/**
 * Rewrites stack frames in the bundle (`beamwire-module:<hash>:line:col`) to
 * the user's file, line and column. Node applies source maps only to files it
 * loads itself, not to code compiled with `vm`, so this is done by hand, on
 * the errors a call throws (their causes and aggregated errors included).
 */
class StackMapper {
  #map: SourceMap | undefined;
  #frames: RegExp;

  #payload: string | undefined;

  constructor(
    readonly filename: string,
    payload: string | undefined,
  ) {
    this.#payload = payload;
    this.#frames = new RegExp(`${filename.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+):(\\d+)`, 'g');
  }

  map(e: unknown, seen = new Set<object>()): unknown {
    if (typeof e !== 'object' || e === null || seen.has(e) || this.#payload === undefined) return e;
    seen.add(e);
    const stack = (e as { stack?: unknown }).stack;
    if (typeof stack === 'string' && stack.includes(this.filename)) {
      try {
        Object.defineProperty(e, 'stack', { value: this.rewrite(stack), writable: true, configurable: true, enumerable: false });
      } catch {
        // A frozen error keeps its bundle frames.
      }
    }
    this.map((e as { cause?: unknown }).cause, seen);
    if (e instanceof AggregateError && Array.isArray(e.errors)) for (const inner of e.errors) this.map(inner, seen);
    return e;
  }

  rewrite(stack: string): string {
    const map = this.#sourceMap();
    if (map === undefined) return stack;
    return stack.replace(this.#frames, (frame, line: string, column: string) => {
      const entry = map.findEntry(Number(line) - 1, Number(column) - 1);
      if (!('originalSource' in entry)) return frame;
      return `${entry.originalSource}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    });
  }

  #sourceMap(): SourceMap | undefined {
    if (this.#map === undefined && this.#payload !== undefined) {
      try {
        this.#map = new SourceMap(JSON.parse(this.#payload) as SourceMapPayload);
      } catch {
        this.#payload = undefined; // a broken map maps nothing
      }
    }
    return this.#map;
  }
}
