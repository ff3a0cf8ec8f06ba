/**
 * Scenario tier, remote objects: two beamwire nodes on loopback, one
 * exposing objects, the other holding typed proxies of them. Calls,
 * reads, attribute chains, pipelining (counted in pushes), references and
 * their release, callbacks, streams with back-pressure, refusals, remote
 * errors, timeouts and a node that goes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallError, CallTimeoutError, Node, RemoteStream, withOptions, type Remote } from '../../runtime/index.js';
import { ProxyEndpoint } from '../../runtime/proxy/index.js';

let owner: Node;
let holder: Node;
const epmd = { mode: 'external' as const, port: 0 };

class Profile {
  constructor(readonly user: User) {}
  name(): string {
    return this.user.name.toUpperCase();
  }
}
class User {
  constructor(
    readonly id: number,
    readonly name: string,
  ) {}
  profile(): Profile {
    return new Profile(this);
  }
  rename(name: string): string {
    return `${this.id}:${name}`;
  }
}
class Users {
  readonly #all = new Map<number, User>([
    [7, new User(7, 'ada')],
    [8, new User(8, 'grace')],
  ]);
  get(id: number): User {
    const u = this.#all.get(id);
    if (u === undefined) throw new RangeError(`no user ${id}`, { cause: { id } });
    return u;
  }
  async slowGet(id: number, ms: number): Promise<User> {
    await new Promise((r) => setTimeout(r, ms));
    return this.get(id);
  }
  same(u: User): boolean {
    return u === this.#all.get(u.id);
  }
}
class Calc {
  version = '1.2';
  stats = {
    mean: (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length,
    median: (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!,
  };
  users = new Users();
  secret = 'hunter2';
  add(a: number, b: number): number {
    return a + b;
  }
  async slow(ms: number): Promise<string> {
    await new Promise((r) => setTimeout(r, ms));
    return 'done';
  }
  fail(): never {
    const e = new TypeError('bad input', { cause: new Error('root cause') });
    throw e;
  }
  async watch(cb: (ev: { n: number }) => Promise<unknown> | unknown, n: number): Promise<number> {
    let sum = 0;
    for (let i = 1; i <= n; i++) sum += (await cb({ n: i })) as number;
    return sum;
  }
  numbers(n: number): AsyncIterable<number> {
    return (async function* () {
      for (let i = 0; i < n; i++) yield i;
    })();
  }
  async total(xs: AsyncIterable<number>): Promise<number> {
    let t = 0;
    for await (const x of xs) t += x;
    return t;
  }
  lastCounter: (() => number) | undefined;
  makeCounter(): () => number {
    let n = 0;
    return (this.lastCounter = () => ++n);
  }
}

const owned = new Calc();
const ownerEp = (): ProxyEndpoint => ProxyEndpoint.of(owner);

beforeAll(async () => {
  owner = await Node.start({ name: 'owner@127.0.0.1', cookie: 'c', epmd: { mode: 'embedded', port: 0 }, logger: 'silent' });
  epmd.port = owner.epmdPort;
  holder = await Node.start({ name: 'holder@127.0.0.1', cookie: 'c', epmd, logger: 'silent' });
  owner.exposeObject('calc', owned);
  owner.exposeObject('narrow', new Calc(), { allow: ['add', 'stats.mean', 'users.*'] });
});
afterAll(async () => {
  await holder?.stop();
  await owner?.stop();
});

const calcOf = (name = 'calc'): Promise<Remote<Calc>> => holder.proxy<Calc>(name, { node: owner.name });

describe('proxies between two nodes', () => {
  it('calls, property reads and attribute chains', async () => {
    const calc = await calcOf();
    expect(await calc.add(1, 2)).toBe(3);
    expect(await calc.version).toBe('1.2');
    expect(await calc.stats.mean([1, 2, 3])).toBe(2);
    expect(await calc.users.get(7).name).toBe('ada');
  });

  it('nothing exposed under a name: proxy() rejects with NO_SUCH_NAME', async () => {
    const e = await holder.proxy('nothing', { node: owner.name }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CallError);
    expect((e as CallError).code).toBe('NO_SUCH_NAME');
  });

  it('a chain of dependent calls is sent before the first result: one round trip', async () => {
    const calc = await calcOf();
    const { received, answered } = ownerEp().stats();
    // The first call takes 200 ms on the owner: the later two reach it meanwhile, before any result leaves it.
    const p = calc.users.slowGet(7, 200).profile().name();
    await until(() => ownerEp().stats().received === received + 3);
    expect(ownerEp().stats().answered).toBe(answered);
    expect(await p).toBe('ADA');
    // Only the last step's result comes back: the middle ones feed their successors on the owner.
    expect(ownerEp().stats().answered).toBe(answered + 1);
    // A middle step asked for later is pulled.
    const u = calc.users.get(8);
    expect(await u.profile().name()).toBe('GRACE');
    expect(await u.name).toBe('grace');
    const user = await u; // pulled: sent without asking for its result, asked for now
    expect(await user.rename('g')).toBe('8:g');
  });

  it('the first failure in a chain rejects every later step with that error', async () => {
    const calc = await calcOf();
    const first = calc.users.get(99);
    const later = first.profile().name();
    const [a, b] = await Promise.allSettled([first, later]);
    expect(a.status).toBe('rejected');
    expect(b.status).toBe('rejected');
    const e = (b as PromiseRejectedResult).reason as Error;
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toBe('no user 99');
    expect(e.cause).toEqual({ id: 99 });
  });

  it('remote errors keep their name, message, stack and cause', async () => {
    const calc = await calcOf();
    const e = (await calc.fail().catch((x: unknown) => x)) as Error;
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toBe('bad input');
    expect(e.stack).toContain('fail');
    expect((e.cause as Error).message).toBe('root cause');
  });

  it('an object result is a reference: its methods run on the owner, and it goes back as itself', async () => {
    const calc = await calcOf();
    const u = await calc.users.get(8);
    expect(await u.rename('g')).toBe('8:g');
    expect(await u.name).toBe('grace');
    const user = await u; // pulled: sent without asking for its result, asked for now
    expect(await user.rename('g')).toBe('8:g');
    expect(await calc.users.same(u)).toBe(true);
  });

  it('using: a disposed reference is released on the owner, and refuses further calls', async () => {
    const calc = await calcOf();
    const made = (): (() => number) => owned.lastCounter!;
    {
      using next = await calc.makeCounter();
      expect(await next()).toBe(1);
      expect(ownerEp().exports.idOf(made())).toBeDefined();
    }
    await until(() => ownerEp().exports.idOf(made()) === undefined);
    const u2 = await calc.users.get(7);
    u2[Symbol.dispose]();
    const e = (await u2.rename('y').catch((x: unknown) => x)) as CallError;
    expect(e.code).toBe('RELEASED');
  });

  it('a function argument is passed by reference and called back', async () => {
    const calc = await calcOf();
    const seen: number[] = [];
    const sum = await calc.watch((ev) => {
      seen.push(ev.n);
      return ev.n * 10;
    }, 3);
    expect(seen).toEqual([1, 2, 3]);
    expect(sum).toBe(60);
  });

  it('a function result is a reference that keeps its state on the owner', async () => {
    const calc = await calcOf();
    const next = await calc.makeCounter();
    expect(await next()).toBe(1);
    expect(await next()).toBe(2);
  });

  it('streams cross both ways', async () => {
    const calc = await calcOf();
    const s = await calc.numbers(100);
    expect(s).toBeInstanceOf(RemoteStream);
    let t = 0;
    for await (const x of s) t += x;
    expect(t).toBe(4950);
    async function* local() {
      for (let i = 1; i <= 10; i++) yield i;
    }
    expect(await calc.total(local())).toBe(55);
  });

  it('timeouts and signals', async () => {
    const calc = await calcOf();
    const e = await withOptions(calc, { timeout: 20 }).slow(500).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CallTimeoutError);
    const ac = new AbortController();
    const p = withOptions(calc, { signal: ac.signal }).slow(500);
    ac.abort(new Error('stop'));
    expect(((await p.catch((x: unknown) => x)) as Error).message).toBe('stop');
  });
});

describe('safe by default', () => {
  it('allow: only the paths it names', async () => {
    const n = await calcOf('narrow');
    expect(await n.add(2, 3)).toBe(5);
    expect(await n.stats.mean([2, 4])).toBe(3);
    expect(await n.users.get(7).name).toBe('ada');
    for (const p of [n.secret, n.stats.median([1]), n.version, n.stats]) {
      const e = (await (p as Promise<unknown>).catch((x: unknown) => x)) as CallError;
      expect(e).toBeInstanceOf(CallError);
      expect(e.code).toBe('NOT_ALLOWED');
    }
  });

  it('never __proto__, constructor, prototype or what every object inherits', async () => {
    const calc = (await calcOf()) as unknown as Record<string, Record<string, () => Promise<unknown>>>;
    for (const p of [calc.constructor!, calc.__proto__!, calc.toString!, calc.add!.call!, calc.hasOwnProperty!, calc.users!.constructor!]) {
      const e = (await (p as unknown as () => Promise<unknown>)().catch((x: unknown) => x)) as CallError;
      expect(e).toBeInstanceOf(CallError);
      expect(e.code).toBe('NOT_ALLOWED');
    }
  });
});

async function until(f: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
