// Module forwarding, both sides in one process: bundleModule (esbuild, at the root) and ModuleHost (in a context):
// bundling real TS/JS/CJS fixtures, calling them, mitogen's serial dispatch and the parallel opt-in, stacks that name
// the user's file, hashes verified, call targets refused, withContext injection, and the per-process bundle cache.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { brotliDecompressSync } from 'node:zlib';
import { afterAll, describe, expect, expectTypeOf, it, vi } from 'vitest';
import * as runtime from '../../runtime/index.js';
import { isBeamwireError } from '../../runtime/index.js';
import { bundleModule, type ModuleBundle } from '../../runtime/router/bundle.js';
import { isContextFunction, withContext, type Injected, type RemoteModule } from '../../runtime/router/econtext.js';
import { CallTargetError, ModuleBundleError, ModuleError } from '../../runtime/router/module-errors.js';
import { ModuleHost } from '../../runtime/router/modules.js';

const fixture = (name: string): URL => new URL(`../fixtures/router/${name}`, import.meta.url);
const beamwire = { ...runtime, withContext };
const injected: Injected = { router: 'the-router', caller: 'w1@host', node: 'ctx@host' };
const inject = (): Injected => injected;

async function hostWith(name: string): Promise<{ host: ModuleHost; bundle: ModuleBundle }> {
  const bundle = await bundleModule(fixture(name));
  const host = new ModuleHost({ beamwire });
  host.add(bundle);
  return { host, bundle };
}

/** The line (1-based) of the first line of `file` containing `text`. */
function lineOf(file: URL, text: string): number {
  return readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;
}

const tmp = mkdtempSync(join(tmpdir(), 'bw-modules-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('bundleModule', () => {
  it('bundles a TS module with its relative imports into brotli-compressed CJS, named by the sha256 of its bytes', async () => {
    const b = await bundleModule(fixture('tasks.ts'));
    expect(b.url).toBe(fixture('tasks.ts').href);
    expect(b.hash).toMatch(/^[0-9a-f]{64}$/);
    const source = brotliDecompressSync(b.code).toString('utf8');
    expect(source.length).toBe(b.size);
    expect(source).toContain('module.exports');
    expect(source).toContain('x*2'); // helper.ts's double() is inside
    expect(source).toContain('require("node:crypto")'); // builtins stay external
    expect(source).toMatch(/\n\/\/# beamwire\.sourceMap=\{.*"sources":\[[^\]]*helper\.ts"/);
  });

  it('keeps beamwire external: the context supplies its own runtime', async () => {
    const b = await bundleModule(fixture('with-context.js'));
    const source = brotliDecompressSync(b.code).toString('utf8');
    expect(source).toContain('require("beamwire")');
    expect(source).not.toContain('class Atom');
  });

  it('returns the cached bundle while no input changed, and a new hash when the entry or a dependency does', async () => {
    const entry = join(tmp, 'counter.ts');
    const dep = join(tmp, 'dep.ts');
    writeFileSync(dep, 'export const base = 1;\n');
    writeFileSync(entry, "import { base } from './dep.js';\nexport const get = () => base;\n");
    const first = await bundleModule(entry);
    expect(await bundleModule(pathToFileURL(entry))).toBe(first); // the same object: esbuild did not run again

    writeFileSync(entry, "import { base } from './dep.js';\nexport const get = () => base + 10;\n");
    const second = await bundleModule(entry);
    expect(second.hash).not.toBe(first.hash);

    writeFileSync(dep, 'export const base = 100;\n');
    const third = await bundleModule(entry);
    expect(third.hash).not.toBe(second.hash);
    const host = new ModuleHost({ beamwire });
    host.add(third);
    expect(await host.call(third.hash, 'get', [], inject)).toBe(110);
  });

  it('builds once for concurrent requests of the same module', async () => {
    const entry = join(tmp, 'concurrent.ts');
    writeFileSync(entry, 'export const one = () => 1;\n');
    const [a, b] = await Promise.all([bundleModule(entry), bundleModule(entry)]);
    expect(a).toBe(b);
  });

  it('names the file and esbuild message for a missing file, a syntax error and an unresolvable import', async () => {
    const missing = join(tmp, 'nope.ts');
    await expect(bundleModule(missing)).rejects.toMatchObject({ name: 'ModuleBundleError', code: 'MODULE_BUNDLE', file: missing });

    const broken = join(tmp, 'broken.ts');
    writeFileSync(broken, 'export const ok = 1;\nconst = 2;\nexport const f = () => ok;\n');
    const e = await bundleModule(broken).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ModuleBundleError);
    expect(isBeamwireError(e, 'MODULE_BUNDLE')).toBe(true);
    expect((e as ModuleBundleError).messages[0]).toMatchObject({ file: broken, line: 2 });
    expect((e as Error).message).toContain(`${broken}:2:`);

    const unresolved = join(tmp, 'unresolved.ts');
    writeFileSync(unresolved, "import x from 'no-such-package-anywhere';\nexport const f = () => x;\n");
    await expect(bundleModule(unresolved)).rejects.toThrow(/no-such-package-anywhere/);
  });

  it('refuses a native addon with NATIVE_ADDON', async () => {
    const e = await bundleModule(fixture('native.js')).catch((x: unknown) => x);
    expect(e).toMatchObject({ name: 'ModuleBundleError', code: 'NATIVE_ADDON' });
    expect((e as Error).message).toContain('./addon.node');
  });

  it('refuses a relative path and a non-file URL', async () => {
    await expect(bundleModule('tasks.ts')).rejects.toMatchObject({ code: 'MODULE_BUNDLE' });
    await expect(bundleModule(new URL('https://example.com/x.js'))).rejects.toMatchObject({ code: 'MODULE_BUNDLE' });
  });
});

describe('ModuleHost: calls', () => {
  it('calls sync and async exports, with builtins, a relative helper and dynamic import()', async () => {
    const { host, bundle } = await hostWith('tasks.ts');
    expect(await host.call(bundle.hash, 'add', [2, 3], inject)).toBe(5);
    expect(await host.call(bundle.hash, 'quadruple', [5], inject)).toBe(20);
    expect(await host.call(bundle.hash, 'sha256', ['abc'], inject)).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(await host.call(bundle.hash, 'cpus', [], inject)).toBeGreaterThan(0);
    expect(await host.call(bundle.hash, 'whereAmI', [], inject)).toBe(fixture('tasks.ts').href);
  });

  it('carries a bare npm package inside the bundle, and needs none of the files once bundled', async () => {
    const { host, bundle } = await hostWith('uses-package.ts');
    expect(brotliDecompressSync(bundle.code).toString('utf8')).not.toContain('require("yaml")');
    expect(await host.call(bundle.hash, 'keys', ['a: 1\nb: [2]\n'], inject)).toEqual(['a', 'b']);

    const gone = join(tmp, 'gone.ts');
    writeFileSync(gone, "import { createHash } from 'node:crypto';\nexport const h = (s: string) => createHash('md5').update(s).digest('hex');\n");
    const b = await bundleModule(gone);
    rmSync(gone);
    const fresh = new ModuleHost({ beamwire });
    fresh.add(b);
    expect(await fresh.call(b.hash, 'h', [''], inject)).toBe('d41d8cd98f00b204e9800998ecf8427e');
  });

  it('calls a CommonJS module, whose unbundleable require() of a package fails with MISSING_DEPENDENCY', async () => {
    const { host, bundle } = await hostWith('legacy.cjs');
    expect(await host.call(bundle.hash, 'join', ['a', 'b'], inject)).toBe('a/b');
    expect(await host.call(bundle.hash, 'load', ['node:path'], inject)).toHaveProperty('join');
    await expect(host.call(bundle.hash, 'load', ['no-such-package-anywhere'], inject)).rejects.toMatchObject({
      name: 'ModuleError',
      code: 'MISSING_DEPENDENCY',
      module: fixture('legacy.cjs').href,
    });
  });

  it("rejects with the thrown error, its stack (and its cause's) naming the user's file and line", async () => {
    const { host, bundle } = await hostWith('tasks.ts');
    const e = (await host.call(bundle.hash, 'fails', ['input'], inject).catch((x: unknown) => x)) as Error;
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toBe('bad input');
    const file = fixture('tasks.ts').pathname;
    const line = lineOf(fixture('tasks.ts'), "throw new TypeError(`bad ${what}`");
    expect(e.stack).toContain(`at fails (${file}:${line}:`);
    expect(e.stack).not.toContain('beamwire-module:');
    expect(e.cause).toBeInstanceOf(RangeError);
    expect((e.cause as Error).stack).toContain(`${file}:${line}:`);

    const later = (await host.call(bundle.hash, 'failsLater', [], inject).catch((x: unknown) => x)) as Error;
    expect(later.stack).toContain(`${file}:${lineOf(fixture('tasks.ts'), "throw new Error('later')")}:`);
  });

  it('without the source map, stacks name the bundle (and calls still work)', async () => {
    const bundle = await bundleModule(fixture('tasks.ts'), { sourcemap: false });
    const host = new ModuleHost({ beamwire });
    host.add(bundle);
    const e = (await host.call(bundle.hash, 'fails', ['x'], inject).catch((x: unknown) => x)) as Error;
    expect(e.stack).toContain(`beamwire-module:${bundle.hash.slice(0, 16)}:`);
  });

  it('calls only own exported functions: anything else is a CallTargetError naming module and function', async () => {
    const { host, bundle } = await hostWith('tasks.ts');
    for (const name of ['toString', '__proto__', 'constructor', 'hasOwnProperty', 'VERSION', 'Klass', 'missing', '__esModule']) {
      const e = await host.call(bundle.hash, name, [], inject).catch((x: unknown) => x);
      expect(e, name).toBeInstanceOf(CallTargetError);
      expect(e, name).toMatchObject({ code: 'NOT_CALLABLE', module: bundle.url, fn: name });
    }
    // A refused call does not block the queue.
    expect(await host.call(bundle.hash, 'add', [1, 1], inject)).toBe(2);
  });

  it('gives a withContext function the injected value first, and an unmarked one only the arguments', async () => {
    const { host, bundle } = await hostWith('with-context.js');
    const spy = vi.fn(inject);
    expect(await host.call(bundle.hash, 'greet', ['hello'], spy)).toBe('hello from w1@host on ctx@host');
    expect(spy).toHaveBeenCalledTimes(1);
    expect(await host.call(bundle.hash, 'nodeAtom', [], inject)).toBe(runtime.atom('ctx@host')); // require('beamwire') is the host's runtime
    expect(await host.call(bundle.hash, 'injected', [1, 2], spy)).toEqual([1, 2]);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('a module whose evaluation throws fails every call with the same MODULE_EVAL, its stack mapped', async () => {
    const { host, bundle } = await hostWith('throws-on-load.ts');
    const first = (await host.call(bundle.hash, 'ready', [], inject).catch((x: unknown) => x)) as ModuleError;
    expect(first).toMatchObject({ name: 'ModuleError', code: 'MODULE_EVAL', module: bundle.url });
    expect((first.cause as Error).stack).toContain(`${fixture('throws-on-load.ts').pathname}:3:`);
    expect(await host.call(bundle.hash, 'ready', [], inject).catch((x: unknown) => x)).toBe(first);
  });

  it("refuses a concurrency export that is neither 'serial' nor 'parallel'", async () => {
    const entry = join(tmp, 'bad-concurrency.ts');
    writeFileSync(entry, "export const concurrency = 'sometimes';\nexport const f = () => 1;\n");
    const bundle = await bundleModule(entry);
    const host = new ModuleHost({ beamwire });
    host.add(bundle);
    await expect(host.call(bundle.hash, 'f', [], inject)).rejects.toMatchObject({ code: 'BAD_CONCURRENCY' });
  });
});

describe('ModuleHost: dispatch order', () => {
  it.each(['cold', 'loaded'])('runs calls one at a time in arrival order: the second starts after the first settles (%s)', async (state) => {
    const { host, bundle } = await hostWith('tasks.ts');
    if (state === 'loaded') await host.call(bundle.hash, 'add', [0, 0], inject);
    const [a, b] = (await Promise.all([host.call(bundle.hash, 'slow', [60], inject), host.call(bundle.hash, 'slow', [10], inject)])) as {
      start: number;
      end: number;
    }[];
    expect(b!.start).toBeGreaterThanOrEqual(a!.end);
  });

  it('keeps strict arrival order over many sync and async calls in flight', async () => {
    const { host, bundle } = await hostWith('tasks.ts');
    const n = 1500; // past the queue's compaction threshold
    await Promise.all(Array.from({ length: n }, (_, i) => host.call(bundle.hash, 'note', [i, i % 100 === 0 ? 1 : 0], inject)));
    const seen = (await host.call(bundle.hash, 'noted', [], inject)) as string[];
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => [`start ${i}`, `end ${i}`]).flat());
  });

  it('serialises across the modules of one host', async () => {
    const tasks = await bundleModule(fixture('tasks.ts'));
    const entry = join(tmp, 'other-slow.ts');
    writeFileSync(entry, 'export async function now() { return performance.now(); }\n');
    const other = await bundleModule(entry);
    const host = new ModuleHost({ beamwire });
    host.add(tasks);
    host.add(other);
    const [slow, now] = (await Promise.all([host.call(tasks.hash, 'slow', [50], inject), host.call(other.hash, 'now', [], inject)])) as [
      { end: number },
      number,
    ];
    expect(now).toBeGreaterThanOrEqual(slow.end);
  });

  it("overlaps the calls of a module that exports concurrency = 'parallel'", async () => {
    const { host, bundle } = await hostWith('parallel.ts');
    const [a, b] = (await Promise.all([host.call(bundle.hash, 'slow', [60], inject), host.call(bundle.hash, 'slow', [10], inject)])) as {
      start: number;
      end: number;
    }[];
    expect(b!.start).toBeLessThan(a!.end);
    expect(b!.end).toBeLessThan(a!.end);
  });

  it('keeps arrival order while a module is still being fetched', async () => {
    const parent = new ModuleHost({ beamwire });
    const tasks = await bundleModule(fixture('tasks.ts'));
    parent.add(tasks);
    const entry = join(tmp, 'later.ts');
    writeFileSync(entry, 'export async function now() { return performance.now(); }\n');
    const later = await bundleModule(entry);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const fetch = vi.fn(async (hash: string) => {
      await gate;
      return parent.get(hash)!;
    });
    const child = new ModuleHost({ beamwire, fetch });
    child.add(later);
    const first = child.call(tasks.hash, 'slow', [20], inject) as Promise<{ end: number }>;
    const second = child.call(later.hash, 'now', [], inject) as Promise<number>;
    setTimeout(release, 30);
    const [slow, now] = await Promise.all([first, second]);
    expect(now).toBeGreaterThanOrEqual(slow.end);
    expect(fetch).toHaveBeenCalledTimes(1);
  });
});

describe('ModuleHost: bundles by hash', () => {
  it('refuses a bundle whose code does not hash to its hash, and one that claims another', async () => {
    const b = await bundleModule(fixture('tasks.ts'));
    const tampered = Uint8Array.from(b.code);
    tampered[tampered.length >> 1]! ^= 1;
    const host = new ModuleHost({ beamwire });
    expect(() => host.add({ ...b, code: tampered })).toThrow(ModuleError);
    expect(() => host.add({ ...b, code: tampered })).toThrow(/HASH_MISMATCH/);
    expect(() => host.add({ ...b, hash: '0'.repeat(64) })).toThrow(expect.objectContaining({ code: 'HASH_MISMATCH', module: b.url }));
    expect(() => host.add({ hash: 'x' } as unknown as ModuleBundle)).toThrow(expect.objectContaining({ code: 'BAD_BUNDLE' }));
    expect(host.has(b.hash)).toBe(false);
  });

  it('refuses a bundle that inflates past or short of its stated size', async () => {
    const b = await bundleModule(fixture('tasks.ts'));
    for (const size of [b.size - 1, b.size + 1]) {
      const host = new ModuleHost({ beamwire });
      host.add({ ...b, size });
      await expect(host.call(b.hash, 'add', [1, 2], inject)).rejects.toMatchObject({ code: 'BAD_BUNDLE' });
    }
  });

  it('keeps bundles by hash to serve children, and a child fetches a missing one from its parent once', async () => {
    const b = await bundleModule(fixture('tasks.ts'));
    const parent = new ModuleHost({ beamwire });
    parent.add(b);
    expect(parent.has(b.hash)).toBe(true);
    expect(parent.get(b.hash)).toBe(b);
    expect(parent.get('f'.repeat(64))).toBeUndefined();

    const fetch = vi.fn(async (hash: string) => parent.get(hash)!);
    const child = new ModuleHost({ beamwire, fetch });
    const sums = await Promise.all([child.call(b.hash, 'add', [1, 2], inject), child.call(b.hash, 'add', [3, 4], inject)]);
    expect(sums).toEqual([3, 7]);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(child.get(b.hash)).toEqual(b);
  });

  it('refuses what a parent sends for another hash, and retries a fetch that failed', async () => {
    const b = await bundleModule(fixture('tasks.ts'));
    const other = await bundleModule(fixture('parallel.ts'));
    const wrong = new ModuleHost({ beamwire, fetch: async () => other });
    await expect(wrong.call(b.hash, 'add', [1, 2], inject)).rejects.toMatchObject({ code: 'HASH_MISMATCH' });
    expect(wrong.has(other.hash)).toBe(false);

    let fail = true;
    const flaky = new ModuleHost({
      beamwire,
      fetch: async () => {
        if (fail) throw new Error('parent unreachable');
        return b;
      },
    });
    await expect(flaky.call(b.hash, 'add', [1, 2], inject)).rejects.toThrow('parent unreachable');
    fail = false;
    expect(await flaky.call(b.hash, 'add', [1, 2], inject)).toBe(3);
  });

  it('without a parent, an unknown hash is UNKNOWN_MODULE', async () => {
    const host = new ModuleHost({ beamwire });
    await expect(host.call('a'.repeat(64), 'add', [], inject)).rejects.toMatchObject({ name: 'ModuleError', code: 'UNKNOWN_MODULE' });
  });
});

describe('withContext', () => {
  it('marks with a registry symbol, so another copy of beamwire recognises it', () => {
    const f = withContext((i: Injected, a: number) => [i.caller, a]);
    expect(isContextFunction(f)).toBe(true);
    expect((f as unknown as Record<symbol, unknown>)[Symbol.for('beamwire.withContext')]).toBe(true);
    expect(isContextFunction(() => 1)).toBe(false);
    expect(f(injected, 2)).toEqual(['w1@host', 2]); // called directly, it takes the injected value itself
  });

  it('RemoteModule drops the injected parameter and makes every function async', () => {
    type Tasks = RemoteModule<typeof import('../fixtures/router/tasks.js')>;
    expectTypeOf<Tasks['add']>().toEqualTypeOf<(a: number, b: number) => Promise<number>>();
    expectTypeOf<Tasks['slow']>().toEqualTypeOf<(ms: number) => Promise<{ start: number; end: number }>>();
    expectTypeOf<Tasks>().not.toHaveProperty('VERSION');
    const marked = { f: withContext((_: Injected, a: string) => a.length), g: (n: number) => n };
    expectTypeOf<RemoteModule<typeof marked>['f']>().toEqualTypeOf<(a: string) => Promise<number>>();
    expectTypeOf<RemoteModule<typeof marked>['g']>().toEqualTypeOf<(n: number) => Promise<number>>();
  });
});
