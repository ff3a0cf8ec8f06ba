/** Inbound signals from other nodes, applied to a local process table (see remote.ts). */
import type { Atom } from '../term/atom.js';
import { Pid, Reference, type Term } from '../term/values.js';
import { pidKey, refKey } from './ids.js';
import type { RemoteInbound as Inbound } from './remote.js';
import { NOPROC, type Proc } from './state.js';
import type { LinkedKernel } from './links.js';

export class RemoteInbound implements Inbound {
  constructor(private readonly t: LinkedKernel) {}

  deliverSend(to: Pid | Atom | Reference, message: Term): boolean {
    const p = this.#target(to);
    if (p === undefined) return false; // unknown pid, name or alias: dropped, as OTP does
    this.t.deliver(p, message);
    return true;
  }

  deliverExit(from: Pid, to: Pid, reason: Term): void {
    const q = this.t.local(to);
    if (q !== undefined) this.t.post(() => this.t.links.linkExit(from, q, reason));
  }

  deliverExit2(from: Pid, to: Pid, reason: Term): void {
    const q = this.t.local(to);
    if (q !== undefined) this.t.post(() => this.t.receiveExit(q, from, reason, true));
  }

  deliverLink(from: Pid, to: Pid): void {
    const q = this.t.local(to);
    // A link to a process that is gone is answered as OTP does: an exit signal `noproc` back.
    if (q === undefined) return this.t.remoteFor('link', from, from.node).exit(to, from, NOPROC);
    const key = pidKey(from);
    if (!q.links.has(key)) q.links.set(key, { pid: from, active: true, unlinkId: undefined }); // existing state, even inactive: ignored
  }

  deliverUnlink(id: bigint, from: Pid, to: Pid): void {
    const q = this.t.local(to);
    if (q === undefined) return; // the process is gone; its exit signal already told the peer
    const key = pidKey(from);
    if (q.links.get(key)?.active === true) q.links.delete(key);
    // The ack goes out now, before any later signal from `to`, as the UNLINK_ID protocol requires.
    this.t.remoteFor('unlink', from, from.node).unlinkAck(to, from, id);
  }

  deliverUnlinkAck(id: bigint, from: Pid, to: Pid): void {
    const q = this.t.local(to);
    const key = pidKey(from);
    const have = q?.links.get(key);
    if (have !== undefined && !have.active && have.unlinkId === id) q!.links.delete(key);
  }

  deliverMonitor(watcher: Pid, target: Pid | Atom, ref: Reference): void {
    const q = target instanceof Pid ? this.t.local(target) : this.t.registry.get(target);
    // Answer at once for a missing target, or the remote caller can wait forever (net_adm:ping does).
    if (q === undefined) return this.t.remoteFor('down', watcher, watcher.node).down(target, watcher, ref, NOPROC);
    q.watchers.set(refKey(ref), { ref, watcher, name: target instanceof Pid ? undefined : target });
  }

  deliverDemonitor(_watcher: Pid, target: Pid | Atom, ref: Reference): void {
    const q = target instanceof Pid ? this.t.local(target) : this.t.registry.get(target);
    q?.watchers.delete(refKey(ref));
  }

  deliverDown(ref: Reference, target: Pid | Atom, watcher: Pid, reason: Term): void {
    const w = this.t.local(watcher);
    if (w !== undefined) this.t.post(() => this.t.links.downTo(w, ref, target, reason));
  }

  deliverSpawnReply(reqId: Reference, to: Pid, flags: number, result: Pid | Atom): boolean {
    const p = this.t.local(to);
    // Delivered at once, as deliverSend delivers a message.
    return p !== undefined && this.t.links.spawnReply(p, reqId, flags, result);
  }

  nodeDown(node: Atom): void {
    this.t.links.nodeDown(node);
  }

  #target(to: Pid | Atom | Reference): Proc | undefined {
    if (to instanceof Pid) return this.t.local(to);
    if (to instanceof Reference) return this.t.isLocalNode(to.node) ? this.t.aliases.get(refKey(to)) : undefined;
    return this.t.registry.get(to);
  }
}
