/**
 * A Phoenix.PubSub server's member on this node, as its PG2 adapter runs
 * on each Elixir node (phoenix_pubsub v2.2.0, lib/phoenix/pubsub/pg2.ex and
 * supervisor.ex; the same since v2.0): the adapter name is
 * `Module.concat(Name, "Adapter")` (`'Elixir.MyApp.PubSub.Adapter'`), and
 * the pool's groups in pg scope `'Elixir.Phoenix.PubSub'` are that name and
 * `<adapter>_2` … `<adapter>_N` for `pool_size: N`, each with one worker
 * per node registered under the group's name. A broadcast sends
 * `{forward_to_local, Topic, Msg, Dispatcher}` to every remote member of
 * one of those groups (chosen by `phash2(self())`), and the worker hands it
 * to the node's local subscribers. Here a worker per group (those of
 * `poolSize`, and any `<adapter>_N` a peer joins, whatever pool size the
 * Elixir side runs) delivers it to this node's subscriptions; `broadcast`
 * sends to the members of the adapter group, which every node has at any
 * pool size (from v2.0 on, except v2.1.0, which named the groups
 * `<adapter>_1` … `_N`: its broadcasts are received, ours miss it), so each
 * node gets it once.
 *
 * Dispatch is Phoenix.PubSub's default (`Phoenix.PubSub.dispatch/3`): each
 * subscription of the topic gets Msg itself. Another Dispatcher module is
 * Elixir code that cannot run here; its messages are delivered the same
 * way, which is what such dispatchers (Phoenix.Channel.Server's) do for a
 * subscriber without fastlane metadata.
 */
import { parsePubsub, pubsub as messages } from '../../generated/pubsub.js';
import { ProcessError, refKey, type Process, type ProcessContext } from '../process/index.js';
import { Atom, atom } from '../term/atom.js';
import { format } from '../term/format.js';
import { TermShapeError } from '../term/shape.js';
import { Pid, Reference, Tuple, type Term } from '../term/values.js';
import { pidKey } from './state.js';
import type { PgHost } from './host.js';
import type { PgScope } from './scope.js';
import { Feed } from './stream.js';

/** The pg scope Phoenix.PubSub's application starts (phoenix_pubsub application.ex). */
export const PUBSUB_SCOPE = 'Elixir.Phoenix.PubSub';
/** The dispatcher Phoenix.PubSub.broadcast uses unless given another. */
const DEFAULT_DISPATCHER = atom('Elixir.Phoenix.PubSub');
const KILL = atom('kill');
const DOWN = atom('DOWN');

export interface PubSubOptions {
  /** The pool's size on this node (Phoenix's `pool_size`, default 1): workers for `<adapter>_2` … `_N` from the start. Groups of a larger pool are joined as peers join them. */
  poolSize?: number;
}

/** One subscription to a topic: the messages broadcast to it, in arrival order, until `unsubscribe()` (or `break`). */
export class Subscription extends Feed<Term> {
  constructor(
    readonly topic: string,
    onClose: () => void,
  ) {
    super(onClose);
  }
  /** Phoenix.PubSub.unsubscribe: nothing more arrives; what is queued is dropped. */
  unsubscribe(): void {
    this.close();
  }
}

/**
 * A process subscribed to a topic (`subscribe(topic, { pid })`): each message
 * broadcast to the topic arrives in its mailbox as a plain message, as
 * Phoenix.PubSub delivers to an Elixir subscriber, until `unsubscribe()` or
 * the process ends.
 */
export class ProcessSubscription {
  #closed = false;
  constructor(
    readonly topic: string,
    readonly pid: Pid,
    private readonly onClose: () => void,
  ) {}
  get closed(): boolean {
    return this.#closed;
  }
  unsubscribe(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onClose();
  }
}

type Subscriber = Subscription | ProcessSubscription;

export class PubSub {
  /** The server's name as Elixir writes it, with its `Elixir.` prefix. */
  readonly name: string;
  /** The adapter's name: the first pool group and its workers' registered name. */
  readonly adapter: Atom;
  /** The pg scope the server's groups are in ('Elixir.Phoenix.PubSub'). */
  readonly scope: PgScope;
  readonly #host: PgHost;
  readonly #topics = new Map<string, Set<Subscriber>>();
  /** Subscribed processes (pid key) → the adapter worker's monitor of each and its subscriptions. */
  readonly #procs = new Map<string, { ref: Reference; subs: Set<ProcessSubscription> }>();
  /** Pool group name → its worker here. */
  readonly #workers = new Map<string, { proc: Process; ctx: ProcessContext }>();
  readonly #undoWatch: () => void;
  readonly #pool: RegExp;

  /** @internal Made by the node (`node.pubsub(name)`). */
  constructor(host: PgHost, scope: PgScope, name: string, options: PubSubOptions = {}) {
    this.#host = host;
    this.scope = scope;
    this.name = name.startsWith('Elixir.') ? name : `Elixir.${name}`;
    this.adapter = atom(`${this.name}.Adapter`);
    // `_1` too: v2.1.0 named every pool group `<adapter>_N`. Up to 999: a hostile peer cannot make this node start workers without end.
    this.#pool = new RegExp(`^${this.adapter.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}_([1-9]|[1-9][0-9]{1,2})$`);
    this.#worker(this.adapter);
    for (let n = 2; n <= (options.poolSize ?? 1); n++) this.#worker(atom(`${this.adapter.name}_${n}`));
    this.#undoWatch = scope.watch((c) => {
      if (c.kind !== 'join' || !(c.group instanceof Atom) || !this.#pool.test(c.group.name)) return;
      try {
        this.#worker(c.group);
      } catch (e) {
        // Runs inside the scope's handler: a name taken here must not end the scope.
        host.debug(`pubsub ${this.name}: no worker for ${c.group.name}: ${(e as Error).message}`);
      }
    });
    for (const g of scope.groups()) if (g instanceof Atom && this.#pool.test(g.name)) this.#worker(g);
  }

  /**
   * Phoenix.PubSub.subscribe(Name, Topic): what is broadcast to `topic`
   * anywhere in the cluster from now on, as an AsyncIterable; with `pid`, in
   * that local process's mailbox instead (until it ends or unsubscribes).
   */
  subscribe(topic: string): Subscription;
  subscribe(topic: string, options: { pid: Pid }): ProcessSubscription;
  subscribe(topic: string, options?: { pid: Pid }): Subscriber {
    const w = this.#live('subscribe');
    const drop = (): void => {
      const subs = this.#topics.get(topic);
      if (subs?.delete(s) === true && subs.size === 0) this.#topics.delete(topic);
    };
    const s: Subscriber = options === undefined ? new Subscription(topic, drop) : this.#processSubscription(w, topic, options.pid, drop);
    const subs = this.#topics.get(topic);
    if (subs === undefined) this.#topics.set(topic, new Set([s]));
    else subs.add(s);
    return s;
  }

  #processSubscription(w: { proc: Process; ctx: ProcessContext }, topic: string, pid: Pid, drop: () => void): ProcessSubscription {
    if (!(pid instanceof Pid) || pid.node !== w.ctx.node.name) throw new ProcessError('BADARG', 'Phoenix.PubSub.subscribe', `${String(pid)} is not a process of this node`);
    const key = pidKey(pid);
    let p = this.#procs.get(key);
    if (p === undefined) this.#procs.set(key, (p = { ref: w.ctx.monitor(pid), subs: new Set() }));
    const mine = p;
    const ps: ProcessSubscription = new ProcessSubscription(topic, pid, () => {
      drop();
      mine.subs.delete(ps);
      if (mine.subs.size > 0 || this.#procs.get(key) !== mine) return;
      this.#procs.delete(key);
      if (w.proc.alive) w.ctx.demonitor(mine.ref, { flush: true });
    });
    p.subs.add(ps);
    return ps;
  }

  /** Ends every subscription of `topic` on this node; false when it had none. */
  unsubscribe(topic: string): boolean {
    const subs = this.#topics.get(topic);
    if (subs === undefined) return false;
    for (const s of [...subs]) s.unsubscribe();
    return true;
  }

  /** Phoenix.PubSub.broadcast(Name, Topic, Msg): to the subscribers of `topic` on every node, this one included. */
  broadcast(topic: string, message: Term): void {
    this.#remote(topic, message);
    this.localBroadcast(topic, message);
  }

  /** Phoenix.PubSub.broadcast_from: as `broadcast`, except to the subscription `from` (or to the subscriptions of process `from`). */
  broadcastFrom(from: Subscription | ProcessSubscription | Pid, topic: string, message: Term): void {
    this.#remote(topic, message);
    this.#dispatch(topic, message, from);
  }

  /** Phoenix.PubSub.local_broadcast: to this node's subscribers only. */
  localBroadcast(topic: string, message: Term): void {
    this.#live('local_broadcast');
    this.#dispatch(topic, message, undefined);
  }

  /** Phoenix.PubSub.direct_broadcast: to the subscribers on `node` only (its worker `{Adapter, Node}`). */
  directBroadcast(node: string, topic: string, message: Term): void {
    const w = this.#live('direct_broadcast');
    if (node === w.ctx.node.name.name) return this.#dispatch(topic, message, undefined);
    w.ctx.send(new Tuple([this.adapter, atom(node)]), messages.forwardToLocal(topic, message, DEFAULT_DISPATCHER));
  }

  /** False once this node's part ended (the node stopped, or a worker was killed): `node.pubsub(name)` then starts it again. */
  get alive(): boolean {
    for (const w of this.#workers.values()) if (!w.proc.alive) return false;
    return this.scope.alive;
  }

  /** How many subscriptions `topic` has on this node. */
  subscribers(topic: string): number {
    return this.#topics.get(topic)?.size ?? 0;
  }

  /** @internal The node stopped or the scope ended: subscriptions end after what they hold is read. */
  close(): void {
    this.#undoWatch();
    for (const p of [...this.#procs.values()]) for (const s of [...p.subs]) s.unsubscribe();
    for (const w of this.#workers.values()) if (w.proc.alive) this.#host.table.exit(w.proc.pid, KILL);
    for (const subs of this.#topics.values()) for (const s of [...subs]) if (s instanceof Subscription) s.end();
    this.#topics.clear();
  }

  #remote(topic: string, message: Term): void {
    const w = this.#live('broadcast');
    const here = w.ctx.node.name;
    const msg = messages.forwardToLocal(topic, message, DEFAULT_DISPATCHER);
    for (const pid of this.scope.members(this.adapter)) if (pid.node !== here) w.ctx.send(pid, msg);
  }

  /** Phoenix.PubSub.dispatch/3: the message itself to each subscriber but `except`. */
  #dispatch(topic: string, message: Term, except: Subscriber | Pid | undefined): void {
    const subs = this.#topics.get(topic);
    if (subs === undefined) return;
    const skip = except instanceof Pid ? pidKey(except) : except instanceof ProcessSubscription ? pidKey(except.pid) : undefined;
    let ctx: ProcessContext | undefined;
    for (const s of subs) {
      if (s === except) continue;
      if (s instanceof Subscription) s.push(message);
      else if (pidKey(s.pid) !== skip) (ctx ??= this.#workers.get(this.adapter.name)!.ctx).send(s.pid, message);
    }
  }

  /** Phoenix.PubSub.PG2Worker: registered as its group, a member of it, forwarding to local subscribers. */
  #worker(group: Atom): void {
    if (this.#workers.has(group.name)) return;
    const table = this.#host.table;
    let ctx!: ProcessContext;
    const proc = table.spawnHandler((c) => {
      ctx = c;
      return (m) => this.#forwarded(m);
    });
    try {
      table.register(group, proc.pid);
    } catch (e) {
      table.exit(proc.pid, KILL);
      throw e;
    }
    this.#workers.set(group.name, { proc, ctx });
    this.scope.join(group, proc.pid);
  }

  #forwarded(m: Term): void {
    if (m instanceof Tuple && m.size === 5 && m.elements[0] === DOWN && m.elements[1] instanceof Reference) return this.#subscriberDown(m.elements[1]);
    try {
      const f = parsePubsub(m);
      const topic = typeof f.topic === 'string' ? f.topic : f.topic instanceof Uint8Array ? utf8(f.topic) : undefined;
      if (topic === undefined) throw new TermShapeError('forward_to_local.topic', 'must be a UTF-8 binary', f.topic);
      this.#dispatch(topic, f.message, undefined);
    } catch (e) {
      if (!(e instanceof TermShapeError)) throw e;
      this.#host.debug(`pubsub ${this.name}: dropped ${format(m).slice(0, 120)}: ${e.message}`);
    }
  }

  /** A subscribed process ended: its subscriptions go, as Registry drops an ended process's keys. */
  #subscriberDown(ref: Reference): void {
    for (const p of this.#procs.values()) {
      if (refKey(p.ref) !== refKey(ref)) continue;
      for (const s of [...p.subs]) s.unsubscribe();
      return;
    }
  }

  #live(op: string): { proc: Process; ctx: ProcessContext } {
    const w = this.#workers.get(this.adapter.name)!;
    if (!w.proc.alive) throw new ProcessError('BADARG', `Phoenix.PubSub.${op}`, `${this.name} has ended on this node (its node stopped)`);
    return w;
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });
/** A topic's text; undefined when it is no UTF-8 (then no subscription here can have it). */
function utf8(b: Uint8Array): string | undefined {
  try {
    return decoder.decode(b);
  } catch {
    return undefined;
  }
}
