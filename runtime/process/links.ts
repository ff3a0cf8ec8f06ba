/**
 * Links and monitors of a process table: setting them up and down, and what
 * happens to them when a process ends or a node goes down. Local pairs are
 * updated on both sides in one step; a remote peer is told through the
 * table's {@link RemoteSignals}, and its side is kept by its own node.
 */
import { Atom } from '../term/atom.js';
import { equals } from '../term/compare.js';
import { tuple } from '../term/make.js';
import { Pid, Reference, Tuple, type Term } from '../term/values.js';
import { ProcessError } from './errors.js';
import { pidKey, refKey, samePid } from './ids.js';
import { DOWN, ERROR, NOCONNECTION, NOPROC, PROCESS, type HeldMonitor, type Proc } from './state.js';
import type { Kernel } from './kernel.js';

/** What `monitor` accepts: a pid, a local registered name, or `{Name, Node}`. */
export type MonitorTarget = Pid | Atom | Tuple<[Atom, Atom]>;

/** The kernel with its link book: what a process context and the inbound seam use. */
export interface LinkedKernel extends Kernel {
  readonly links: LinkBook;
}

export class LinkBook {
  #nextUnlinkId = 1n;
  constructor(private readonly t: Kernel) {}

  /** Links two local processes. */
  linkLocal(a: Proc, b: Proc): void {
    a.links.set(pidKey(b.pid), { pid: b.pid, active: true, unlinkId: undefined });
    b.links.set(pidKey(a.pid), { pid: a.pid, active: true, unlinkId: undefined });
  }

  /** `link(to)` by `p`. A missing local target sends `p` an exit signal `noproc`, as Erlang does. */
  link(p: Proc, to: Pid): void {
    if (samePid(to, p.pid)) return;
    const key = pidKey(to);
    const have = p.links.get(key);
    if (have?.active === true) return;
    if (this.t.isLocalNode(to.node)) {
      const q = this.t.local(to);
      if (q === undefined) this.t.post(() => this.t.receiveExit(p, to, NOPROC, false));
      else this.linkLocal(p, q);
      return;
    }
    // Tell the peer first: if the remote layer throws, no half-made link is left behind.
    this.t.remoteFor('link', to, to.node).link(p.pid, to);
    if (have !== undefined) (have.active = true), (have.unlinkId = undefined);
    else p.links.set(key, { pid: to, active: true, unlinkId: undefined });
  }

  /** `unlink(to)` by `p`. A remote link turns inactive until the peer acknowledges its UNLINK_ID. */
  unlink(p: Proc, to: Pid): void {
    const key = pidKey(to);
    if (this.t.isLocalNode(to.node)) {
      p.links.delete(key);
      this.t.local(to)?.links.delete(pidKey(p.pid));
      return;
    }
    const have = p.links.get(key);
    if (have === undefined || !have.active) return;
    const id = this.#nextUnlinkId++;
    this.t.remoteFor('unlink', to, to.node).unlink(p.pid, to, id);
    have.active = false;
    have.unlinkId = id;
  }

  /** An exit signal from linked `from` to local `q`: acts only on an active link, which it removes. */
  linkExit(from: Pid, q: Proc, reason: Term): void {
    const key = pidKey(from);
    const have = q.links.get(key);
    if (have === undefined || !have.active) return;
    q.links.delete(key);
    this.t.receiveExit(q, from, reason, false);
  }

  /** `monitor(process, target)` by `p`. A missing local target gives a DOWN `noproc` at once. */
  monitor(p: Proc, target: MonitorTarget): Reference {
    let pid: Pid | undefined;
    let name: Atom | undefined;
    let node: Atom;
    if (target instanceof Pid) (pid = target), (node = target.node);
    else if (target instanceof Atom) (name = target), (node = this.t.node.name);
    else {
      const [n, at] = target.elements as readonly Term[];
      if (!(n instanceof Atom) || !(at instanceof Atom)) throw new ProcessError('BADARG', 'monitor', 'a {Name, Node} target needs two atoms');
      (name = n), (node = at);
    }
    const ref = this.t.makeRef();
    const key = refKey(ref);
    if (!this.t.isLocalNode(node)) {
      this.t.remoteFor('monitor', target, node).monitor(p.pid, pid ?? name!, node, ref);
      p.monitors.set(key, { ref, pid, name, node });
      return ref;
    }
    const q = pid !== undefined ? this.t.local(pid) : this.t.registry.get(name!);
    if (q === undefined) {
      this.t.deliver(p, tuple(DOWN, ref, PROCESS, name !== undefined ? tuple(name, node) : pid!, NOPROC));
      return ref;
    }
    p.monitors.set(key, { ref, pid: q.pid, name, node });
    q.watchers.set(key, { ref, watcher: p.pid, name });
    return ref;
  }

  /** `demonitor(ref)` by `p`; with `flush`, also removes a DOWN for `ref` already in the mailbox. True when a monitor was removed. */
  demonitor(p: Proc, ref: Reference, flush: boolean): boolean {
    const key = refKey(ref);
    const m = p.monitors.get(key);
    if (m !== undefined) {
      if (this.t.isLocalNode(m.node)) this.t.local(m.pid!)?.watchers.delete(key);
      else if (!pendingSpawn(m)) this.t.remoteFor('demonitor', m.pid ?? m.name!, m.node).demonitor(p.pid, m.pid ?? m.name!, m.node, ref);
      // A spawn request not yet answered: the node layer demonitors when the late SPAWN_REPLY finds no taker.
      p.monitors.delete(key);
    }
    if (flush) p.mailbox.remove((msg) => msg instanceof Tuple && msg.size === 5 && msg.at(0) === DOWN && equals(msg.at(1), ref));
    return m !== undefined;
  }

  /** A DOWN reaching local watcher `w` for its monitor `ref`; dropped when it was demonitored. */
  downTo(w: Proc, ref: Reference, target: Pid | Atom, reason: Term): void {
    const key = refKey(ref);
    const m = w.monitors.get(key);
    if (m === undefined) return;
    w.monitors.delete(key);
    w.mailbox.push(tuple(DOWN, ref, PROCESS, whoDown(m, target), reason));
  }

  /**
   * A spawn request with the `monitor` option, about to go to `node` from
   * `p` (erlang:spawn_request/5): the returned ReqId is also the monitor's
   * ref, held before the spawned pid is known (see {@link spawnReply}).
   * `errorOnly` is the `{reply, error_only}` option erpc:call uses: only a
   * failed spawn is reported; success shows in the DOWN that follows.
   */
  spawnRequest(p: Proc, node: Atom, errorOnly = false): Reference {
    if (this.t.isLocalNode(node)) throw new ProcessError('BADARG', 'spawn_request', `${node.name} is this node: spawn locally instead`);
    const ref = this.t.makeRef();
    p.monitors.set(refKey(ref), { ref, pid: undefined, name: undefined, node, errorOnly });
    return ref;
  }

  /**
   * The SPAWN_REPLY for a request of `p` (or `noconnection` when its node
   * went before answering): `{spawn_reply, ReqId, ok, Pid}` or
   * `{spawn_reply, ReqId, error, Reason}` in `p`'s mailbox, as OTP delivers
   * it. A monitor set up (flag 2) now names the pid; otherwise it is
   * dropped. False when `p` no longer waits for it (demonitored: abandoned),
   * and then nothing is delivered.
   */
  spawnReply(p: Proc, reqId: Reference, flags: number, result: Pid | Atom): boolean {
    const key = refKey(reqId);
    const m = p.monitors.get(key);
    if (m === undefined || !pendingSpawn(m)) return false;
    if (result instanceof Pid && (flags & SPAWN_MONITOR) !== 0) p.monitors.set(key, { ref: reqId, pid: result, name: undefined, node: m.node });
    else p.monitors.delete(key);
    if (!(result instanceof Pid)) this.t.deliver(p, tuple(SPAWN_REPLY, reqId, ERROR, result));
    else if (m.errorOnly !== true) this.t.deliver(p, tuple(SPAWN_REPLY, reqId, OK, result));
    return true;
  }

  /** `p` ended with `reason`: exit signals to its active links, its own monitors taken down. */
  processEnded(p: Proc, reason: Term): void {
    for (const l of p.someLinks.values()) {
      if (!l.active) continue; // unlinking: the peer no longer expects this link's exit
      const to = l.pid;
      if (this.t.isLocalNode(to.node)) {
        const q = this.t.local(to);
        if (q !== undefined) this.t.post(() => this.linkExit(p.pid, q, reason));
      } else this.t.post(() => this.t.remoteFor('exit', to, to.node).exit(p.pid, to, reason));
    }
    for (const [key, m] of p.someMonitors) {
      if (this.t.isLocalNode(m.node)) this.t.local(m.pid!)?.watchers.delete(key);
      else if (!pendingSpawn(m)) this.t.post(() => this.t.remoteFor('demonitor', m.pid ?? m.name!, m.node).demonitor(p.pid, m.pid ?? m.name!, m.node, m.ref));
    }
  }

  /** The connection to `node` is gone: its links fire and its monitors go DOWN with `noconnection`; its watchers are forgotten. */
  nodeDown(node: Atom): void {
    // Queued as one step, so the exits it causes run after the scan, not inside it.
    this.t.post(() => this.#nodeDown(node));
  }

  #nodeDown(node: Atom): void {
    for (const p of this.t.procs.values()) {
      for (const [key, l] of p.someLinks) {
        if (l.pid.node !== node) continue;
        p.links.delete(key);
        if (l.active) this.t.post(() => this.t.receiveExit(p, l.pid, NOCONNECTION, false));
      }
      for (const m of p.someMonitors.values()) {
        if (m.node !== node) continue;
        if (pendingSpawn(m)) this.t.post(() => this.spawnReply(p, m.ref, 0, NOCONNECTION));
        else this.t.post(() => this.downTo(p, m.ref, m.pid ?? m.name!, NOCONNECTION));
      }
      for (const [key, w] of p.someWatchers) if (w.watcher.node === node) p.watchers.delete(key);
    }
  }
}

const SPAWN_REPLY = Atom.of('spawn_reply');
const OK = Atom.of('ok');
/** SPAWN_REPLY flag: the monitor was set up. */
const SPAWN_MONITOR = 2;

/** A monitor made by a spawn request whose reply has not come: it names neither a pid nor a name yet. */
const pendingSpawn = (m: HeldMonitor): boolean => m.pid === undefined && m.name === undefined;

/** What a DOWN names: `{Name, Node}` for a monitor by name, else the pid. */
function whoDown(m: HeldMonitor, target: Pid | Atom): Term {
  if (m.name !== undefined) return tuple(m.name, m.node);
  return m.pid ?? target;
}
