/**
 * Interop tier: discovery, latency and status (runtime/observe) against real
 * OTP nodes on a private EPMD (the beamwire node's embedded one). Each case
 * names what it exercises on the Erlang side: EPMD's NAMES (net_adm:names/1),
 * net_kernel's is_auth (net_adm:ping/1), and connections made from Erlang.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HandshakeError } from '../../runtime/handshake/index.js';
import { atom, diagnosticsChannels, DialError, DiscoverTimeout, EpmdClient, EpmdError, LatencyError, type NodeDownMessage, type NodeUpMessage } from '../../runtime/index.js';
import { Node } from '../../runtime/node/node.js';
import { shortHost } from '../../runtime/node/names.js';
import { evalIn, requireErl, startErl, type ErlNode } from '../support/erl-node.js';
import { freePort, testPort, until } from '../support/net.js';

const epmdPort = testPort();
const host = shortHost();
let node: Node;
let a: ErlNode;
let b: ErlNode;
let wrong: ErlNode;
const started: ErlNode[] = [];

beforeAll(async () => {
  requireErl();
  node = await Node.start({ name: 'ts', cookie: 'secret', epmd: { mode: 'embedded', port: epmdPort }, logger: 'silent' });
  [a, b, wrong] = await Promise.all([startErl('obs_a', 'secret', epmdPort), startErl('obs_b', 'secret', epmdPort), startErl('obs_wrong', 'other', epmdPort)]);
  started.push(a, b, wrong);
}, 60_000);

afterAll(async () => {
  await Promise.all(started.map((n) => n.stop()));
  await node?.stop();
});

describe('node.discover (EPMD NAMES, net_adm:world_list/1)', () => {
  it('connects to the two nodes with our cookie, refuses the one with another cookie saying why, and skips itself', async () => {
    const found = await node.discover({ hosts: [host] });
    expect(found.connected).toEqual([a.name, b.name]);
    expect(found.refused.map((r) => r.node)).toEqual([wrong.name]);
    const why = found.refused[0]!.error;
    expect(why).toBeInstanceOf(HandshakeError);
    expect([why.step, why.reason]).toEqual(['recv_challenge_ack', 'closed']);
    expect(why.message).toMatch(/cookie mismatch/);
    expect(found.unreachable).toEqual([]);
    expect(node.nodes()).toEqual([a.name, b.name]);
    // Erlang sees us connected too.
    expect(await evalIn(node, a.name, 'nodes().')).toContain(atom(node.name));
  });

  it('a host with no EPMD is unreachable with the EPMD error, and does not spoil the host that answers', async () => {
    const dead = await freePort();
    const [none, ok] = await Promise.all([node.discover({ hosts: ['127.0.0.1'], epmdPort: dead, timeout: 1000 }), node.discover({ hosts: [host], timeout: 3000 })]);
    expect(none.connected).toEqual([]);
    expect(none.unreachable).toHaveLength(1);
    expect(none.unreachable[0]!.host).toBe('127.0.0.1');
    expect(none.unreachable[0]!.node).toBeUndefined();
    expect(none.unreachable[0]!.error).toBeInstanceOf(EpmdError);
    expect((none.unreachable[0]!.error as EpmdError).code).toBe('CONNECT_FAILED');
    expect(ok.connected).toEqual([a.name, b.name]);
  });

  it('asks another EPMD port when given one, and connects at the ports it lists', async () => {
    const otherEpmd = testPort();
    const other = await Node.start({ name: 'obs_other', cookie: 'secret', epmd: { mode: 'embedded', port: otherEpmd }, logger: 'silent' });
    try {
      const found = await node.discover({ hosts: [host], epmdPort: otherEpmd });
      expect(found).toEqual({ connected: [other.name], refused: [], unreachable: [] });
      expect(node.nodes()).toContain(other.name);
    } finally {
      await other.stop();
    }
  });

  it('a node without EPMD of its own (epmd: none) finds and reaches the nodes another EPMD lists', async () => {
    const lone = await Node.start({ name: 'obs_lone', cookie: 'secret', epmd: 'none', logger: 'silent' });
    try {
      // Without `epmdPort`, where erl looks: $ERL_EPMD_PORT.
      const env = process.env['ERL_EPMD_PORT'];
      process.env['ERL_EPMD_PORT'] = String(epmdPort);
      let found;
      try {
        found = await lone.discover({ hosts: [host] });
      } finally {
        if (env === undefined) delete process.env['ERL_EPMD_PORT'];
        else process.env['ERL_EPMD_PORT'] = env;
      }
      expect(found.connected).toEqual(expect.arrayContaining([a.name, b.name, node.name]));
      expect(found.refused.map((r) => r.node)).toEqual([wrong.name]);
      expect(await lone.ping(a.name)).toBe('pong');
    } finally {
      await lone.stop();
    }
  });

  it('a host name that does not resolve is unreachable, not an exception', async () => {
    const found = await node.discover({ hosts: ['no-such-host.invalid'], timeout: 2000 });
    expect(found.unreachable.map((u) => u.host)).toEqual(['no-such-host.invalid']);
    expect(found.unreachable[0]!.error).toBeInstanceOf(EpmdError);
  });
});

/** A TCP listener on 127.0.0.1 that does `onSocket` with each connection; closed by `close`. */
async function listener(onSocket: (s: Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('node.discover: what EPMD lists is not always a node', () => {
  it('a name whose port nothing listens on, and one whose port never answers the handshake, are unreachable within the time', async () => {
    const hole = await listener(() => {}); // accepts, says nothing
    const stale = await freePort();
    const epmd = new EpmdClient({ port: epmdPort });
    const regs = await Promise.all([epmd.register({ name: 'obs_hole', port: hole.port }), epmd.register({ name: 'obs_stale', port: stale })]);
    try {
      const t0 = Date.now();
      const found = await node.discover({ hosts: [host], timeout: 800 });
      expect(Date.now() - t0).toBeLessThan(3000);
      const why = new Map(found.unreachable.map((u) => [u.node, u.error]));
      expect(why.get(`obs_hole@${host}`)).toBeInstanceOf(DiscoverTimeout);
      expect(why.get(`obs_stale@${host}`)).toBeInstanceOf(DialError);
      expect(found.connected).toEqual(expect.arrayContaining([a.name, b.name]));
      expect(found.refused.map((r) => r.node)).toEqual([wrong.name]);
    } finally {
      await Promise.all(regs.map((r) => r.close()));
      await hole.close();
    }
  });

  it('something on the EPMD port that is not EPMD is unreachable with BAD_RESPONSE, one that closes at once with REFUSED, and the node goes on', async () => {
    const liar = await listener((s) => s.end(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')));
    const silent = await listener((s) => s.end());
    try {
      const found = await node.discover({ hosts: ['127.0.0.1'], epmdPort: liar.port, timeout: 1000 });
      expect(found.unreachable).toHaveLength(1);
      expect((found.unreachable[0]!.error as EpmdError).code).toBe('BAD_RESPONSE');
      const none = await node.discover({ hosts: ['127.0.0.1'], epmdPort: silent.port, timeout: 1000 });
      expect((none.unreachable[0]!.error as EpmdError).code).toBe('REFUSED');
      expect(await node.ping(a.name)).toBe('pong');
    } finally {
      await Promise.all([liar.close(), silent.close()]);
    }
  });
});

describe('node.latency (net_adm:ping/1 probes, Chaski smoothing)', () => {
  it('returns a plausible latency and a jitter ≥ 0 for a loopback peer, folded over calls', async () => {
    const first = await node.latency(a.name);
    expect(first.samples).toBe(5);
    expect(first.latency).toBeGreaterThan(0);
    expect(first.latency).toBeLessThan(1000);
    expect(first.jitter).toBeGreaterThanOrEqual(0);
    expect(first.deviation).toBeGreaterThanOrEqual(0);
    const more = await node.latency(a.name, { probes: 3 });
    expect(more.samples).toBe(8);
    // Chaski's jitter is its posterior standard deviation: 100/√n.
    expect(more.jitter).toBeCloseTo(100 / Math.sqrt(8), 6);
  });

  it('connects to a peer not yet connected; a node that is not there is LATENCY_UNREACHABLE; itself is LATENCY_SELF', async () => {
    const c = await startErl('obs_c', 'secret', epmdPort);
    started.push(c);
    expect(node.nodes()).not.toContain(c.name);
    expect((await node.latency(c.name, { probes: 1 })).samples).toBe(1);
    expect(node.nodes()).toContain(c.name);
    await expect(node.latency(`nobody@${host}`)).rejects.toMatchObject({ name: 'LatencyError', code: 'LATENCY_UNREACHABLE' });
    await expect(node.latency(node.name)).rejects.toMatchObject({ code: 'LATENCY_SELF' });
  });

  it('a node that goes away while probed is LATENCY_NO_ANSWER, and its estimate goes with the connection', async () => {
    const gone = await startErl('obs_gone', 'secret', epmdPort);
    started.push(gone);
    await node.latency(gone.name, { probes: 1 });
    const probing = node.latency(gone.name, { probes: 100_000, timeout: 2000 }).catch((x: unknown) => x);
    await new Promise((r) => setTimeout(r, 100));
    gone.kill9();
    const e = await probing;
    expect(e).toBeInstanceOf(LatencyError);
    expect((e as LatencyError).code).toBe('LATENCY_NO_ANSWER');
    await until('the connection to go', 5000, () => (node.nodes().includes(gone.name) ? undefined : true));
    expect(node.status().connections.map((x) => x.node)).not.toContain(gone.name);
  });

  it('a node stopped under a measurement rejects it with NodeStopped, and takes no new one', async () => {
    const short = await Node.start({ name: 'obs_short', cookie: 'secret', epmd: { mode: 'external', port: epmdPort }, logger: 'silent' });
    const probing = short.latency(a.name, { probes: 100_000 }).catch((e: unknown) => e);
    await until('a first probe', 5000, () => short.status().connections.find((c) => c.node === a.name)?.latency);
    await short.stop();
    expect(await probing).toMatchObject({ name: 'NodeStopped', operation: 'latency' });
    await expect(short.latency(a.name)).rejects.toMatchObject({ name: 'NodeStopped' });
    expect(short.status().connections).toEqual([]);
  });
});

describe('node.status', () => {
  it('lists the connections (visible, carrier, latency once probed), the process count and registered names', async () => {
    const box = node.spawn(async (self) => void (await self.receive()));
    node.register('status_box', box.pid);
    const hidden = await Node.start({ name: 'obs_hidden', cookie: 'secret', hidden: true, epmd: { mode: 'external', port: epmdPort }, logger: 'silent' });
    try {
      await hidden.connect(node.name);
      await node.connect(b.name);
      const probed = await node.latency(a.name, { probes: 2 });
      const s = node.status();
      expect(s.name).toBe(node.name);
      const byName = new Map(s.connections.map((c) => [c.node, c]));
      expect(byName.get(a.name)).toMatchObject({ visible: true, carrier: 'tcp', latency: probed });
      expect(byName.get(b.name)).toMatchObject({ visible: true });
      expect(byName.get(b.name)!.latency).toBeUndefined();
      expect(byName.get(hidden.name)?.visible).toBe(false);
      expect(byName.get(hidden.name)?.latency).toBeUndefined();
      expect(byName.get(a.name)!.since).toBeLessThanOrEqual(Date.now());
      expect(s.processes.registered).toEqual(expect.arrayContaining(['net_kernel', 'rex', 'user', 'status_box']));
      expect(s.processes.registered).toEqual([...s.processes.registered].sort());
      expect(s.processes.count).toBeGreaterThanOrEqual(4);
      expect(s.groups).toBeUndefined();
      // pg's groups, once a scope runs; its joins are published on diagnostics_channel too.
      const joins: unknown[] = [];
      const seen = (m: unknown): void => void joins.push(m);
      subscribe(diagnosticsChannels.join, seen);
      try {
        node.pg().join(atom('workers'), box.pid);
        expect(node.status().groups).toEqual([{ scope: 'pg', group: atom('workers'), members: 1, localMembers: 1 }]);
        expect(joins).toEqual([{ node: node.name, scope: 'pg', group: atom('workers'), pids: [box.pid] }]);
      } finally {
        unsubscribe(diagnosticsChannels.join, seen);
      }
      expect(hidden.status().connections.map((c) => [c.node, c.visible])).toEqual([[node.name, false]]);
    } finally {
      await hidden.stop();
      node.exit(box.pid, atom('kill'));
    }
  });

  it('reports a latency for every connection when probeInterval is set', async () => {
    const prober = await Node.start({ name: 'obs_prober', cookie: 'secret', epmd: { mode: 'external', port: epmdPort }, probeInterval: 50, logger: 'silent' });
    try {
      await prober.connect(a.name);
      const probed = await until('a continuous probe', 5000, () => {
        const c = prober.status().connections.find((x) => x.node === a.name);
        return c?.latency !== undefined && c.latency.samples >= 2 ? c.latency : undefined;
      });
      expect(probed.latency).toBeGreaterThan(0);
    } finally {
      await prober.stop();
    }
  });

  it('a probeInterval that is not a number of ms ≥ 0 fails Node.start before anything starts', async () => {
    for (const bad of [-1, NaN, Infinity])
      await expect(Node.start({ name: 'obs_bad', cookie: 'secret', epmd: { mode: 'external', port: epmdPort }, probeInterval: bad })).rejects.toThrow(RangeError);
    const listed = (await new EpmdClient({ port: epmdPort }).names()).nodes.map((n) => n.name);
    expect(listed).not.toContain('obs_bad');
  });
});

describe('diagnostics_channel beamwire:nodeup / beamwire:nodedown', () => {
  it('a subscriber sees an Erlang node connect (net_adm:ping from Erlang) and stop', async () => {
    const ups: NodeUpMessage[] = [];
    const downs: NodeDownMessage[] = [];
    const onUp = (m: unknown): void => void ups.push(m as NodeUpMessage);
    const onDown = (m: unknown): void => void downs.push(m as NodeDownMessage);
    subscribe(diagnosticsChannels.nodeup, onUp);
    subscribe(diagnosticsChannels.nodedown, onDown);
    const emitted: string[] = [];
    const onEmit = (n: string): void => void emitted.push(n);
    node.on('nodeup', onEmit);
    try {
      const d = await startErl('obs_d', 'secret', epmdPort, ['-eval', `pong = net_adm:ping('${node.name}')`]);
      started.push(d);
      await until('nodeup', 5000, () => (ups.some((m) => m.peer === d.name) ? true : undefined));
      expect(ups.filter((m) => m.peer === d.name)).toEqual([{ node: node.name, peer: d.name, visible: true }]);
      expect(emitted).toContain(d.name);
      await d.stop();
      await until('nodedown', 5000, () => (downs.some((m) => m.peer === d.name) ? true : undefined));
      // An erl that exits with bytes of ours still unread (a tick, global's messages) resets the socket: socket_error, not closed.
      expect(downs.filter((m) => m.peer === d.name)).toEqual([{ node: node.name, peer: d.name, reason: expect.stringMatching(/^(closed|socket_error)$/) }]);
    } finally {
      unsubscribe(diagnosticsChannels.nodeup, onUp);
      unsubscribe(diagnosticsChannels.nodedown, onDown);
      node.off('nodeup', onEmit);
    }
  });
});
