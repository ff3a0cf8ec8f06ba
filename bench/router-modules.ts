/**
 * Module forwarding costs, in one process (no context, no network): what
 * `ctx.module(url)` pays at the root to bundle, what a context pays to load a
 * bundle, and what serial dispatch costs per call.
 *
 *   node --import tsx bench/router-modules.ts [--calls N]
 *
 * cold: the first bundleModule in the process (loads esbuild, starts its
 * service); other: a second module, esbuild already running; warm: the same
 * url again (the cache restats the inputs, no build); rebuilt: after touching
 * an input. Then ModuleHost.add (hash check) + first call (inflate + evaluate),
 * and N calls of add(1, 2): awaited one by one, and N in flight at once
 * (serial queue, then a module with concurrency = 'parallel').
 */
import { utimesSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as runtime from '../runtime/index.js';
import { bundleModule, ModuleHost, withContext, type Injected } from '../runtime/router/index.js';

const calls = Number(process.argv[process.argv.indexOf('--calls') + 1] || 20_000) || 20_000;
const fixture = (name: string): URL => new URL(`../test/fixtures/router/${name}`, import.meta.url);
const inject = (): Injected => ({ router: null, caller: null, node: null });
const ms = (t0: number): string => (performance.now() - t0).toFixed(2);

let t = performance.now();
const tasks = await bundleModule(fixture('tasks.ts'));
console.log(`bundle cold (tasks.ts + helper.ts, esbuild start): ${ms(t)} ms, ${tasks.code.length} B compressed of ${tasks.size} B`);
t = performance.now();
const pkg = await bundleModule(fixture('uses-package.ts'));
console.log(`bundle other (uses-package.ts, with the yaml package): ${ms(t)} ms, ${pkg.code.length} B of ${pkg.size} B`);
const warm: number[] = [];
for (let i = 0; i < 200; i++) {
  t = performance.now();
  await bundleModule(fixture('uses-package.ts'));
  warm.push(performance.now() - t);
}
warm.sort((a, b) => a - b);
console.log(`bundle warm (cache hit, restat of inputs): median ${(warm[100]! * 1000).toFixed(0)} µs`);
const now = new Date();
utimesSync(fileURLToPath(fixture('helper.ts')), now, now);
t = performance.now();
await bundleModule(fixture('tasks.ts'));
console.log(`bundle rebuilt (an input touched): ${ms(t)} ms`);

const host = new ModuleHost({ beamwire: { ...runtime, withContext } });
t = performance.now();
host.add(pkg);
await host.call(pkg.hash, 'keys', ['a: 1'], inject);
console.log(`add + first call (hash, inflate, evaluate yaml bundle): ${ms(t)} ms`);
host.add(tasks);
await host.call(tasks.hash, 'add', [1, 2], inject);

t = performance.now();
for (let i = 0; i < calls; i++) await host.call(tasks.hash, 'add', [1, 2], inject);
console.log(`${calls} awaited serial calls: ${((performance.now() - t) * 1000 / calls).toFixed(2)} µs/call`);
t = performance.now();
await Promise.all(Array.from({ length: calls }, () => host.call(tasks.hash, 'add', [1, 2], inject)));
console.log(`${calls} serial calls in flight: ${((calls / (performance.now() - t)) * 1000).toFixed(0)} calls/s`);
const par = await bundleModule(fixture('parallel.ts'));
host.add(par);
await host.call(par.hash, 'slow', [0], inject);
t = performance.now();
await Promise.all(Array.from({ length: calls }, () => host.call(par.hash, 'slow', [0], inject)));
console.log(`${calls} parallel calls in flight (setTimeout 0 each): ${((calls / (performance.now() - t)) * 1000).toFixed(0)} calls/s`);
