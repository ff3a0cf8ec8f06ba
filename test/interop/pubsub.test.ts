/**
 * Interop tier, Phoenix.PubSub (PG2 adapter, phoenix_pubsub v2.2.0): two
 * real Elixir nodes run test/fixtures/pubsub/pubsub.ex, our stand-in for
 * Phoenix.PubSub that speaks its protocol as pg2.ex does (hex is not
 * reachable here), with MyApp.PubSub at pool_size 1 and 3. A beamwire node
 * takes part with `node.pubsub('MyApp.PubSub')`. Each case names the
 * Phoenix.PubSub function it exercises.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atom, format, Pid, tuple, type Term } from '../../runtime/index.js';
import { Node } from '../../runtime/node/node.js';
import { shortHost } from '../../runtime/node/names.js';
import type { PubSub, Subscription } from '../../runtime/pg/index.js';
import { evalIn, requireElixir } from '../support/erl-node.js';
import { testPort, until } from '../support/net.js';
import { otp } from '../support/otp.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'pubsub', 'pubsub.ex');
const epmdPort = testPort();
const COOKIE = 'pscookie';
let ts: Node;
let ps: PubSub;
const elixirs: { name: string; stop: () => Promise<void>; output: () => string }[] = [];
const debug: string[] = [];

/** An Elixir node running the fixture with MyApp.PubSub at `pool` (its ctl evaluates Elixir). */
async function startElixir(alive: string, pool: number): Promise<(typeof elixirs)[number]> {
  const child = spawn(...otp('elixir', ['--sname', alive, '--cookie', COOKIE, '--erl', '-start_epmd false', FIXTURE]), {
    env: { ...process.env, ERL_EPMD_PORT: String(epmdPort), POOL_SIZE: String(pool) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await until(`elixir ${alive} to start`, 30_000, () => (out.includes('ready') ? true : child.exitCode !== null ? Promise.reject(new Error(out)) : undefined), () => out);
  const node = { name: `${alive}@${shortHost()}`, output: () => out, stop: async () => void (child.kill('SIGTERM'), await exited) };
  elixirs.push(node);
  return node;
}

const ex = (i: number, src: string): Promise<Term> => evalIn(ts, elixirs[i]!.name, src, 10_000);

/** On Elixir node `i`, a process registered as `name` that subscribes to `topic` and keeps what it gets; `dump(i, name)` reads it. */
const collector = (i: number, name: string, topic: string): Promise<Term> =>
  ex(
    i,
    `me = self()
     pid = spawn(fn ->
       Phoenix.PubSub.subscribe(MyApp.PubSub, "${topic}")
       send(me, :subscribed)
       loop = fn loop, got -> receive do {:dump, from} -> send(from, {:dump, Enum.reverse(got)}); loop.(loop, got)
                                          m -> loop.(loop, [m | got]) end end
       loop.(loop, [])
     end)
     Process.register(pid, :${name})
     receive do :subscribed -> :ok after 3000 -> :timeout end`,
  );
const dump = (i: number, name: string): Promise<Term> => ex(i, `send(:${name}, {:dump, self()}); receive do {:dump, m} -> m after 3000 -> :timeout end`);

/** The next `n` messages of a subscription (fails after `ms`). */
async function take(sub: Subscription, n: number, ms = 5000): Promise<Term[]> {
  const got: Term[] = [];
  const timer = setTimeout(() => sub.unsubscribe(), ms);
  for await (const m of sub) if (got.push(m) === n) break;
  clearTimeout(timer);
  return got;
}

/** Elixir node `i` sees a beamwire worker in the adapter group, so its broadcasts reach us. */
async function joinedOn(i: number): Promise<void> {
  await until(`a beamwire member on ${elixirs[i]!.name}`, 5000, async () => {
    const m = await ex(i, `:pg.get_members(Phoenix.PubSub, MyApp.PubSub.Adapter)`);
    return Array.isArray(m) && m.some((p) => p instanceof Pid && p.node.name === ts.name) ? true : undefined;
  });
}

beforeAll(async () => {
  requireElixir();
  ts = await Node.start({ name: 'psts', cookie: COOKIE, epmd: { mode: 'embedded', port: epmdPort }, debug: (l) => debug.push(l) });
  await Promise.all([startElixir('psex1', 1), startElixir('psex3', 3)]);
  for (const e of elixirs) await ts.connect(e.name);
  expect(await ex(0, `Node.connect(:"${elixirs[1]!.name}")`)).toBe(true);
  ps = ts.pubsub('MyApp.PubSub');
  await joinedOn(0);
  await joinedOn(1);
}, 90_000);

afterAll(async () => {
  await Promise.all(elixirs.map((e) => e.stop()));
  await ts?.stop();
});

describe('Elixir → beamwire', () => {
  it('Phoenix.PubSub.broadcast on an Elixir node reaches the beamwire subscribers of the topic', async () => {
    expect(ps.adapter).toBe(atom('Elixir.MyApp.PubSub.Adapter'));
    const a = ps.subscribe('room:1');
    const b = ps.subscribe('room:1');
    expect(await ex(0, `Phoenix.PubSub.broadcast(MyApp.PubSub, "room:1", {:hello, "from elixir"})`)).toBe(atom('ok'));
    const want = [tuple(atom('hello'), new TextEncoder().encode('from elixir'))];
    expect(await take(a, 1)).toEqual(want);
    expect(await take(b, 1)).toEqual(want);
  });

  it('broadcasts from any pool group of a pool_size 3 node arrive once each (the groups _2 and _3 are joined as seen)', async () => {
    await until('workers for the _2 and _3 groups', 5000, () =>
      ['_2', '_3'].every((s) => ts.whereis(`Elixir.MyApp.PubSub.Adapter${s}`) !== undefined) ? true : undefined,
    );
    const sub = ps.subscribe('room:pool');
    // Ten senders: phash2 of their pids spreads them over the three groups.
    expect(await ex(1, `for n <- 1..10 do spawn(fn -> Phoenix.PubSub.broadcast(MyApp.PubSub, "room:pool", n) end) end; :ok`)).toBe(atom('ok'));
    const got = (await take(sub, 10)) as number[];
    expect(got.sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await new Promise((r) => setTimeout(r, 200));
    expect(sub.pending).toBe(0);
  });

  it('an unsubscribed topic and another topic get nothing (Phoenix.PubSub.unsubscribe)', async () => {
    const other = ps.subscribe('room:other');
    const gone = ps.subscribe('room:gone');
    gone.unsubscribe();
    expect(ps.subscribers('room:gone')).toBe(0);
    await ex(0, `Phoenix.PubSub.broadcast(MyApp.PubSub, "room:gone", :lost)`);
    await ex(0, `Phoenix.PubSub.broadcast(MyApp.PubSub, "room:elsewhere", :elsewhere)`);
    await ex(0, `Phoenix.PubSub.broadcast(MyApp.PubSub, "room:other", :marker)`);
    expect(await take(other, 1)).toEqual([atom('marker')]);
    expect(gone.closed).toBe(true);
    expect(await gone.next()).toEqual({ value: undefined, done: true });
  });

  it('a subscribed beamwire process gets the broadcast in its mailbox as a plain message, until it ends', async () => {
    const got: Term[] = [];
    const proc = ts.spawn(async (self) => {
      ps.subscribe('room:proc', { pid: self.pid });
      got.push(await self.receive(), await self.receive());
    });
    await until('the subscription', 2000, () => (ps.subscribers('room:proc') === 1 ? true : undefined));
    await ex(0, `Phoenix.PubSub.broadcast(MyApp.PubSub, "room:proc", {:one, 1})`);
    await ex(1, `Phoenix.PubSub.broadcast(MyApp.PubSub, "room:proc", {:two, 2})`);
    await proc.exited;
    // From two nodes: either may come first.
    expect(got.map((m) => format(m)).sort()).toEqual(['{one,1}', '{two,2}']);
    await until('the ended process unsubscribed', 2000, () => (ps.subscribers('room:proc') === 0 ? true : undefined));
  });

  it('Phoenix.PubSub.direct_broadcast to the beamwire node reaches it', async () => {
    const sub = ps.subscribe('room:direct');
    await ex(0, `Phoenix.PubSub.direct_broadcast(:"${ts.name}", MyApp.PubSub, "room:direct", :direct)`);
    expect(await take(sub, 1)).toEqual([atom('direct')]);
  });
});

describe('beamwire → Elixir', () => {
  it('ps.broadcast reaches Phoenix.PubSub.subscribe on every Elixir node, and local subscribers', async () => {
    expect(await collector(0, 'c0', 'room:2')).toBe(atom('ok'));
    expect(await collector(1, 'c1', 'room:2')).toBe(atom('ok'));
    expect(await collector(1, 'c1other', 'room:3')).toBe(atom('ok'));
    const local = ps.subscribe('room:2');
    ps.broadcast('room:2', tuple(atom('from_node'), 1));
    ps.broadcast('room:2', tuple(atom('from_node'), 2));
    const want = [tuple(atom('from_node'), 1), tuple(atom('from_node'), 2)];
    expect(await take(local, 2)).toEqual(want);
    await until('both Elixir subscribers', 5000, async () => ((await dump(0, 'c0')) as Term[]).length === 2 && ((await dump(1, 'c1')) as Term[]).length === 2 || undefined);
    expect(await dump(0, 'c0')).toEqual(want);
    expect(await dump(1, 'c1')).toEqual(want);
    expect(await dump(1, 'c1other')).toEqual([]);
  });

  it('broadcastFrom skips its own subscription here, not the Elixir subscribers; localBroadcast stays here', async () => {
    expect(await collector(0, 'c4', 'room:4')).toBe(atom('ok'));
    const mine = ps.subscribe('room:4');
    const peer = ps.subscribe('room:4');
    ps.broadcastFrom(mine, 'room:4', atom('one'));
    ps.localBroadcast('room:4', atom('two'));
    expect(await take(peer, 2)).toEqual([atom('one'), atom('two')]);
    expect(await take(mine, 1)).toEqual([atom('two')]);
    await until('the Elixir subscriber', 5000, async () => (((await dump(0, 'c4')) as Term[]).length === 1 ? true : undefined));
    await new Promise((r) => setTimeout(r, 200));
    expect(await dump(0, 'c4')).toEqual([atom('one')]);
  });

  it('directBroadcast reaches only the node named', async () => {
    expect(await collector(0, 'c5', 'room:5')).toBe(atom('ok'));
    expect(await collector(1, 'c5', 'room:5')).toBe(atom('ok'));
    ps.directBroadcast(elixirs[1]!.name, 'room:5', atom('only_ex3'));
    await until('the ex3 subscriber', 5000, async () => (((await dump(1, 'c5')) as Term[]).length === 1 ? true : undefined));
    expect(await dump(0, 'c5')).toEqual([]);
  });
});

describe('hostile forward_to_local', () => {
  it('is dropped with a debug line; the worker keeps delivering', async () => {
    const to = `{MyApp.PubSub.Adapter, :"${ts.name}"}`;
    await ex(0, `send(${to}, {:forward_to_local, 42, :x, Phoenix.PubSub}); send(${to}, :garbage); send(${to}, {:forward_to_local, <<255>>, :x, Phoenix.PubSub}); :ok`);
    await until('the drops', 5000, () => (debug.filter((l) => l.includes('pubsub Elixir.MyApp.PubSub: dropped')).length >= 3 ? true : undefined));
    const sub = ps.subscribe('room:after');
    await ex(0, `Phoenix.PubSub.broadcast(MyApp.PubSub, "room:after", :still)`);
    expect(await take(sub, 1)).toEqual([atom('still')]);
  });
});
