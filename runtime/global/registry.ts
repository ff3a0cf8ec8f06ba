/**
 * The tables a global name server keeps (global.erl's ETS tables
 * global_names, global_locks and their pid indexes): names, each held by a
 * monitored pid, and locks `{ResourceId, LockRequesterId}` held by monitored
 * pids. Pure state: the monitor is the caller's (`watch`/`unwatch`), so the
 * name server, and a unit test, decide what a monitor is.
 */
import { termKey } from '../term/compare.js';
import { Atom } from '../term/atom.js';
import { Pid, Reference, Tuple, type Term } from '../term/values.js';

export interface NameEntry {
  readonly name: Term;
  readonly pid: Pid;
  /** The resolve function given at registration (an Erlang fun), sent along in exchanges. */
  readonly method: Term;
  readonly ref: Reference;
}

export interface LockEntry {
  readonly resourceId: Term;
  readonly requesterId: Term;
  /** The pids holding it, each with its monitor. */
  readonly holders: { pid: Pid; ref: Reference }[];
}

export interface Watcher {
  watch(pid: Pid): Reference;
  unwatch(ref: Reference): void;
}

const GLOBAL = Atom.of('global');

/** `{ResourceId, LockRequesterId}` as its two parts, or undefined for any other term. */
export function lockId(id: Term): [Term, Term] | undefined {
  return id instanceof Tuple && id.size === 2 ? [id.elements[0]!, id.elements[1]!] : undefined;
}

export class Registry {
  readonly #names = new Map<string, NameEntry>();
  readonly #locks = new Map<string, LockEntry>();
  /** Monitor ref → what it watches: a name (its key) or a lock (its resource key). */
  readonly #byRef = new Map<string, { kind: 'name' | 'lock'; key: string }>();
  /**
   * OTP's global_lock_down: the `global` lock went with a holder's DOWN, not
   * a del_lock; until the next one is set, names inserted without it are
   * not trusted (lockStillSet).
   */
  globalLockDown = false;

  constructor(private readonly watcher: Watcher) {}

  // -- names ------------------------------------------------------------------

  lookup(name: Term): NameEntry | undefined {
    return this.#names.get(termKey(name));
  }
  names(): NameEntry[] {
    return [...this.#names.values()];
  }
  /** The names `pid` holds (OTP allows one; global_pid_names is a bag for old versions). */
  namesOf(pid: Pid): NameEntry[] {
    const k = termKey(pid);
    return this.names().filter((e) => termKey(e.pid) === k);
  }

  /** ins_name: replaces any holder of `name`. */
  insertName(name: Term, pid: Pid, method: Term): NameEntry {
    this.deleteName(name);
    const entry = { name, pid, method, ref: this.watcher.watch(pid) };
    const key = termKey(name);
    this.#names.set(key, entry);
    this.#byRef.set(termKey(entry.ref), { kind: 'name', key });
    return entry;
  }

  /** delete_global_name2: the entry removed, if there was one. */
  deleteName(name: Term): NameEntry | undefined {
    const key = termKey(name);
    const entry = this.#names.get(key);
    if (entry === undefined) return undefined;
    this.#names.delete(key);
    this.#byRef.delete(termKey(entry.ref));
    this.watcher.unwatch(entry.ref);
    return entry;
  }

  // -- locks ------------------------------------------------------------------

  lock(resourceId: Term): LockEntry | undefined {
    return this.#locks.get(termKey(resourceId));
  }
  isGlobalLockSet(): boolean {
    return this.#locks.has(termKey(GLOBAL));
  }
  /** can_set_lock: true when `id` is free or held by the same requester. */
  canSetLock(id: Term): boolean {
    const parts = lockId(id);
    if (parts === undefined) return false;
    const held = this.lock(parts[0]);
    return held === undefined || termKey(held.requesterId) === termKey(parts[1]);
  }

  /** handle_set_lock: takes the lock for `pid` (again: no change); false if another requester holds it. */
  setLock(id: Term, pid: Pid): boolean {
    const parts = lockId(id);
    if (parts === undefined || !this.canSetLock(id)) return false;
    const key = termKey(parts[0]);
    const held = this.#locks.get(key) ?? { resourceId: parts[0], requesterId: parts[1], holders: [] };
    const pk = termKey(pid);
    if (held.holders.some((h) => termKey(h.pid) === pk)) return true;
    const ref = this.watcher.watch(pid);
    held.holders.push({ pid, ref });
    this.#locks.set(key, held);
    this.#byRef.set(termKey(ref), { kind: 'lock', key });
    return true;
  }

  /** handle_del_lock: `pid` lets go of `id` (nothing if it did not hold it). */
  delLock(id: Term, pid: Pid): void {
    const parts = lockId(id);
    if (parts === undefined) return;
    const held = this.lock(parts[0]);
    if (held === undefined || termKey(held.requesterId) !== termKey(parts[1])) return;
    const pk = termKey(pid);
    const holder = held.holders.find((h) => termKey(h.pid) === pk);
    if (holder !== undefined) this.#release(termKey(parts[0]), holder.ref, false);
  }

  #release(key: string, ref: Reference, down: boolean): void {
    const held = this.#locks.get(key);
    if (held === undefined) return;
    const rk = termKey(ref);
    const i = held.holders.findIndex((h) => termKey(h.ref) === rk);
    if (i < 0) return;
    held.holders.splice(i, 1);
    this.#byRef.delete(rk);
    if (!down) this.watcher.unwatch(ref);
    if (held.holders.length === 0) {
      this.#locks.delete(key);
      if (held.resourceId === GLOBAL) this.globalLockDown = down;
    }
  }

  /**
   * lock_still_set: whether a name inserted now keeps. `from` is the
   * registrar pid of a register call (it must hold the `global` lock), or
   * the LockId under which a connect's ops came (ExtraInfo's lock).
   */
  lockStillSet(from: { pid: Pid } | { lockId: Term | undefined }): boolean {
    const held = this.lock(GLOBAL);
    if (held === undefined) return !this.globalLockDown;
    if ('pid' in from) {
      const pk = termKey(from.pid);
      return held.holders.some((h) => termKey(h.pid) === pk);
    }
    const parts = from.lockId === undefined ? undefined : lockId(from.lockId);
    return parts !== undefined && termKey(parts[1]) === termKey(held.requesterId);
  }

  // -- monitors ---------------------------------------------------------------

  /** A watched pid ended (its DOWN): the names and locks it held go. Returns the names released. */
  down(ref: Reference): NameEntry[] {
    const what = this.#byRef.get(termKey(ref));
    if (what === undefined) return [];
    if (what.kind === 'lock') {
      this.#release(what.key, ref, true);
      return [];
    }
    const entry = this.#names.get(what.key);
    if (entry === undefined) return [];
    this.#names.delete(what.key);
    this.#byRef.delete(termKey(ref));
    return [entry];
  }

  /** Everything held by pids of `node` (delete_node_resources), released as by DOWNs. */
  dropNode(node: Atom): NameEntry[] {
    const gone: NameEntry[] = [];
    for (const e of this.names()) if (e.pid.node === node) gone.push(this.deleteName(e.name)!);
    for (const [key, held] of [...this.#locks])
      for (const h of [...held.holders]) if (h.pid.node === node) this.#release(key, h.ref, false);
    return gone;
  }
}
