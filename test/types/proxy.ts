/**
 * Type-level test of Remote<T>: not run, only compiled by
 * test/types/proxy.test.ts, which demands zero diagnostics. Each
 * `@ts-expect-error` line must be an error.
 */
import type { Node, Remote, RemoteStream } from '../../runtime/index.js';

declare function expectType<T>(value: T): void;

interface Profile {
  name(): string;
  readonly age: number;
}
interface User {
  readonly id: number;
  profile(): Profile;
  rename(to: string): Promise<boolean>;
}
interface Calc {
  version: string;
  readonly stats: { mean(xs: number[]): number; readonly count: number };
  users: { get(id: number): User; list(): { id: number; tags: string[] }[] };
  add(a: number, b: number): number;
  watch(cb: (ev: { kind: 'tick'; n: number }) => void): Promise<void>;
  lines(): AsyncIterable<string>;
  maker(): (n: number) => string;
  never(): never;
}

declare const node: Node;

export async function uses(): Promise<void> {
  const calc = await node.proxy<Calc>('calc', { node: 'svc@host' });
  // Methods are async; their results are what they return, awaited.
  expectType<number>(await calc.add(1, 2));
  // Properties are awaitable reads, nested objects are proxied.
  expectType<string>(await calc.version);
  expectType<number>(await calc.stats.mean([1, 2, 3]));
  expectType<number>(await calc.stats.count);
  // Pipelining: members of a result before it arrives.
  expectType<string>(await calc.users.get(7).profile().name());
  expectType<number>(await calc.users.get(7).profile().age);
  // Plain data comes back as itself; an object with methods as a reference, which is disposable.
  expectType<{ id: number; tags: string[] }[]>(await calc.users.list());
  using u = await calc.users.get(7);
  expectType<Remote<User>>(u);
  expectType<boolean>(await u.rename('x'));
  expectType<number>(await u.id);
  // A callback's parameters are inferred from the interface.
  await calc.watch((ev) => expectType<'tick'>(ev.kind));
  // Async iterables come back as streams, functions as remote functions.
  const lines = await calc.lines();
  expectType<RemoteStream<string>>(lines);
  for await (const l of lines) expectType<string>(l);
  const f = await calc.maker();
  expectType<string>(await f(1));
  // A reference goes back as an argument, and so does a pipelined result.
  const take = null! as Remote<{ take(u: User): boolean }>;
  expectType<boolean>(await take.take(u));
  expectType<boolean>(await take.take(calc.users.get(8)));
  await calc.never().catch(() => undefined);

  // @ts-expect-error add takes numbers
  await calc.add('1', 2);
  // @ts-expect-error no such method
  await calc.sub(1, 2);
  // @ts-expect-error a property is read, not called
  await calc.version();
  // @ts-expect-error a remote property cannot be assigned
  calc.version = '2';
  // @ts-expect-error a result is not the raw object: its methods are async
  const n: number = u.profile().age;
  void n;
}
