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
import type { RemoteSignals } from '../process/remote.js';
import { atom, type Atom } from '../term/atom.js';
import type { Pid, Reference, Term } from '../term/values.js';

type Signal = (c: Connection, flags: bigint) => void;

/** Signals waiting for a connection to be set up; past this many, senders are asked to wait for it. */
const WAITING_LIMIT = 16 * 1024;

interface Waiting {
  readonly signals: Signal[];
  /** Settles when the signals went out or were dropped; made for the first sender that waits. */
  sent?: { readonly promise: Promise<void>; readonly resolve: () => void };
}

export interface Links {
  /** The connection to `node` if it is up. */
  connected(node: string): { connection: Connection; flags: bigint } | undefined;
  /** Starts (or joins) a connection attempt. */
  connect(node: string): Promise<unknown>;
  /** The attempt failed: drop what waited and fire noconnection. */
  unreachable(node: string, error: unknown): void;
}

export class Outbound implements RemoteSignals {
  private readonly waiting = new Map<string, Waiting>();

  constructor(private readonly links: Links) {}

  private to(node: Atom, signal: Signal): void {
    const name = node.name;
    const up = this.links.connected(name);
    if (up) return signal(up.connection, up.flags);
    const queue = this.waiting.get(name);
    if (queue) return void queue.signals.push(signal);
    this.waiting.set(name, { signals: [signal] });
    this.links.connect(name).then(
      () => this.flush(name),
      (e: unknown) => {
        this.release(name);
        this.links.unreachable(name, e);
      },
    );
  }

  /** Sends what waited for `node`, in order (also called when the peer connected to us first). */
  flush(node: string): void {
    const queue = this.waiting.get(node);
    const up = this.links.connected(node);
    if (!queue || !up) return;
    this.release(node);
    for (const s of queue.signals) s(up.connection, up.flags);
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
    if (queue === undefined || queue.signals.length < WAITING_LIMIT) return undefined;
    if (queue.sent === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      queue.sent = { promise, resolve };
    }
    return queue.sent.promise;
  }

  /**
   * Resolves once nothing makes a sender to `node` wait (see `busy`): at
   * once when it is not connected, or connected below the mark. Never
   * rejects: it paces a sender and says nothing of delivery; a connection
   * that goes down (or cannot be made) settles it, and links, monitors and
   * 'nodedown' say what was lost.
   */
  async drain(node: string): Promise<void> {
    const n = atom(node);
    for (let wait = this.busy(n); wait !== undefined; wait = this.busy(n)) await wait;
  }

  send(from: Pid, to: Pid, message: Term): void {
    this.to(to.node, (c, f) => (f & Dflag.SEND_SENDER ? c.send(control.sendSender(from, to), message) : c.send(control.send(to), message)));
  }
  regSend(from: Pid, name: Atom, node: Atom, message: Term): void {
    this.to(node, (c) => c.send(control.regSend(from, name), message));
  }
  aliasSend(from: Pid, alias: Reference, message: Term): void {
    this.to(alias.node, (c) => c.send(control.aliasSend(from, alias), message));
  }
  link(from: Pid, to: Pid): void {
    this.to(to.node, (c) => c.send(control.link(from, to)));
  }
  unlink(from: Pid, to: Pid, id: bigint): void {
    this.to(to.node, (c) => c.send(control.unlinkId(id, from, to)));
  }
  unlinkAck(from: Pid, to: Pid, id: bigint): void {
    this.to(to.node, (c) => c.send(control.unlinkIdAck(id, from, to)));
  }
  exit(from: Pid, to: Pid, reason: Term): void {
    this.to(to.node, (c, f) => (f & Dflag.EXIT_PAYLOAD ? c.send(control.payloadExit(from, to), reason) : c.send(control.exit(from, to, reason))));
  }
  exit2(from: Pid, to: Pid, reason: Term): void {
    this.to(to.node, (c, f) => (f & Dflag.EXIT_PAYLOAD ? c.send(control.payloadExit2(from, to), reason) : c.send(control.exit2(from, to, reason))));
  }
  monitor(from: Pid, target: Pid | Atom, node: Atom, ref: Reference): void {
    this.to(node, (c) => c.send(control.monitorP(from, target, ref)));
  }
  demonitor(from: Pid, target: Pid | Atom, node: Atom, ref: Reference): void {
    this.to(node, (c) => c.send(control.demonitorP(from, target, ref)));
  }
  down(target: Pid | Atom, watcher: Pid, ref: Reference, reason: Term): void {
    this.to(watcher.node, (c, f) =>
      f & Dflag.EXIT_PAYLOAD ? c.send(control.payloadMonitorPExit(target, watcher, ref), reason) : c.send(control.monitorPExit(target, watcher, ref, reason)),
    );
  }
}
