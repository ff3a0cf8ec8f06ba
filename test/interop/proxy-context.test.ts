/**
 * Scenario tier, remote objects across contexts: an object exposed in a
 * context (local, worker, two hops down) is proxied from the root with
 * ctx.proxy; ctx.exposeObject serves a root object to that context only;
 * a context that goes releases what it held at the root.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Router, type Context } from '../../runtime/index.js';
import { ProxyEndpoint } from '../../runtime/proxy/index.js';
import { until } from '../support/net.js';

const objects = new URL('../fixtures/proxy/objects.js', import.meta.url);
let router: Router;

interface Counter {
  n: number;
  inc(by?: number): number;
  child(): Counter;
  each(n: number, cb: (i: number) => number): Promise<number>;
  numbers(n: number): AsyncIterable<number>;
  fail(): never;
}

class User {
  constructor(readonly id: number) {}
  hello(): string {
    return `user ${this.id}`;
  }
}
const users = new Map<number, User>();
const calc = {
  add: (a: number, b: number) => a + b,
  user: (id: number) => {
    if (!users.has(id)) users.set(id, new User(id));
    return users.get(id)!;
  },
};

beforeAll(async () => {
  router = await Router.start();
});
afterAll(async () => {
  await router.stop();
});

async function counterIn(ctx: Context): Promise<void> {
  expect(await ctx.call(objects, 'serve', 'counter')).toBe(ctx.nodeName);
  const c = await ctx.proxy<Counter>('counter');
  expect(await c.inc(2)).toBe(2);
  expect(await c.inc()).toBe(3);
  expect(await c.n).toBe(3);
  expect(await c.child().inc(5)).toBe(5); // pipelined: the child is made and called in one round trip
  expect(await c.each(3, (i) => i * 10)).toBe(60); // a callback from the context into the root
  let total = 0;
  for await (const x of await c.numbers(50)) total += x; // a stream from the context
  expect(total).toBe(1225);
  const e = (await c.fail().catch((x: unknown) => x)) as Error;
  expect([e instanceof RangeError, e.message, e.cause]).toEqual([true, 'counter says no', 'because']);
  const refused = (await (c as unknown as { constructor: () => Promise<unknown> }).constructor().catch((x: unknown) => x)) as { code: string };
  expect(refused.code).toBe('NOT_ALLOWED');
}

describe('ctx.proxy', () => {
  it('an object exposed in a local context, a worker, and a context two hops down', async () => {
    const w = await router.local({ name: 'pw' });
    const t = await router.worker({ name: 'pt' });
    const deep = await router.local({ name: 'pdeep', via: w });
    await counterIn(w);
    await counterIn(t);
    await counterIn(deep);
    await Promise.all([deep.shutdown({ wait: true }), t.shutdown({ wait: true })]);
    await w.shutdown({ wait: true });
  });
});

describe('ctx.exposeObject', () => {
  it('serves a root object to that context only', async () => {
    const a = await router.local({ name: 'pa' });
    const b = await router.local({ name: 'pb' });
    const exposed = a.exposeObject('calc', calc);
    expect(await a.call(objects, 'useParent', 'calc', 2, 3)).toBe(5);
    expect(await b.call(objects, 'tryParent', 'calc')).toBe('NO_SUCH_NAME');
    exposed.unexpose();
    expect(await a.call(objects, 'tryParent', 'calc')).toBe('NO_SUCH_NAME');
    await Promise.all([a.shutdown({ wait: true }), b.shutdown({ wait: true })]);
  });

  it('a context that goes releases every reference it held at the root', async () => {
    const h = await router.local({ name: 'ph' });
    const exposed = h.exposeObject('calc', calc);
    expect(await h.call(objects, 'keep', 'calc', 41)).toBe(1);
    const ep = ProxyEndpoint.of(router.node);
    expect(ep.exports.idOf(users.get(41)!)).toBeDefined();
    await h.shutdown({ wait: true });
    await until('the root to drop what ph held', 5000, () => ep.exports.idOf(users.get(41)!) === undefined || undefined);
    exposed.unexpose();
  });
});
