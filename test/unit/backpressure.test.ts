/**
 * Unit tier: back-pressure (issue 8, point 5). Connection's needsDrain,
 * drained() and 'drain' over real loopback sockets whose reader stops; the
 * Outbound's busy/drain while a connection is being set up; and a process
 * that sends in a loop being suspended at its next receive while its
 * connection is busy (a stand-in RemoteSignals plays the connection).
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { socketPair as pair } from '../support/net.js';
import { control, parseControl } from '../../generated/control.js';
import { Dflag } from '../../generated/handshake.js';
import { Connection, type ConnectionClosed, type ConnectionSink } from '../../runtime/connection/connection.js';
import { atom, decode, EncodeError, Pid, Reference, tuple, type Term, type Tuple } from '../../runtime/index.js';
import { Outbound, type Links } from '../../runtime/node/remote.js';
import { on, P, ProcessTable, type RemoteSignals } from '../../runtime/process/index.js';

const pid = new Pid(atom('a@h'), 1, 0, 4);
const flags = Dflag.FRAGMENTS | Dflag.SEND_SENDER;
const HWM = 256 * 1024;
const sockets: Socket[] = [];
afterEach(() => sockets.splice(0).forEach((s) => s.destroy()));

const socketPair = (): Promise<[Socket, Socket]> => pair(sockets);

function sink(): ConnectionSink & { got: Term[] } {
  const got: Term[] = [];
  return { got, signal: (_c, _ctl, payload) => void got.push(payload!), closed: () => {} };
}

const until = async (cond: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** Sends 10 KiB messages numbered from `from` until `c` reports back-pressure; returns the next number. */
function fill(c: Connection, from: number): number {
  const blob = new Uint8Array(10_000);
  let i = from;
  while (c.send(control.sendSender(pid, pid), tuple(i++, blob)));
  return i;
}

/** A connection whose peer reads nothing until `resume()`: its queue stays above the mark once the kernel's buffers are full. */
async function blocked(): Promise<{ c: Connection; peer: ReturnType<typeof sink>; resume(): void; next: number }> {
  const [a, b] = await socketPair();
  b.pause();
  const peer = sink();
  const c = new Connection(a, new Uint8Array(0), { peer: 'b@h', flags, highWaterMark: HWM }, sink());
  new Connection(b, new Uint8Array(0), { peer: 'a@h', flags }, peer);
  b.pause(); // the constructor resumed it
  let next = 0;
  // Once the kernel took what it can, the queue stays up: the mark is then still reached after a flush.
  for (let round = 0; round < 200; round++) {
    next = fill(c, next);
    await new Promise((r) => setTimeout(r, 10));
    if (c.needsDrain) break;
  }
  return { c, peer, resume: () => b.resume(), next };
}

describe('Connection back-pressure', () => {
  it('below the mark: send returns true, needsDrain is false, drained() is already settled', async () => {
    const [a, b] = await socketPair();
    const c = new Connection(a, new Uint8Array(0), { peer: 'b@h', flags, highWaterMark: HWM }, sink());
    new Connection(b, new Uint8Array(0), { peer: 'a@h', flags }, sink());
    expect(c.send(control.sendSender(pid, pid), 1)).toBe(true);
    expect(c.needsDrain).toBe(false);
    let settled = false;
    void c.drained().then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(true);
  });

  it('at the mark: needsDrain, one shared drained() promise, one drain event once below; nothing lost or reordered', async () => {
    const { c, peer, resume, next } = await blocked();
    expect(c.needsDrain).toBe(true);
    expect(c.queued).toBeGreaterThanOrEqual(HWM);
    const first = c.drained();
    expect(c.drained()).toBe(first);
    let drains = 0;
    c.on('drain', () => drains++);
    let settled = false;
    void first.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false); // nobody reads: it stays busy
    resume();
    await first;
    expect(c.queued).toBeLessThan(HWM);
    expect(c.needsDrain).toBe(false);
    expect(drains).toBe(1);
    await until(() => peer.got.length === next);
    expect(peer.got.map((t) => (t as { at(i: number): Term }).at(0))).toEqual([...Array(next).keys()]);
  });

  it('a connection that closes while busy settles drained() (it never rejects), and needsDrain is false after', async () => {
    const { c } = await blocked();
    const waiting = c.drained();
    const closed = new Promise<ConnectionClosed>((r) => c.once('close', r));
    c.close();
    await expect(waiting).resolves.toBeUndefined();
    expect((await closed).reason).toBe('local');
    expect(c.needsDrain).toBe(false);
  });

  it('small and large packets (past the chunk size, and fragmented) arrive whole and in order', async () => {
    const [a, b] = await socketPair();
    const peer = sink();
    const c = new Connection(a, new Uint8Array(0), { peer: 'b@h', flags }, sink());
    new Connection(b, new Uint8Array(0), { peer: 'a@h', flags: 0n | Dflag.FRAGMENTS }, peer);
    const sizes = [1, 200_000, 3, 40_000, 130_000, 5, 1_000_000, 7, 100_000, 60_000, 70_000];
    const sent: Uint8Array[] = [];
    for (let round = 0; round < 3; round++)
      for (const n of sizes) {
        const blob = new Uint8Array(n).map((_, i) => (i * 31 + sent.length) & 0xff);
        sent.push(blob);
        c.send(control.sendSender(pid, pid), blob);
      }
    await until(() => peer.got.length === sent.length);
    expect(peer.got.map((t, i) => Buffer.from(t as Uint8Array).equals(sent[i]!))).toEqual(sent.map(() => true));
  });
});

describe('Outbound busy/drain', () => {
  /** Links whose attempt settles when the test says. */
  function pendingLinks(): { links: Links; succeed(): void; fail(): void; up: boolean } {
    let settle!: { ok: () => void; no: (e: unknown) => void };
    const state = {
      up: false,
      links: {
        connected: () => undefined,
        connect: () => new Promise<void>((ok, no) => (settle = { ok, no })),
        unreachable: () => {},
      } as Links,
      succeed: () => settle.ok(),
      fail: () => settle.no(new Error('no route')),
    };
    return state;
  }

  it('a connection being set up: drain waits once many signals wait for it, and settles when the attempt fails', async () => {
    const l = pendingLinks();
    const out = new Outbound(l.links);
    const to = new Pid(atom('b@h'), 1, 0, 1);
    out.send(pid, to, 0);
    expect(out.busy(atom('b@h'))).toBeUndefined(); // a few waiting signals are no reason to wait
    for (let i = 1; i < 20_000; i++) out.send(pid, to, i);
    const wait = out.busy(atom('b@h'));
    expect(wait).toBeInstanceOf(Promise);
    let settled = false;
    const drained = out.drain('b@h').then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(settled).toBe(false);
    l.fail();
    await drained;
    expect(out.busy(atom('b@h'))).toBeUndefined();
  });

  it('signals that waited for the connection go out in order, each as the flags call for, and later ones after them', async () => {
    const sent: unknown[] = [];
    const fake = {
      send: (ctl: Term, payload?: Term) => (sent.push(parseControl(ctl as Tuple).kind, payload ?? null), true),
      // Messages that waited were encoded when sent.
      sendEncoded: (ctl: Term, bytes: Uint8Array) => (sent.push(parseControl(ctl as Tuple).kind, decode(bytes)), true),
      needsDrain: false,
    };
    let up: { connection: Connection; flags: bigint } | undefined;
    let connected!: () => void;
    const out = new Outbound({
      connected: () => up,
      connect: () => new Promise<void>((r) => (connected = r)),
      unreachable: () => {},
    });
    const b = new Pid(atom('b@h'), 1, 0, 1);
    const ref = new Reference(atom('a@h'), 4, [1, 2, 3]);
    out.send(pid, b, atom('m1'));
    out.link(pid, b);
    out.regSend(pid, atom('reg'), atom('b@h'), atom('m2'));
    out.exit(pid, b, atom('boom'));
    out.monitor(pid, b, atom('b@h'), ref);
    out.down(pid, b, ref, atom('normal'));
    out.unlink(pid, b, 7n);
    expect(sent).toEqual([]);
    up = { connection: fake as unknown as Connection, flags: Dflag.SEND_SENDER | Dflag.EXIT_PAYLOAD | Dflag.UNLINK_ID };
    connected();
    await new Promise((r) => setTimeout(r, 0));
    out.send(pid, b, atom('m3'));
    expect(sent).toEqual([
      'send_sender', atom('m1'), 'link', null, 'reg_send', atom('m2'), 'payload_exit', atom('boom'),
      'monitor_p', null, 'payload_monitor_p_exit', atom('normal'), 'unlink_id', null, 'send_sender', atom('m3'),
    ]);
  });

  it('a message that cannot be encoded throws at the send while the connection is being set up, as on a live one', () => {
    const out = new Outbound(pendingLinks().links);
    expect(() => out.send(pid, new Pid(atom('b@h'), 1, 0, 1), Symbol('x') as unknown as Term)).toThrow(EncodeError);
  });

  it('drain resolves at once for a node that is neither connected nor being connected', async () => {
    const out = new Outbound(pendingLinks().links);
    await expect(out.drain('nobody@h')).resolves.toBeUndefined();
  });
});

describe('a process sending to a busy connection', () => {
  /** A stand-in for the distribution layer: records sends; `busy` is on while `gate` is set. */
  function gatedRemote(): { remote: RemoteSignals; sent: Term[]; close(): void; open(): void; asked: number } {
    const sent: Term[] = [];
    let gate: { promise: Promise<void>; resolve: () => void } | undefined;
    const noop = (): void => {};
    const state = {
      sent,
      asked: 0,
      close: () => {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => (resolve = r));
        gate = { promise, resolve };
      },
      open: () => {
        const g = gate;
        gate = undefined;
        g?.resolve();
      },
      remote: {
        send: (_f: Pid, _t: Pid, m: Term) => void sent.push(m),
        regSend: noop,
        aliasSend: noop,
        link: noop,
        unlink: noop,
        unlinkAck: noop,
        exit: noop,
        exit2: noop,
        monitor: noop,
        demonitor: noop,
        down: noop,
        spawnRequest: noop,
        spawnReply: noop,
        busy: () => {
          state.asked++;
          return gate?.promise;
        },
      } as RemoteSignals,
    };
    return state;
  }

  const remoteTo = new Pid(atom('erl@box'), 5, 0, 9);
  const nothing = on(P.tuple(atom('never')), () => 0);

  it('is suspended at its next receive until the connection drains, then goes on; order kept', async () => {
    const t = new ProcessTable({ name: atom('ts@host'), creation: 1 });
    const g = gatedRemote();
    t.attachRemote(g.remote);
    let receives = 0;
    const p = t.spawn(async (self) => {
      for (let i = 0; i < 1000; i++) {
        self.send(remoteTo, i);
        if (i === 250) g.close(); // the connection goes over its mark
        if (i % 100 === 99) {
          await self.receive([nothing], { timeout: 0, after: () => 0 });
          receives++;
        }
      }
    });
    await new Promise((r) => setTimeout(r, 50));
    // It sent up to its next receive (i = 299) and waits there.
    expect(g.sent.length).toBe(300);
    expect(receives).toBe(2);
    g.open();
    await p.exited;
    expect(receives).toBe(10);
    expect(g.sent).toEqual([...Array(1000).keys()]);
  });

  it('a receive that waits for a message also waits for the drain first, then gets it', async () => {
    const t = new ProcessTable({ name: atom('ts@host'), creation: 1 });
    const g = gatedRemote();
    t.attachRemote(g.remote);
    g.close();
    let got: Term | undefined;
    const p = t.spawn(async (self) => {
      self.send(remoteTo, 'x');
      got = await self.receive();
    });
    await new Promise((r) => setTimeout(r, 10));
    t.send(p.pid, 'hello');
    await new Promise((r) => setTimeout(r, 10));
    expect(got).toBeUndefined(); // the message is queued; the process is still suspended
    g.open();
    await p.exited;
    expect(got).toBe('hello');
  });

  it('local sends never ask the distribution layer; a remote one that is not busy does not suspend', async () => {
    const t = new ProcessTable({ name: atom('ts@host'), creation: 1 });
    const g = gatedRemote();
    t.attachRemote(g.remote);
    const asked: number[] = [];
    let got: Term | undefined;
    const p = t.spawn(async (self) => {
      self.register(atom('reg'));
      self.send(self.pid, 'me');
      self.send(tuple(atom('reg'), atom('ts@host')), 'x');
      asked.push(g.asked);
      self.send(remoteTo, 1);
      self.send(tuple(atom('reg'), atom('erl@box')), 2);
      asked.push(g.asked);
      got = await self.receive();
    });
    await p.exited;
    expect(asked).toEqual([0, 2]);
    expect(got).toBe('me');
  });
});
