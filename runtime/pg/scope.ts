/**
 * A pg scope: the process OTP's pg.erl runs per scope, wire-compatible with
 * OTP 23–28. It is registered under the scope's name; it discovers the
 * scope on every connected node and on each new connection (from our side
 * too, since pg notices only visible nodes and a hidden beamwire node would
 * never be found), answers discover with a sync of its local members,
 * monitors each peer scope, and applies their joins and leaves. Local
 * members are monitored: one that ends leaves every group, and the peers
 * are told. Messages are validated against schemas/pg.terms.yaml; anything
 * else (or a join from a scope that is not a peer) is dropped with a debug
 * line, as pg.erl ignores it.
 */
import { parsePg, pg, type Pg } from '../../generated/pg.js';
import { gen } from '../../generated/gen.js';
import { ProcessError, refKey, type Process, type ProcessContext } from '../process/index.js';
import { Atom, atom } from '../term/atom.js';
import { termKey } from '../term/compare.js';
import { format } from '../term/format.js';
import { TermShapeError } from '../term/shape.js';
import { Pid, Reference, Tuple, type Term } from '../term/values.js';
import type { PgHost } from './host.js';
import { pidKey, ScopeState, type PgChange } from './state.js';
import { Feed } from './stream.js';

const DOWN = atom('DOWN');
const GEN_CAST = atom('$gen_cast');
const GEN_CALL = atom('$gen_call');
const KILL = atom('kill');

/** A join or leave seen by a monitor: `pids` joined or left `group`, on any node. */
export type PgEvent = PgChange;

/** pg:monitor(Scope, Group): the members when it began, then every change of the group. */
export class PgMonitor extends Feed<PgEvent> {
  constructor(
    readonly group: Term,
    /** The group's members when the monitor began. */
    readonly members: Pid[],
    onClose: () => void,
  ) {
    super(onClose);
  }
}

/** pg:monitor_scope(Scope): every group's members when it began, then every change in the scope. */
export class PgScopeMonitor extends Feed<PgEvent> {
  constructor(
    /** Each group and its members when the monitor began. */
    readonly groups: Map<Term, Pid[]>,
    onClose: () => void,
  ) {
    super(onClose);
  }
}

type Watch = { readonly key: string | undefined; readonly to: (c: PgChange) => void; readonly feed?: Feed<PgEvent> };

export class PgScope {
  /** The scope's name: the atom its process is registered under on every node. */
  readonly name: string;
  readonly #scope: Atom;
  readonly #host: PgHost;
  readonly #proc: Process;
  #ctx!: ProcessContext;
  readonly #state = new ScopeState();
  /** Monitor ref key → the local member or peer scope it watches. */
  readonly #refs = new Map<string, { peer: boolean; pid: Pid }>();
  /** Pid key → its monitor, for local members and peer scopes. */
  readonly #monitors = new Map<string, Reference>();
  readonly #watches = new Set<Watch>();
  readonly #undoNodeUp: () => void;

  /** @internal Started by the node (`node.pg(name)`). Throws ProcessError BADARG when the name is taken. */
  constructor(host: PgHost, scope: Atom) {
    this.#host = host;
    this.#scope = scope;
    this.name = scope.name;
    this.#proc = host.table.spawnHandler((ctx) => {
      this.#ctx = ctx;
      return (m) => this.#receive(m);
    });
    try {
      host.table.register(scope, this.#proc.pid);
    } catch (e) {
      host.table.exit(this.#proc.pid, KILL);
      throw e;
    }
    void this.#proc.exited.then(() => this.#ended());
    this.#undoNodeUp = host.onNodeUp((n) => this.#discover(n));
    for (const n of host.nodes()) this.#discover(n);
  }

  /** The scope process. */
  get pid(): Pid {
    return this.#proc.pid;
  }

  /** Resolves when the scope process ends. */
  get ended(): Promise<void> {
    return this.#proc.exited.then(() => undefined);
  }

  /** False once the scope process ended (its node stopped, or it was killed). */
  get alive(): boolean {
    return this.#proc.alive;
  }

  // -- pg's API ----------------------------------------------------------------

  /** pg:join(Scope, Group, PidOrPids): local processes join `group` (any term; a JS string is a binary). A process may join a group several times. */
  join(group: Term, pids: Pid | Pid[]): void {
    const list = this.#locals('pg:join', pids);
    if (list.length === 0) return;
    const { change, monitor } = this.#state.joinLocal(group, list);
    for (const p of monitor) this.#monitor(p, false);
    this.#notify([change]);
    this.#broadcast(pg.join(this.pid, group, pids));
  }

  /** pg:leave(Scope, Group, PidOrPids): once each; false when none of them had joined (pg's not_joined). */
  leave(group: Term, pids: Pid | Pid[]): boolean {
    const list = this.#locals('pg:leave', pids);
    const left = this.#state.leaveLocal(group, list);
    if (left === undefined) return false;
    for (const p of left.demonitor) this.#demonitor(p);
    this.#notify([left.change]);
    const who = left.change.pids;
    this.#broadcast(pg.leave(this.pid, who.length === 1 ? who[0]! : who, [group]));
    return true;
  }

  /** pg:get_members(Scope, Group): members on every node, in no particular order. */
  members(group: Term): Pid[] {
    return this.#state.members(group);
  }

  /** pg:get_local_members(Scope, Group). */
  localMembers(group: Term): Pid[] {
    return this.#state.localMembers(group);
  }

  /**
   * Topics are pg groups: sends `message` to every member of `group` on
   * every node (subscribers are the processes that joined it), from the
   * scope process. Returns how many it went to. Eventually consistent, as
   * pg is: a member that joined elsewhere an instant ago may not be known yet.
   */
  broadcast(group: Term, message: Term): number {
    this.#running('pg broadcast');
    const to = this.#state.members(group);
    for (const p of to) this.#ctx.send(p, message);
    return to.length;
  }

  /** pg:which_groups(Scope): the groups with at least one member. */
  groups(): Term[] {
    return this.#state.groups();
  }

  /**
   * pg:monitor(Scope, Group): `members` now, then each join and leave of
   * `group` in arrival order until `close()` (or `break`). Changes wait in
   * the monitor until read.
   */
  monitor(group: Term): PgMonitor {
    this.#running('pg:monitor');
    const m: PgMonitor = new PgMonitor(group, this.#state.members(group), () => this.#watches.delete(watch));
    const watch: Watch = { key: termKey(group), to: (c) => m.push(c), feed: m };
    this.#watches.add(watch);
    return m;
  }

  /** pg:monitor_scope(Scope): every group now, then every join and leave in the scope. */
  monitorScope(): PgScopeMonitor {
    this.#running('pg:monitor_scope');
    const m: PgScopeMonitor = new PgScopeMonitor(this.#state.snapshot(), () => this.#watches.delete(watch));
    const watch: Watch = { key: undefined, to: (c) => m.push(c), feed: m };
    this.#watches.add(watch);
    return m;
  }

  /** @internal Calls `to` with each change, synchronously (PubSub's pool discovery). Returns the undo. */
  watch(to: (c: PgChange) => void): () => void {
    const w: Watch = { key: undefined, to };
    this.#watches.add(w);
    return () => void this.#watches.delete(w);
  }

  // -- the process ---------------------------------------------------------------

  #receive(m: Term): void {
    if (m instanceof Tuple && m.elements[0] === DOWN && m.size === 5) return this.#down(m);
    let msg: Pg;
    try {
      if (m instanceof Tuple && m.elements[0] === GEN_CAST && m.size === 2) msg = parsePg(m.elements[1]!);
      else if (m instanceof Tuple && m.elements[0] === GEN_CALL) return this.#drop(m, 'pg takes no calls from other nodes');
      else msg = parsePg(m);
      if (msg.kind !== 'sync' && m instanceof Tuple && m.elements[0] === GEN_CAST) throw new TermShapeError('pg', 'only a sync comes as a cast', m);
      this.#handle(msg);
    } catch (e) {
      if (!(e instanceof TermShapeError)) throw e;
      this.#drop(m, e.message);
    }
  }

  #handle(msg: Pg): void {
    switch (msg.kind) {
      case 'discover':
      case 'discover_versioned':
        return this.#discovered(msg.scope);
      case 'sync': {
        const groups = msg.groups.map((g, i) => {
          if (!(g instanceof Tuple) || g.size !== 2) throw new TermShapeError(`sync.groups[${i}]`, 'must be {Group, [Pid]}', g);
          return [g.elements[0]!, pidsOf(g.elements[1]!, msg.scope, `sync.groups[${i}]`)] as [Term, Pid[]];
        });
        if (msg.scope.node === this.#ctx.node.name) throw new TermShapeError('sync.scope', 'must be a scope of another node', msg.scope);
        const { changes, isNew } = this.#state.sync(msg.scope, groups);
        if (isNew) this.#monitor(msg.scope, true);
        return this.#notify(changes);
      }
      case 'join': {
        const c = this.#state.joinRemote(msg.scope, msg.group, pidsOf(msg.pids, msg.scope, 'join.pids'));
        if (c === undefined) return this.#drop(msg.scope, 'a join from a scope that is not a peer');
        return this.#notify([c]);
      }
      case 'leave': {
        const cs = this.#state.leaveRemote(msg.scope, pidsOf(msg.pids, msg.scope, 'leave.pids'), msg.groups);
        if (cs === undefined) return this.#drop(msg.scope, 'a leave from a scope that is not a peer');
        return this.#notify(cs);
      }
    }
  }

  /** handle_discover: a sync back; and, for a scope not yet known, a monitor and a discover. */
  #discovered(peer: Pid): void {
    if (peer.node === this.#ctx.node.name) return this.#drop(peer, 'a discover from this node');
    this.#ctx.send(peer, gen.genCast(pg.sync(this.pid, this.#state.localGroups().map(([g, ps]) => new Tuple([g, ps])))));
    if (!this.#state.addPeer(peer)) return;
    this.#monitor(peer, true);
    this.#ctx.send(peer, pg.discover(this.pid));
  }

  #down(m: Tuple): void {
    const ref = m.elements[1];
    const who = ref instanceof Reference ? this.#refs.get(refKey(ref)) : undefined;
    if (who === undefined) return;
    this.#refs.delete(refKey(ref as Reference));
    this.#monitors.delete(pidKey(who.pid));
    if (who.peer) return this.#notify(this.#state.peerDown(who.pid) ?? []);
    const gone = this.#state.localDown(who.pid);
    if (gone === undefined) return;
    this.#notify(gone.changes);
    this.#broadcast(pg.leave(this.pid, who.pid, gone.groups));
  }

  #discover(node: string): void {
    if (!this.#proc.alive || node === this.#ctx.node.name.name) return;
    this.#ctx.send(new Tuple([this.#scope, atom(node)]), pg.discover(this.pid));
  }

  #broadcast(msg: Term): void {
    for (const peer of this.#state.peers()) this.#ctx.send(peer, msg);
  }

  #notify(changes: PgChange[]): void {
    for (const c of changes) {
      if (c.pids.length === 0) continue;
      const key = termKey(c.group);
      for (const w of this.#watches) if (w.key === undefined || w.key === key) w.to(c);
    }
  }

  #monitor(pid: Pid, peer: boolean): void {
    const ref = this.#ctx.monitor(pid);
    this.#refs.set(refKey(ref), { peer, pid });
    this.#monitors.set(pidKey(pid), ref);
  }

  #demonitor(pid: Pid): void {
    const ref = this.#monitors.get(pidKey(pid));
    if (ref === undefined) return;
    this.#monitors.delete(pidKey(pid));
    this.#refs.delete(refKey(ref));
    this.#ctx.demonitor(ref, { flush: true });
  }

  /** Only local pids join or leave (pg's ensure_local, which raises {nolocal, Bad}). */
  #locals(op: string, pids: Pid | Pid[]): Pid[] {
    this.#running(op);
    const list = Array.isArray(pids) ? pids : [pids];
    for (const p of list) {
      if (!(p instanceof Pid) || p.node !== this.#ctx.node.name)
        throw new ProcessError('BADARG', op, `${format(p as Term)} is not a process of ${this.#ctx.node.name.name} (pg joins local processes only: {nolocal, Pid})`);
    }
    return list;
  }

  #running(op: string): void {
    if (!this.#proc.alive) throw new ProcessError('BADARG', op, `scope ${this.name} has ended (its node stopped, or its process was killed)`);
  }

  #drop(what: Term, why: string): void {
    this.#host.debug(`pg scope ${this.name}: dropped ${format(what).slice(0, 120)}: ${why}`);
  }

  /** The scope process ended: monitors end (after what they hold is read) and nothing more is sent. */
  #ended(): void {
    this.#undoNodeUp();
    for (const w of [...this.#watches]) w.feed?.end();
    this.#watches.clear();
  }
}

/** A pid or a list of pids, each of the peer's node (pg joins local processes only, so a peer reports its own). */
function pidsOf(t: Term, peer: Pid, path: string): Pid[] {
  const list = Array.isArray(t) ? t : [t];
  for (const p of list) {
    if (!(p instanceof Pid)) throw new TermShapeError(path, 'must be a pid or a list of pids', t);
    if (p.node !== peer.node) throw new TermShapeError(path, `must be pids of ${peer.node.name}, the peer's node`, p);
  }
  return list as Pid[];
}
