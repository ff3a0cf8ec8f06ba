/**
 * Unit tier: a Node whose peer comes back while the Node still holds the old
 * connection (dist_util's `alive` status). A scripted peer, speaking the real
 * handshake and framing over loopback, connects once, takes a link and a
 * monitor, then connects again as a new incarnation and answers "true" to
 * 'alive'. As net_kernel does, the Node must take the old connection down
 * first (its links and monitors fire noconnection, nodedown), then use the
 * new one, and the old socket closing later must not touch the new one.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Control } from '../../generated/control.js';
import { Connection, type ConnectionClosed } from '../../runtime/connection/connection.js';
import { EpmdClient } from '../../runtime/epmd/index.js';
import { initiateOnStream } from '../../runtime/handshake/index.js';
import { Node } from '../../runtime/node/node.js';
import { atom, Pid, tuple, type Term } from '../../runtime/index.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** `p`, or a failure naming what never happened. */
function within<T>(what: string, p: Promise<T>, ms = 3000): Promise<T> {
  return Promise.race([p, sleep(ms).then(() => Promise.reject(new Error(`${what}: nothing after ${ms} ms`)))]);
}

/** One incarnation of the scripted peer: a handshake from `name` with `creation`, then a Connection that records what it gets. */
interface Incarnation {
  readonly socket: Socket;
  readonly connection: Connection;
  readonly signals: Control[];
  readonly closed: Promise<ConnectionClosed>;
  /** Whether the Node answered 'alive' and we said "true". */
  readonly sawAlive: boolean;
}

async function incarnation(node: Node, name: string, creation: number): Promise<Incarnation> {
  const [alive] = node.name.split('@');
  const info = await new EpmdClient({ host: '127.0.0.1', port: node.epmdPort }).portPlease(alive!);
  const socket = connect(info!.port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise<void>((r) => socket.once('connect', () => r()));
  let sawAlive = false;
  const hs = await initiateOnStream(socket, {
    name,
    creation,
    peerName: node.name,
    cookie: 'secret',
    // A restarted node has no other connection to us: it says "true", as dist_util does when is_pending.
    isAlive: () => (sawAlive = true),
  });
  const signals: Control[] = [];
  let closedWith!: (r: ConnectionClosed) => void;
  const closed = new Promise<ConnectionClosed>((r) => (closedWith = r));
  const connection = new Connection(socket, hs.rest, { peer: node.name, flags: hs.flags }, { signal: (_c, ctl) => signals.push(ctl), closed: (_c, r) => closedWith(r) });
  return { socket, connection, signals, closed, sawAlive };
}

let node: Node;
let peers: Incarnation[] = [];

beforeEach(async () => {
  node = await Node.start({ name: 'tsreplace', cookie: 'secret', epmd: { mode: 'embedded', port: 0 } });
  peers = [];
});

afterEach(async () => {
  for (const p of peers) p.connection.close();
  await node.stop();
});

describe("a connection replaced after 'alive' (dist_util mark_pending: up_pending)", () => {
  it('the old one goes down first: link and monitor fire noconnection, nodedown before nodeup, then the new one carries signals', async () => {
    const host = node.name.split('@')[1]!;
    const peer = `x@${host}`;
    const events: string[] = [];
    node.on('nodeup', (n: string) => events.push(`nodeup ${n}`));
    node.on('nodedown', (n: string, why: string) => events.push(`nodedown ${n} ${why}`));

    const first = await incarnation(node, peer, 1001);
    peers.push(first);
    expect(first.sawAlive).toBe(false);
    await until('the first nodeup', () => events.length === 1);

    const oldPid = new Pid(atom(peer), 77, 0, 1001);
    const fired: string[] = [];
    const linked = new Promise<Term>((r) =>
      node.link(oldPid, (reason) => {
        fired.push('link');
        r(reason);
      }),
    );
    const m = node.monitor(oldPid);
    void m.down.then(() => fired.push('monitor'));
    await m.ref;
    await until('LINK and MONITOR_P on the first connection', () => first.signals.some((s) => s.kind === 'link') && first.signals.some((s) => s.kind === 'monitor_p'));

    // The peer restarts; the Node has not noticed (the old socket stays open on our side).
    const second = await incarnation(node, peer, 2002);
    peers.push(second);
    expect(second.sawAlive).toBe(true);

    expect(await within('the link to the old incarnation', linked)).toBe(atom('noconnection'));
    expect(await within('the monitor of the old incarnation', m.down)).toBe(atom('noconnection'));
    expect(fired.sort()).toEqual(['link', 'monitor']);
    expect(events).toEqual([`nodeup ${peer}`, `nodedown ${peer} replaced`, `nodeup ${peer}`]);
    // The Node closed the old socket: the old incarnation sees the peer close.
    expect((await within('the old socket to close', first.closed)).reason).toBe('closed');
    expect(first.connection.closed).toBe(true);
    expect(second.connection.closed).toBe(false);

    // The old socket's close came and went: the new connection is still the one in use.
    await sleep(50);
    expect(node.nodes()).toEqual([peer]);
    expect(events).toHaveLength(3);
    const newPid = new Pid(atom(peer), 78, 0, 2002);
    let broken: Term | undefined;
    node.link(newPid, (reason) => (broken = reason));
    node.send(newPid, atom('hello'));
    await until('LINK and SEND_SENDER on the new connection', () => second.signals.some((s) => s.kind === 'link') && second.signals.some((s) => s.kind === 'send_sender' || s.kind === 'send'));
    const link = second.signals.find((s) => s.kind === 'link') as Extract<Control, { kind: 'link' }>;
    expect(link.to).toEqual(newPid);
    // Nothing new reached the old incarnation.
    // global's connect to the peer (init_connect to global_name_server, a monitor of it) aside.
    const gns = atom('global_name_server');
    const ours = first.signals.filter((s) => !((s.kind === 'reg_send' && s.toName === gns) || (s.kind === 'monitor_p' && s.toProc === gns)));
    expect(ours.map((s) => s.kind).sort()).toEqual(['link', 'monitor_p']);
    await sleep(50);
    expect(broken).toBeUndefined();
  });

  it('a process linked over the new connection is not broken by the old one going down', async () => {
    const host = node.name.split('@')[1]!;
    const peer = `y@${host}`;
    const first = await incarnation(node, peer, 1);
    peers.push(first);
    const gotOld = new Promise<Term>((r) => node.link(new Pid(atom(peer), 5, 0, 1), r));
    await until('LINK on the first connection', () => first.signals.some((s) => s.kind === 'link'));

    // On the second nodeup (inside the hand-over), link at once to the new incarnation.
    let newReason: Term | undefined;
    const newPid = new Pid(atom(peer), 6, 0, 2);
    let ups = 0;
    node.on('nodeup', () => {
      if (++ups === 1) node.link(newPid, (reason) => (newReason = reason));
    });
    const second = await incarnation(node, peer, 2);
    peers.push(second);
    expect(await within('the link to the old incarnation', gotOld)).toBe(atom('noconnection'));
    await until('LINK on the new connection', () => second.signals.some((s) => s.kind === 'link'));
    await sleep(50);
    expect(newReason).toBeUndefined();
    expect(node.nodes()).toEqual([peer]);

    // The new connection carries signals in: an EXIT over it breaks that link with its reason.
    const link = second.signals.find((s) => s.kind === 'link') as Extract<Control, { kind: 'link' }>;
    second.connection.send(tuple(3, newPid, link.from, atom('bye')));
    await until('the new link to break with bye', () => newReason !== undefined);
    expect(newReason).toBe(atom('bye'));
  });
});
