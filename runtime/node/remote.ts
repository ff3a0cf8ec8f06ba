/**
 * RemoteSignals over distribution connections: each outbound signal becomes
 * the control message the negotiated flags call for (SEND_SENDER or SEND,
 * PAYLOAD_EXIT or EXIT, ...), connecting on demand. Signals sent while a
 * connection is being set up wait for it, in order; if it cannot be made they
 * are dropped and every link and monitor to that node fires `noconnection`,
 * as in Erlang. `busy` and `drain` are the back-pressure: a connection over
 * its high-water mark, or one being set up with many signals waiting, makes
 * a sender wait (a process at its next receive, see RemoteSignals.busy).
 */
import { control } from '../../generated/control.js';
import { Dflag } from '../../generated/handshake.js';
import type { Connection } from '../connection/connection.js';
import { encode } from '../etf/codec.js';
import type { RemoteSignals } from '../process/index.js';
import { atom, type Atom } from '../term/atom.js';
import type { Mfa } from '../term/shape.js';
import type { Pid, Reference, Term, Tuple } from '../term/values.js';

export interface Links {
  /** The connection to `node` if it is up. */
  connected(node: string): { connection: Connection; flags: bigint } | undefined;
  /** Starts (or joins) a connection attempt. */
  connect(node: string): Promise<unknown>;
  /** The attempt failed: drop what waited and fire noconnection. */
  unreachable(node: string, error: unknown): void;
}

/** The signals, as numbers: a waiting signal is its kind and up to four arguments in a flat array, not a closure. */
const enum K {
  // The kinds up to spawnRequest carry a payload, encoded when it has to wait.
  send,
  regSend,
  aliasSend,
  spawnRequest,
  link,
  unlink,
  unlinkAck,
  exit,
  exit2,
  monitor,
  demonitor,
  down,
  spawnReply,
}
const WIDTH = 5;

/** Signals waiting for a connection to be set up; past this many, senders are asked to wait for it. */
const WAITING_LIMIT = 16 * 1024;

interface Waiting {
  /** WIDTH slots per signal: kind, then its arguments (for a message, its encoded length in `bytes`). */
  readonly signals: unknown[];
  /** The waiting messages, encoded: bytes are smaller than the terms they came from. */
  readonly bytes: WaitingBytes;
  /** Settles when the signals went out or were dropped; made for the first sender that waits. */
  sent?: { readonly promise: Promise<void>; readonly resolve: () => void };
}

export class Outbound implements RemoteSignals {
  private readonly waiting = new Map<string, Waiting>();

  constructor(private readonly links: Links) {}

  private to(node: Atom, kind: K, a: unknown, b?: unknown, c?: unknown, d?: unknown): void {
    const name = node.name;
    const up = this.links.connected(name);
    if (up) return emit(up.connection, up.flags, kind, a, b, c, d);
    // A payload is encoded now: an encode error reaches the sender, as on a live connection.
    const encoded = kind <= K.spawnRequest ? encode(c as Term) : undefined;
    let queue = this.waiting.get(name);
    if (queue === undefined) {
      queue = { signals: [], bytes: new WaitingBytes() };
      this.waiting.set(name, queue);
      this.connect(name);
    }
    queue.signals.push(kind, a, b, encoded === undefined ? c : queue.bytes.add(encoded), d);
  }

  private connect(name: string): void {
    this.links.connect(name).then(
      () => this.flush(name),
      (e: unknown) => {
        this.release(name);
        this.links.unreachable(name, e);
      },
    );
  }

  /** Sends what waited for `node`, in order (also called when the peer connected to us first); each signal's slots are let go as it is sent. */
  flush(node: string): void {
    const queue = this.waiting.get(node);
    const up = this.links.connected(node);
    if (!queue || !up) return;
    this.release(node);
    const q = queue.signals;
    for (let i = 0; i < q.length; i += WIDTH) {
      const kind = q[i] as K;
      const a = q[i + 1];
      const b = q[i + 2];
      const c = q[i + 3];
      const d = q[i + 4];
      q.fill(undefined, i, i + WIDTH);
      if (kind <= K.spawnRequest) emitEncoded(up.connection, up.flags, kind, a, b, queue.bytes.take(c as number));
      else emit(up.connection, up.flags, kind, a, b, c, d);
    }
  }

  private release(node: string): void {
    this.waiting.get(node)?.sent?.resolve();
    this.waiting.delete(node);
  }

  /**
   * What a sender to `node` should wait for (Erlang's busy dist port): the
   * connection's `drained()` while it is at or above its high-water mark,
   * the end of the setup while more than WAITING_LIMIT signals wait for it;
   * otherwise undefined, and nobody waits.
   */
  busy(node: Atom): Promise<void> | undefined {
    const up = this.links.connected(node.name);
    if (up) return up.connection.needsDrain ? up.connection.drained() : undefined;
    const queue = this.waiting.get(node.name);
    if (queue === undefined || queue.signals.length < WAITING_LIMIT * WIDTH) return undefined;
    if (queue.sent === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      queue.sent = { promise, resolve };
    }
    return queue.sent.promise;
  }

  /**
   * Resolves once nothing makes a sender to `node` wait (see `busy`): at
   * once when it is connected below the mark, or neither connected nor
   * being connected with many signals waiting. Never
   * rejects: it paces a sender and says nothing of delivery; a connection
   * that goes down (or cannot be made) settles it, and links, monitors and
   * 'nodedown' say what was lost.
   */
  async drain(node: string): Promise<void> {
    const n = atom(node);
    for (let wait = this.busy(n); wait !== undefined; wait = this.busy(n)) await wait;
  }

  send(from: Pid, to: Pid, message: Term): void {
    this.to(to.node, K.send, from, to, message);
  }
  regSend(from: Pid, name: Atom, node: Atom, message: Term): void {
    this.to(node, K.regSend, from, name, message);
  }
  aliasSend(from: Pid, alias: Reference, message: Term): void {
    this.to(alias.node, K.aliasSend, from, alias, message);
  }
  link(from: Pid, to: Pid): void {
    this.to(to.node, K.link, from, to);
  }
  unlink(from: Pid, to: Pid, id: bigint): void {
    this.to(to.node, K.unlink, from, to, id);
  }
  unlinkAck(from: Pid, to: Pid, id: bigint): void {
    this.to(to.node, K.unlinkAck, from, to, id);
  }
  exit(from: Pid, to: Pid, reason: Term): void {
    this.to(to.node, K.exit, from, to, reason);
  }
  exit2(from: Pid, to: Pid, reason: Term): void {
    this.to(to.node, K.exit2, from, to, reason);
  }
  monitor(from: Pid, target: Pid | Atom, node: Atom, ref: Reference): void {
    this.to(node, K.monitor, from, target, ref);
  }
  demonitor(from: Pid, target: Pid | Atom, node: Atom, ref: Reference): void {
    this.to(node, K.demonitor, from, target, ref);
  }
  down(target: Pid | Atom, watcher: Pid, ref: Reference, reason: Term): void {
    this.to(watcher.node, K.down, target, watcher, ref, reason);
  }
  spawnRequest(from: Pid, node: Atom, reqId: Reference, groupLeader: Pid, mfa: Mfa, opts: Term[], args: Term[]): void {
    this.to(node, K.spawnRequest, control.spawnRequest(reqId, from, groupLeader, mfa, opts), undefined, args);
  }
  spawnReply(to: Pid, reqId: Reference, flags: number, result: Pid | Atom): void {
    this.to(to.node, K.spawnReply, reqId, to, flags, result);
  }
}

/** A payload that waited, already encoded (for a spawn request, `a` is its control message). */
function emitEncoded(c: Connection, f: bigint, kind: K, a: unknown, to: unknown, bytes: Uint8Array): void {
  const from = a as Pid;
  if (kind === K.send) void (f & Dflag.SEND_SENDER ? c.sendEncoded(control.sendSender(from, to as Pid), bytes) : c.sendEncoded(control.send(to as Pid), bytes));
  else if (kind === K.regSend) c.sendEncoded(control.regSend(from, to as Atom), bytes);
  else if (kind === K.aliasSend) c.sendEncoded(control.aliasSend(from, to as Reference), bytes);
  else c.sendEncoded(a as Tuple, bytes);
}

const BYTES_CHUNK = 256 * 1024;

/**
 * Encoded messages in large chunks, read back in the order added (a message
 * that did not fit in a chunk's rest starts the next, on both sides); a
 * chunk read to its end is let go.
 */
class WaitingBytes {
  private readonly chunks: (Uint8Array | undefined)[] = [];
  private chunk = new Uint8Array(0);
  private pos = 0;
  private readChunk = 0;
  private readPos = 0;

  /** Copies `bytes` in; returns their length, which `take` needs back. */
  add(bytes: Uint8Array): number {
    if (bytes.length > this.chunk.length - this.pos) {
      this.chunk = new Uint8Array(Math.max(BYTES_CHUNK, bytes.length));
      this.chunks.push(this.chunk);
      this.pos = 0;
    }
    this.chunk.set(bytes, this.pos);
    this.pos += bytes.length;
    return bytes.length;
  }

  /** The next `n` bytes added. */
  take(n: number): Uint8Array {
    let c = this.chunks[this.readChunk]!;
    if (this.readPos + n > c.length) {
      this.chunks[this.readChunk++] = undefined;
      c = this.chunks[this.readChunk]!;
      this.readPos = 0;
    }
    const out = c.subarray(this.readPos, this.readPos + n);
    this.readPos += n;
    return out;
  }
}

/** One signal as the control message the negotiated flags call for. */
function emit(c: Connection, f: bigint, kind: K, a: unknown, b: unknown, x: unknown, d: unknown): void {
  switch (kind) {
    case K.send:
      return void (f & Dflag.SEND_SENDER ? c.send(control.sendSender(a as Pid, b as Pid), x as Term) : c.send(control.send(b as Pid), x as Term));
    case K.regSend:
      return void c.send(control.regSend(a as Pid, b as Atom), x as Term);
    case K.aliasSend:
      return void c.send(control.aliasSend(a as Pid, b as Reference), x as Term);
    case K.spawnRequest:
      return void c.send(a as Tuple, x as Term);
    case K.spawnReply:
      return void c.send(control.spawnReply(a as Reference, b as Pid, x as number, d as Pid | Atom));
    case K.link:
      return void c.send(control.link(a as Pid, b as Pid));
    case K.unlink:
      return void c.send(control.unlinkId(x as bigint, a as Pid, b as Pid));
    case K.unlinkAck:
      return void c.send(control.unlinkIdAck(x as bigint, a as Pid, b as Pid));
    case K.exit:
      return void (f & Dflag.EXIT_PAYLOAD ? c.send(control.payloadExit(a as Pid, b as Pid), x as Term) : c.send(control.exit(a as Pid, b as Pid, x as Term)));
    case K.exit2:
      return void (f & Dflag.EXIT_PAYLOAD ? c.send(control.payloadExit2(a as Pid, b as Pid), x as Term) : c.send(control.exit2(a as Pid, b as Pid, x as Term)));
    case K.monitor:
      return void c.send(control.monitorP(a as Pid, b as Pid | Atom, x as Reference));
    case K.demonitor:
      return void c.send(control.demonitorP(a as Pid, b as Pid | Atom, x as Reference));
    case K.down:
      return void (f & Dflag.EXIT_PAYLOAD
        ? c.send(control.payloadMonitorPExit(a as Pid | Atom, b as Pid, x as Reference), d as Term)
        : c.send(control.monitorPExit(a as Pid | Atom, b as Pid, x as Reference, d as Term)));
  }
}
