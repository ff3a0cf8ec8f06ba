/**
 * The part of a 'thread' or 'os' spawn that runs in the context, shipped
 * there by module forwarding (router/bundle.ts; `beamwire` there is the
 * context's own runtime). It compiles the process function from its source,
 * spawns it on the context's node, links it to the parent, and holds it
 * until the root's monitor is in place (the `go` message), so the root sees
 * every end with its reason, however early. Only a context evaluates this
 * file: its `require('beamwire')` is the context's runtime.
 */
import { compileFunction } from 'node:vm';
import { GO } from './go.js';

/** Its calls start as they come: a spawn never waits for another. */
export const concurrency = 'parallel';

interface Self {
  link(pid: unknown): void;
  exitPolicy(policy: string): string;
  receive(clauses: unknown[]): Promise<unknown>;
}
interface ContextNode {
  spawn(fn: (self: Self) => unknown): { readonly pid: unknown };
}
interface Runtime {
  withContext<A extends unknown[], R>(fn: (injected: { readonly node: unknown }, ...args: A) => R): unknown;
  atom(name: string): unknown;
  on(pattern: unknown, handler: () => void): unknown;
  P: { tuple(...elements: unknown[]): unknown };
}

const bw = require('beamwire') as Runtime;

export const spawn = bw.withContext((injected, source: string, link: unknown, policy: string, token: string) => {
  const fn = compile(source);
  const go = bw.on(bw.P.tuple(bw.atom(GO), token), () => undefined);
  return (injected.node as ContextNode).spawn(async (self) => {
    if (link !== null) self.link(link);
    if (policy === 'paragram') self.exitPolicy('paragram');
    await self.receive([go]);
    return fn(self);
  }).pid;
});

/** tsx and esbuild's keepNames call `__name(fn, "name")` inside functions: it is supplied. */
function compile(source: string): (self: Self) => unknown {
  const keepName = (f: object, name: string): object => Object.defineProperty(f, 'name', { value: name, configurable: true });
  return compileFunction(`return (${source});`, ['__name'], { filename: 'beamwire:process' })(keepName) as (self: Self) => unknown;
}
