/**
 * Unit tier: runtime/connection/connection.ts over real loopback sockets:
 * signals both ways in order, writes batched, ticks keeping an idle link up,
 * the tick timeout, malformed packets closing cleanly, back-pressure.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { socketPair as pair } from '../support/net.js';
import { Dflag } from '../../generated/handshake.js';
import { control, type Control } from '../../generated/control.js';
import { Connection, ConnectionClosed, type ConnectionSink } from '../../runtime/connection/connection.js';
import { busyWaiting } from '../../runtime/connection/spin.js';
import { Node } from '../../runtime/node/node.js';
import { atom, Pid, tuple, type Term } from '../../runtime/index.js';

const pid = new Pid(atom('a@h'), 1, 0, 4);
const flags = Dflag.FRAGMENTS | Dflag.SEND_SENDER;
const sockets: Socket[] = [];

const socketPair = (): Promise<[Socket, Socket]> => pair(sockets);

function recorder(): ConnectionSink & { got: [Control, Term | undefined][]; closedWith: Promise<ConnectionClosed> } {
  let done!: (c: ConnectionClosed) => void;
  const closedWith = new Promise<ConnectionClosed>((r) => (done = r));
  const got: [Control, Term | undefined][] = [];
  return { got, closedWith, signal: (_c, ctl, payload) => got.push([ctl, payload]), closed: (_c, reason) => done(reason) };
}

const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
};

afterEach(() => sockets.splice(0).forEach((s) => s.destroy()));

/** Counts the socket writes a connection makes on `s`. */
function countWrites(s: Socket): { n: number } {
  const count = { n: 0 };
  const write = s.write.bind(s);
  s.write = ((...args: Parameters<Socket['write']>) => (count.n++, write(...args))) as Socket['write'];
  return count;
}

describe('Connection', () => {
  it('carries 10 000 signals in order, batched into few socket writes', async () => {
    const [a, b] = await socketPair();
    const writes = countWrites(a);
    const sa = recorder();
    const sb = recorder();
    const ca = new Connection(a, new Uint8Array(0), { peer: 'b@h', flags }, sa);
    new Connection(b, new Uint8Array(0), { peer: 'a@h', flags }, sb);
    for (let i = 0; i < 10_000; i++) ca.send(control.sendSender(pid, pid), tuple(atom('n'), i));
    await until(() => sb.got.length === 10_000);
    expect(sb.got.map(([, p]) => (p as { at(i: number): Term }).at(1))).toEqual([...Array(10_000).keys()]);
    expect(sb.got[0]![0]).toEqual({ kind: 'send_sender', from: pid, to: pid });
    expect(writes.n).toBeLessThan(10);
  });

  it('one write per callback and the promise jobs it sets off, before the check phase; a later callback writes again', async () => {
    const [a, b] = await socketPair();
    const writes = countWrites(a);
    const sb = recorder();
    const ca = new Connection(a, new Uint8Array(0), { peer: 'b@h', flags }, recorder());
    new Connection(b, new Uint8Array(0), { peer: 'a@h', flags }, sb);
    const atCheckPhase = await new Promise<number>((resolve) =>
      setTimeout(() => {
        setImmediate(() => resolve(writes.n)); // queued before the sends
        ca.send(control.sendSender(pid, pid), 1);
        void Promise.resolve()
          .then(() => ca.send(control.sendSender(pid, pid), 2))
          .then(() => ca.send(control.sendSender(pid, pid), 3));
      }, 0),
    );
    expect(atCheckPhase).toBe(1); // sent before the check phase, all three in one write
    setTimeout(() => ca.send(control.sendSender(pid, pid), 4), 0);
    await until(() => sb.got.length === 4);
    expect(sb.got.map(([, p]) => p)).toEqual([1, 2, 3, 4]);
    expect(writes.n).toBe(2);
  });

  it('1000 sends in one synchronous loop reach the socket as one write; a lone send in a later callback is not held past it', async () => {
    const [a, b] = await socketPair();
    const writes = countWrites(a);
    const sb = recorder();
    const ca = new Connection(a, new Uint8Array(0), { peer: 'b@h', flags }, recorder());
    new Connection(b, new Uint8Array(0), { peer: 'a@h', flags }, sb);
    for (let i = 0; i < 1000; i++) ca.send(control.sendSender(pid, pid), i);
    expect(writes.n).toBe(0); // nothing written inside the loop: the sends are gathered
    await new Promise(setImmediate);
    expect(writes.n).toBe(1);
    // A timer callback with a timer due after it: the lone send is written before that timer runs.
    const written = await new Promise<number>((resolve) =>
      setTimeout(() => {
        setTimeout(() => resolve(writes.n), 0);
        ca.send(control.sendSender(pid, pid), 1000);
      }, 0),
    );
    expect(written).toBe(2);
    await until(() => sb.got.length === 1001);
    expect(sb.got.map(([, p]) => p)).toEqual([...Array(1001).keys()]);
  });

  it('decode.copyBinaries gives binaries of their own, not views of the socket chunk', async () => {
    const [a, b] = await socketPair();
    const copied = recorder();
    const viewed = recorder();
    const ca = new Connection(a, new Uint8Array(0), { peer: 'b@h', flags }, recorder());
    new Connection(b, new Uint8Array(0), { peer: 'a@h', flags, decode: { copyBinaries: true } }, copied);
    const [c, d] = await socketPair();
    const cc = new Connection(c, new Uint8Array(0), { peer: 'b@h', flags }, recorder());
    new Connection(d, new Uint8Array(0), { peer: 'a@h', flags }, viewed);
    for (const conn of [ca, cc]) for (let i = 0; i < 3; i++) conn.send(control.sendSender(pid, pid), Uint8Array.of(i, 1, 2, 3));
    await until(() => copied.got.length === 3 && viewed.got.length === 3);
    for (const [, bin] of copied.got) expect((bin as Uint8Array).buffer.byteLength).toBe(4);
    expect(copied.got.map(([, p]) => [...(p as Uint8Array)])).toEqual([0, 1, 2].map((i) => [i, 1, 2, 3]));
    // Without the option, a view into the bytes received (zero-copy).
    expect((viewed.got[0]![1] as Uint8Array).buffer.byteLength).toBeGreaterThan(4);
  });

  it('ticks keep an idle connection up, and silence closes it with net_tick_timeout', async () => {
    const [a, b] = await socketPair();
    const sa = recorder();
    const ca = new Connection(a, new Uint8Array(0), { peer: 'b@h', flags, ticktime: 0.4 }, sa);
    const cb = new Connection(b, new Uint8Array(0), { peer: 'a@h', flags, ticktime: 0.4 }, recorder());
    await new Promise((r) => setTimeout(r, 1000));
    expect(ca.closed || cb.closed).toBe(false);
    // b's node hangs: its socket stays open but nothing more is written on it.
    b.write = (() => true) as unknown as Socket['write'];
    const reason = await sa.closedWith;
    expect(reason.reason).toBe('net_tick_timeout');
  });

  it('a malformed packet from the peer closes the connection cleanly with the DecodeError as cause', async () => {
    const [a, b] = await socketPair();
    const sa = recorder();
    new Connection(a, new Uint8Array(0), { peer: 'b@h', flags }, sa);
    b.write(Uint8Array.of(0, 0, 0, 3, 131, 71, 0));
    const reason = await sa.closedWith;
    expect(reason.reason).toBe('bad_packet');
    expect((reason.cause as Error).name).toBe('DecodeError');
  });

  it('a control message of the wrong shape closes it with the TermShapeError as cause', async () => {
    const [a, b] = await socketPair();
    const sa = recorder();
    new Connection(a, new Uint8Array(0), { peer: 'b@h', flags: 0n }, sa);
    b.write(Uint8Array.of(0, 0, 0, 5, 112, 131, 104, 1, 97)); // {<truncated>}
    expect((await sa.closedWith).reason).toBe('bad_packet');
  });

  it('reports back-pressure instead of buffering without bound, and drains', async () => {
    const [a, b] = await socketPair();
    b.pause(); // the peer stops reading
    const ca = new Connection(a, new Uint8Array(0), { peer: 'b@h', flags, highWaterMark: 1024 * 1024 }, recorder());
    const blob = new Uint8Array(60_000);
    // Fill the kernel's socket buffers too: only then does the queue stay above the mark.
    let blocked = false;
    for (let i = 0; i < 3000 && !blocked; i++) {
      if (!ca.send(control.sendSender(pid, pid), blob)) {
        await new Promise((r) => setTimeout(r, 20));
        blocked = ca.queued >= 1024 * 1024;
      }
    }
    expect(blocked).toBe(true);
    expect(ca.queued).toBeLessThan(1024 * 1024 + 200_000); // stopped at the mark, not buffering on
    const drained = ca.drained();
    b.resume();
    await drained;
    expect(ca.queued).toBeLessThan(1024 * 1024);
  });
});

describe('Connection payload checks', () => {
  it('a SEND without its message, or a LINK with one, is a bad packet', async () => {
    for (const bytes of [
      // {2, '', <pid>} alone, in the p form
      Uint8Array.of(112, 131, 104, 3, 97, 2, 119, 0, 88, 119, 3, 97, 64, 104, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4),
      // {1, Pid, Pid} followed by a term
      Uint8Array.of(112, 131, 104, 3, 97, 1, 88, 119, 3, 97, 64, 104, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4, 88, 119, 3, 97, 64, 104, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4, 131, 106),
    ]) {
      const [a, b] = await socketPair();
      const sa = recorder();
      new Connection(a, new Uint8Array(0), { peer: 'b@h', flags: 0n }, sa);
      const framed = new Uint8Array(4 + bytes.length);
      new DataView(framed.buffer).setUint32(0, bytes.length);
      framed.set(bytes, 4);
      b.write(framed);
      const reason = await sa.closedWith;
      expect(reason.reason).toBe('bad_packet');
      expect((reason.cause as Error).name).toBe('TermShapeError');
      expect(sa.got).toEqual([]);
    }
  });
  it('busy-waits for its window after a packet goes out or comes in (as erl +sbwt), and never with busyWait 0', async () => {
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    /** A connected pair with each side's window; resolves once the sends of this file's earlier cases have stopped spinning. */
    const spinPair = async (wa: number, wb: number): Promise<{ ca: Connection; cb: Connection; got: () => number }> => {
      const [a, b] = await socketPair();
      const sb = recorder();
      const ca = new Connection(a, new Uint8Array(0), { peer: 'b@h', flags, busyWait: wa }, recorder());
      const cb = new Connection(b, new Uint8Array(0), { peer: 'a@h', flags, busyWait: wb }, sb);
      await sleep(20);
      return { ca, cb, got: () => sb.got.length };
    };
    const quiet = await spinPair(0, 0);
    quiet.ca.send(control.sendSender(pid, pid), atom('quiet'));
    await until(() => quiet.got() === 1);
    expect(busyWaiting()).toBe(false);
    quiet.ca.close();
    // A long window on the receiving side only: the packet that arrives starts it, and it ends on time.
    const woken = await spinPair(0, 30_000);
    woken.ca.send(control.sendSender(pid, pid), atom('wake'));
    await until(() => woken.got() === 1);
    expect(busyWaiting()).toBe(true);
    await sleep(10);
    expect(busyWaiting()).toBe(true);
    await until(() => !busyWaiting(), 1000);
    woken.ca.close();
  });
});

describe("Node.start's busyWait", () => {
  it('refuses a window that is not 0 or more microseconds, before it starts anything, saying what it got', async () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY])
      await expect(Node.start({ name: 'spin', cookie: 'c', epmd: 'none', busyWait: bad })).rejects.toThrow(/busyWait must be a number of microseconds, 0 or more \(got/);
  });

  it('takes 0 (never spin) and a window, and the node runs with either', async () => {
    for (const busyWait of [0, 250]) {
      const n = await Node.start({ name: `spin${busyWait}`, cookie: 'c', epmd: 'none', busyWait });
      await n.stop();
    }
  });
});
