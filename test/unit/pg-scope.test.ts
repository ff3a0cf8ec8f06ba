// pg scopes between beamwire nodes on a MemoryCarrier (runtime/pg/scope.ts): discovery both ways
// (scope started before and after connecting), joins, leaves and monitors, members of a process that
// ends or a node that stops, refused joins, and hostile messages dropped while the scope keeps working.
import { afterEach, describe, expect, it } from 'vitest';
import { atom, MemoryCarrier, Node, NodeStopped, Pid, ProcessError, tuple, type Term } from '../../runtime/index.js';
import { until } from '../support/net.js';

const nodes: Node[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});
let seq = 0;
async function start(net: MemoryCarrier, debug?: string[]): Promise<Node> {
  const n = await Node.start({ name: `pg${++seq}@mem`, cookie: 'c', transport: net, epmd: 'none', logger: 'silent', ...(debug ? { debug: (l: string) => debug.push(l) } : {}) });
  nodes.push(n);
  return n;
}
const G = atom('g');
const idle = (n: Node): Pid => n.spawn((self) => self.receive()).pid;
const members = (n: Node, g: Term = G) => n.pg().members(g).length;
/** The next `n` items of a feed; fewer when they do not come within `ms`. */
async function take<T>(feed: AsyncIterableIterator<T> & { close(): void }, n: number, ms = 2000): Promise<T[]> {
  const got: T[] = [];
  const timer = setTimeout(() => feed.close(), ms);
  for await (const v of feed) if (got.push(v) === n) break;
  clearTimeout(timer);
  return got;
}

describe('pg scope between beamwire nodes', () => {
  it('discovers a peer whether its scope started before or after the connection', async () => {
    const net = new MemoryCarrier();
    const [a, b, c] = [await start(net), await start(net), await start(net)];
    a.pg().join(G, idle(a));
    await b.connect(a.name);
    b.pg(); // started after connecting: init discovery
    c.pg().join(G, idle(c)); // started before connecting: nodeup discovery
    await c.connect(a.name);
    await c.connect(b.name);
    for (const n of [a, b, c]) await until(`2 members on ${n.name}`, 2000, () => (members(n) === 2 ? true : undefined));
  });

  it('pg.broadcast sends to every member of a group, on every node (topics are pg groups)', async () => {
    const net = new MemoryCarrier();
    const [a, b] = [await start(net), await start(net)];
    await a.connect(b.name);
    const got: Term[] = [];
    const sub = (n: Node): Pid => n.spawn(async (self) => void got.push(await self.receive())).pid;
    b.pg().join(atom('topic'), [sub(b), sub(b)]);
    a.pg().join(atom('topic'), sub(a));
    await until('3 subscribers on a', 2000, () => (members(a, atom('topic')) === 3 ? true : undefined));
    expect(a.pg().broadcast(atom('topic'), atom('news'))).toBe(3);
    await until('3 deliveries', 2000, () => (got.length === 3 ? true : undefined));
    expect(got).toEqual([atom('news'), atom('news'), atom('news')]);
  });

  it('monitor and monitorScope see joins and leaves from everywhere; a killed member and a stopped node leave', async () => {
    const net = new MemoryCarrier();
    const [a, b] = [await start(net), await start(net)];
    await a.connect(b.name);
    const mon = a.pg().monitor(G);
    const scope = a.pg().monitorScope();
    const pb = idle(b);
    b.pg().join(G, pb);
    await until('b member seen', 2000, () => (members(a) === 1 ? true : undefined));
    const pa = idle(a);
    a.pg().join(G, pa);
    a.pg().join(atom('other'), pa);
    b.exit(pb, atom('kill'));
    await until('b member gone', 2000, () => (a.pg().members(G).length === 1 && a.pg().members(G)[0] === pa ? true : undefined));
    expect(await take(mon, 3)).toEqual([
      { kind: 'join', group: G, pids: [pb] },
      { kind: 'join', group: G, pids: [pa] },
      { kind: 'leave', group: G, pids: [pb] },
    ]);
    expect((await take(scope, 4)).map((e) => `${e.kind} ${(e.group as { name: string }).name}`)).toEqual(['join g', 'join g', 'join other', 'leave g']);
    b.pg().join(G, idle(b));
    await until('b member back', 2000, () => (members(a) === 2 ? true : undefined));
    await b.stop();
    await until('b members gone with b', 2000, () => (members(a) === 1 ? true : undefined));
  });

  it('refuses a pid of another node, and a scope name already taken', async () => {
    const net = new MemoryCarrier();
    const [a, b] = [await start(net), await start(net)];
    expect(() => a.pg().join(G, idle(b))).toThrow(ProcessError);
    a.register('taken', idle(a));
    expect(() => a.pg('taken')).toThrow(/taken|registered/);
  });

  it('a killed scope ends its monitors and starts again on the next node.pg(); a stopped node ends them too', async () => {
    const net = new MemoryCarrier();
    const a = await start(net);
    const first = a.pg();
    const mon = first.monitor(G);
    first.join(G, idle(a));
    a.exit(first.pid, atom('kill'));
    await first.ended;
    expect(first.alive).toBe(false);
    expect((await mon.next()).done).toBe(false); // the join, queued before the end
    expect((await mon.next()).done).toBe(true);
    expect(() => first.join(G, idle(a))).toThrow(/has ended/);
    expect(a.pg()).not.toBe(first);
    expect(a.pg().alive).toBe(true);
    const second = a.pg().monitor(G);
    await a.stop();
    expect((await second.next()).done).toBe(true);
    expect(() => a.pg()).toThrow(NodeStopped);
  });

  it('drops hostile messages with a debug line and keeps working', async () => {
    const net = new MemoryCarrier();
    const debug: string[] = [];
    const [a, b] = [await start(net, debug), await start(net)];
    a.pg();
    await b.connect(a.name);
    const evil = idle(b);
    const to: [string, string] = ['pg', a.name];
    for (const m of [
      atom('garbage'),
      tuple(atom('join'), evil, G, atom('not_a_pid')),
      tuple(atom('join'), evil, G, [evil]), // not a peer
      tuple(atom('discover'), 42),
      tuple(atom('discover'), idle(a)), // this node's own pid
      tuple(atom('$gen_cast'), tuple(atom('sync'), evil, [atom('bad')])),
      tuple(atom('$gen_cast'), tuple(atom('sync'), evil, [tuple(G, [idle(a)])])), // a member of another node
      tuple(atom('$gen_cast'), tuple(atom('join'), evil, G, evil)),
      tuple(atom('$gen_call'), tuple(evil, a.pg().pid), atom('which_groups')),
      tuple(atom('leave'), evil, evil, atom('not_a_list')),
    ] as Term[])
      b.send(to, m);
    await until('ten drops', 2000, () => (debug.filter((l) => l.includes('pg scope pg: dropped')).length === 10 ? true : undefined));
    expect(a.pg().alive).toBe(true);
    expect(a.pg().groups()).toEqual([]);
    b.pg().join(G, idle(b));
    await until('a real join', 2000, () => (members(a) === 1 ? true : undefined));
  });
});

describe('PubSub between beamwire nodes', () => {
  it('a broadcast reaches the subscribers of every node once; an unsubscribed topic gets nothing', async () => {
    const net = new MemoryCarrier();
    const [a, b] = [await start(net), await start(net)];
    await a.connect(b.name);
    const [pa, pb] = [a.pubsub('MyApp.PubSub'), b.pubsub('Elixir.MyApp.PubSub')];
    expect(a.pubsub('MyApp.PubSub')).toBe(pa);
    expect(pb.adapter).toBe(atom('Elixir.MyApp.PubSub.Adapter'));
    await until('both workers everywhere', 2000, () => (a.pg('Elixir.Phoenix.PubSub').members(pa.adapter).length === 2 ? true : undefined));
    const sub = pb.subscribe('t');
    const quiet = pb.subscribe('q');
    quiet.unsubscribe();
    pa.broadcast('q', 0);
    pa.broadcast('t', 1);
    pa.broadcast('t', 2);
    const again = pb.subscribe('t');
    expect(await take(sub, 2)).toEqual([1, 2]); // the loop's break unsubscribes it
    expect(sub.closed).toBe(true);
    expect(pb.subscribers('t')).toBe(1);
    expect(pb.unsubscribe('t')).toBe(true);
    expect(again.closed).toBe(true);
    expect(pb.unsubscribe('t')).toBe(false);
  });

  it('a killed worker ends that PubSub (its subscriptions end); node.pubsub starts it again', async () => {
    const net = new MemoryCarrier();
    const [a, b] = [await start(net), await start(net)];
    await a.connect(b.name);
    const first = a.pubsub('MyApp.PubSub');
    const old = first.subscribe('t');
    a.exit(a.whereis('Elixir.MyApp.PubSub.Adapter')!, atom('kill'));
    await until('the worker gone', 2000, () => (!first.alive ? true : undefined));
    const again = a.pubsub('MyApp.PubSub');
    expect(again).not.toBe(first);
    expect((await old.next()).done).toBe(true);
    const sub = again.subscribe('t');
    const pb = b.pubsub('MyApp.PubSub');
    await until('the new worker seen on b', 2000, () => (b.pg('Elixir.Phoenix.PubSub').members(pb.adapter).some((p) => p.node.name === a.name) && b.pg('Elixir.Phoenix.PubSub').members(pb.adapter).length === 2 ? true : undefined));
    pb.broadcast('t', 1);
    expect(await take(sub, 1)).toEqual([1]);
  });

  it('process subscriptions: plain messages in the mailbox; broadcastFrom(pid) skips that process; refused for a pid of another node', async () => {
    const net = new MemoryCarrier();
    const [a, b] = [await start(net), await start(net)];
    const ps = a.pubsub('MyApp.PubSub');
    const got: Term[][] = [[], []];
    const procs = [0, 1].map((i) =>
      a.spawn(async (self) => {
        ps.subscribe('t', { pid: self.pid });
        for (;;) got[i]!.push(await self.receive());
      }),
    );
    await until('two subscribers', 2000, () => (ps.subscribers('t') === 2 ? true : undefined));
    ps.broadcastFrom(procs[0]!.pid, 't', atom('x'));
    ps.localBroadcast('t', atom('y'));
    await until('the deliveries', 2000, () => (got[0]!.length === 1 && got[1]!.length === 2 ? true : undefined));
    expect(got).toEqual([[atom('y')], [atom('x'), atom('y')]]);
    a.exit(procs[1]!.pid, atom('kill'));
    await until('the ended process unsubscribed', 2000, () => (ps.subscribers('t') === 1 ? true : undefined));
    expect(() => ps.subscribe('t', { pid: idle(b) })).toThrow(ProcessError);
  });
});
