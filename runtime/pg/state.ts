/**
 * What one pg scope knows, without any effect: the members of each group
 * (local and remote), the groups each local process joined, and what each
 * peer scope reported. Mirrors pg.erl's ETS rows and its `local` and
 * `remote` maps: a process may join a group several times and then appears
 * that many times; a leave removes one occurrence. Every update returns the
 * changes it made, for monitors; the scope (scope.ts) does the sends and
 * the process monitors.
 */
import { termKey } from '../term/compare.js';
import type { Pid, Term } from '../term/values.js';

/** One change of membership, as pg's `{Ref, join | leave, Group, Pids}`. */
export interface PgChange {
  readonly kind: 'join' | 'leave';
  readonly group: Term;
  readonly pids: Pid[];
}

interface GroupRow {
  readonly group: Term;
  all: Pid[];
  local: Pid[];
}

interface PeerView {
  readonly peer: Pid;
  /** group key → that peer's members of it. */
  groups: Map<string, { group: Term; pids: Pid[] }>;
}

const pidKey = (p: Pid): string => `${p.node.name}.${p.id}.${p.serial}.${p.creation}`;

/** Appends in place (no spread: member lists can be longer than the argument limit). */
function append(to: Pid[], more: Pid[]): void {
  for (const p of more) to.push(p);
}

/** `A -- B`: removes one occurrence of each element of `b`; returns what is left and what was removed. */
function subtract(a: Pid[], b: Pid[]): { left: Pid[]; removed: Pid[] } {
  const left = a.slice();
  const removed: Pid[] = [];
  for (const p of b) {
    const k = pidKey(p);
    const i = left.findIndex((q) => pidKey(q) === k);
    if (i >= 0) removed.push(...left.splice(i, 1));
  }
  return { left, removed };
}

export class ScopeState {
  readonly #groups = new Map<string, GroupRow>();
  /** Local pid key → the pid and the groups it joined (once per join). */
  readonly #local = new Map<string, { pid: Pid; groups: Term[] }>();
  readonly #peers = new Map<string, PeerView>();

  // -- reading ---------------------------------------------------------------

  members(group: Term): Pid[] {
    return this.#groups.get(termKey(group))?.all.slice() ?? [];
  }
  localMembers(group: Term): Pid[] {
    return this.#groups.get(termKey(group))?.local.slice() ?? [];
  }
  /** Non-empty groups, as pg:which_groups. */
  groups(): Term[] {
    return [...this.#groups.values()].map((r) => r.group);
  }
  /** Every group with its members, as pg:monitor_scope's first answer. */
  snapshot(): Map<Term, Pid[]> {
    return new Map([...this.#groups.values()].map((r) => [r.group, r.all.slice()]));
  }
  /** `[{Group, [Pid]}]` of local members: what a sync sends. */
  localGroups(): [Term, Pid[]][] {
    return [...this.#groups.values()].filter((r) => r.local.length > 0).map((r) => [r.group, r.local.slice()]);
  }
  isLocalMember(pid: Pid): boolean {
    return this.#local.has(pidKey(pid));
  }
  isPeer(peer: Pid): boolean {
    return this.#peers.has(pidKey(peer));
  }
  peers(): Pid[] {
    return [...this.#peers.values()].map((v) => v.peer);
  }

  // -- local processes -------------------------------------------------------

  /** pg:join: returns the changes and the pids seen for the first time (to monitor). */
  joinLocal(group: Term, pids: Pid[]): { change: PgChange; monitor: Pid[] } {
    const monitor: Pid[] = [];
    for (const p of pids) {
      const k = pidKey(p);
      const known = this.#local.get(k);
      if (known === undefined) {
        this.#local.set(k, { pid: p, groups: [group] });
        monitor.push(p);
      } else known.groups.push(group);
    }
    const row = this.#row(group);
    append(row.all, pids);
    append(row.local, pids);
    return { change: { kind: 'join', group, pids: pids.slice() }, monitor };
  }

  /**
   * pg:leave: only pids that joined `group` leave it (once each). Returns
   * undefined when none had (pg's not_joined), else the change and the pids
   * no longer in any group (to demonitor).
   */
  leaveLocal(group: Term, pids: Pid[]): { change: PgChange; demonitor: Pid[] } | undefined {
    const gk = termKey(group);
    const left: Pid[] = [];
    const demonitor: Pid[] = [];
    for (const p of pids) {
      const k = pidKey(p);
      const known = this.#local.get(k);
      const i = known?.groups.findIndex((g) => termKey(g) === gk) ?? -1;
      if (known === undefined || i < 0) continue;
      known.groups.splice(i, 1);
      left.push(p);
      if (known.groups.length === 0) {
        this.#local.delete(k);
        demonitor.push(p);
      }
    }
    if (left.length === 0) return undefined;
    this.#remove(group, left, true);
    return { change: { kind: 'leave', group, pids: left }, demonitor };
  }

  /** A local member ended: it leaves every group it joined. Undefined when it was none. */
  localDown(pid: Pid): { groups: Term[]; changes: PgChange[] } | undefined {
    const k = pidKey(pid);
    const known = this.#local.get(k);
    if (known === undefined) return undefined;
    this.#local.delete(k);
    const changes = known.groups.map((g) => this.#remove(g, [pid], true)).filter((c): c is PgChange => c !== undefined);
    return { groups: known.groups, changes };
  }

  // -- peer scopes -----------------------------------------------------------

  /** A peer scope to exchange with (discover, or the first sync): false when it was known already. */
  addPeer(peer: Pid): boolean {
    const k = pidKey(peer);
    if (this.#peers.has(k)) return false;
    this.#peers.set(k, { peer, groups: new Map() });
    return true;
  }

  /** A peer's join; undefined from a scope that is not a peer (ignored, as pg does). */
  joinRemote(peer: Pid, group: Term, pids: Pid[]): PgChange | undefined {
    const view = this.#peers.get(pidKey(peer));
    if (view === undefined) return undefined;
    if (pids.length === 0) return { kind: 'join', group, pids: [] }; // no empty group row
    const gk = termKey(group);
    const mine = view.groups.get(gk);
    if (mine === undefined) view.groups.set(gk, { group, pids: pids.slice() });
    else append(mine.pids, pids);
    append(this.#row(group).all, pids);
    return { kind: 'join', group, pids: pids.slice() };
  }

  /** A peer's leave of `groups`; undefined from a scope that is not a peer. */
  leaveRemote(peer: Pid, pids: Pid[], groups: Term[]): PgChange[] | undefined {
    const view = this.#peers.get(pidKey(peer));
    if (view === undefined) return undefined;
    const changes: PgChange[] = [];
    for (const group of groups) {
      const gk = termKey(group);
      const mine = view.groups.get(gk);
      if (mine === undefined) continue;
      const { left, removed } = subtract(mine.pids, pids);
      if (left.length === 0) view.groups.delete(gk);
      else mine.pids = left;
      const c = this.#remove(group, removed, false);
      if (c !== undefined) changes.push(c);
    }
    return changes;
  }

  /** A peer's sync: replaces all that is known of it (adding it as a peer when new). */
  sync(peer: Pid, groups: [Term, Pid[]][]): { changes: PgChange[]; isNew: boolean } {
    const isNew = this.addPeer(peer);
    const view = this.#peers.get(pidKey(peer))!;
    const next = new Map<string, { group: Term; pids: Pid[] }>();
    for (const [group, pids] of groups) {
      const gk = termKey(group);
      const had = next.get(gk);
      if (had === undefined) next.set(gk, { group, pids: pids.slice() });
      else append(had.pids, pids);
    }
    const changes: PgChange[] = [];
    for (const [gk, old] of view.groups) {
      const now = next.get(gk)?.pids ?? [];
      const c = this.#remove(old.group, subtract(old.pids, now).left, false);
      if (c !== undefined) changes.push(c);
    }
    for (const [gk, now] of next) {
      const { left: added } = subtract(now.pids, view.groups.get(gk)?.pids ?? []);
      if (added.length === 0) continue;
      append(this.#row(now.group).all, added);
      changes.push({ kind: 'join', group: now.group, pids: added });
    }
    view.groups = next;
    return { changes, isNew };
  }

  /** A peer scope ended or its node went: all its members leave. Undefined when it was no peer. */
  peerDown(peer: Pid): PgChange[] | undefined {
    const k = pidKey(peer);
    const view = this.#peers.get(k);
    if (view === undefined) return undefined;
    this.#peers.delete(k);
    return [...view.groups.values()].map((g) => this.#remove(g.group, g.pids, false)).filter((c): c is PgChange => c !== undefined);
  }

  // -- rows --------------------------------------------------------------------

  #row(group: Term): GroupRow {
    const k = termKey(group);
    let row = this.#groups.get(k);
    if (row === undefined) this.#groups.set(k, (row = { group, all: [], local: [] }));
    return row;
  }

  /** Removes one occurrence of each pid from the group's row (and from its local members); an empty row goes. */
  #remove(group: Term, pids: Pid[], local: boolean): PgChange | undefined {
    const k = termKey(group);
    const row = this.#groups.get(k);
    if (row === undefined || pids.length === 0) return undefined;
    const { left, removed } = subtract(row.all, pids);
    if (removed.length === 0) return undefined;
    row.all = left;
    if (local) row.local = subtract(row.local, removed).left;
    if (row.all.length === 0) this.#groups.delete(k);
    return { kind: 'leave', group: row.group, pids: removed };
  }
}

export { pidKey };
