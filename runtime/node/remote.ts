/**
 * RemoteSignals over distribution connections: each outbound signal becomes
 * the control message the negotiated flags call for (SEND_SENDER or SEND,
 * PAYLOAD_EXIT or EXIT, ...), connecting on demand. Signals sent while a
 * connection is being set up wait for it, in order; if it cannot be made they
 * are dropped and every link and monitor to that node fires `noconnection`,
 * as in Erlang.
 */
import { control } from '../../generated/control.js';
import { Dflag } from '../../generated/handshake.js';
import type { Connection } from '../connection/connection.js';
import type { RemoteSignals } from '../process/remote.js';
import type { Atom } from '../term/atom.js';
import type { Pid, Reference, Term } from '../term/values.js';

type Signal = (c: Connection, flags: bigint) => void;

export interface Links {
  /** The connection to `node` if it is up. */
  connected(node: string): { connection: Connection; flags: bigint } | undefined;
  /** Starts (or joins) a connection attempt. */
  connect(node: string): Promise<unknown>;
  /** The attempt failed: drop what waited and fire noconnection. */
  unreachable(node: string, error: unknown): void;
}

export class Outbound implements RemoteSignals {
  private readonly waiting = new Map<string, Signal[]>();

  constructor(private readonly links: Links) {}

  private to(node: Atom, signal: Signal): void {
    const name = node.name;
    const up = this.links.connected(name);
    if (up) return signal(up.connection, up.flags);
    let queue = this.waiting.get(name);
    if (queue) return void queue.push(signal);
    queue = [signal];
    this.waiting.set(name, queue);
    this.links.connect(name).then(
      () => this.flush(name),
      (e: unknown) => {
        this.waiting.delete(name);
        this.links.unreachable(name, e);
      },
    );
  }

  /** Sends what waited for `node`, in order (also called when the peer connected to us first). */
  flush(node: string): void {
    const queue = this.waiting.get(node);
    const up = this.links.connected(node);
    if (!queue || !up) return;
    this.waiting.delete(node);
    for (const s of queue) s(up.connection, up.flags);
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
