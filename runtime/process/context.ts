/**
 * `self` inside a process: its pid, mailbox and the Erlang built-ins that act
 * on behalf of the calling process. Once the process has ended (killed, or by
 * a linked process's exit) every call throws {@link ProcessExit}, so code
 * still running in it unwinds instead of acting as a dead process.
 */
import { atom, type Atom } from '../term/atom.js';
import type { Mfa } from '../term/shape.js';
import { Pid, Reference, Tuple, type Term } from '../term/values.js';
import { ProcessError, ProcessExit, ReceiveTimeout } from './errors.js';
import { refKey as refKeyOf, type NodeIdentity } from './ids.js';
import type { LinkedKernel, MonitorTarget } from './links.js';
import type { Destination } from './kernel.js';
import { Clause, type ClauseResult, type Hit } from './mailbox.js';
import { P } from './pattern.js';
import { HandlerTable } from './handlers.js';


/** What a process runs. Resolving ends it with `normal`; throwing ends it with a reason (see README). */
export type ProcessFn = (self: ProcessContext) => Promise<Term | void> | Term | void;

/** The kernel as a context uses it: with the link book, and spawning for `spawn`/`spawnLink`. */
export interface ContextKernel extends LinkedKernel {
  spawn(fn: ProcessFn): Process;
  spawnLink(parent: Pid, fn: ProcessFn): Process;
}

const SPAWN_MONITOR: Term[] = [atom('monitor')];
import type { Proc, Process } from './state.js';

export interface ReceiveOptions {
  /** Milliseconds to wait for a matching message; 0 only looks at what is queued (Erlang's `after 0`). */
  readonly timeout?: number;
  /** Cancels the wait: the receive rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
}

/** Erlang's `after` clause: with a timeout, the receive resolves to this instead of rejecting. */
export interface AfterOptions<A> extends ReceiveOptions {
  readonly timeout: number;
  readonly after: () => A;
}

/** One clause or a handler table (clauses tried in order), or nothing: any message. */
export type Clauses = Clause<any> | readonly Clause<any>[] | undefined;
export type ReceiveResult<C> = C extends undefined ? Term : C extends readonly (infer E)[] ? ClauseResult<E> : ClauseResult<C>;

const ANY_MESSAGE: readonly Clause<unknown>[] = [new Clause(P.any, (_b: unknown, m: Term) => m)];

export class ProcessContext {
  /** Set by a send that found its connection busy: the next receive waits for it first. */
  #busy: Promise<void> | undefined;
  #handlers: HandlerTable | undefined;

  /** @internal made by the table. */
  constructor(
    private readonly table: ContextKernel,
    private readonly proc: Proc,
  ) {}

  get pid(): Pid {
    return this.proc.pid;
  }

  get node(): NodeIdentity {
    return this.table.node;
  }

  /** Aborted when the process ends, with the {@link ProcessExit}: pass it to fetch, timers, streams. */
  get signal(): AbortSignal {
    const p = this.proc;
    if (p.abort === undefined) {
      p.abort = new AbortController();
      if (!p.alive) p.abort.abort(p.mailbox.closed);
    }
    return p.abort.signal;
  }

  /** Messages queued and not yet received. */
  get pending(): number {
    return this.proc.mailbox.size;
  }

  /**
   * `to ! message`. A dead or unknown pid drops it (as Erlang); an unregistered
   * local name throws badarg. Never waits; but when the message went to a
   * connection over its high-water mark, the process is suspended at its next
   * `receive` until that connection drains, as Erlang suspends a sender on a
   * busy dist port, so a loop that sends and receives needs no back-pressure
   * of its own.
   */
  send(to: Destination, message: Term): void {
    this.#alive();
    this.table.route(this.proc.pid, to, message);
    const remote = this.table.remote;
    if (remote?.busy === undefined) return;
    const node = to instanceof Pid || to instanceof Reference ? to.node : to instanceof Tuple ? to.elements[1] : undefined;
    if (node === undefined || node === this.table.node.name) return;
    const busy = remote.busy(node as Atom);
    if (busy !== undefined) this.#busy = busy;
  }

  /**
   * Selective receive: the first queued message, in arrival order, that
   * matches a clause is removed and that clause's handler result returned;
   * the others keep their places. Without clauses, takes the first message.
   * After a `send` to a busy connection, it first waits for that connection
   * to drain (then its timeout starts).
   */
  receive<const C extends Clauses, A>(clauses: C, options: AfterOptions<A>): Promise<ReceiveResult<C> | Awaited<A>>;
  receive<const C extends Clauses = undefined>(clauses?: C, options?: ReceiveOptions): Promise<ReceiveResult<C>>;
  receive(clauses?: Clauses, options?: ReceiveOptions & { after?: () => unknown }): Promise<unknown> {
    const busy = this.#busy;
    if (busy !== undefined) {
      // Suspended by a send to a busy connection: the receive (and its timeout) starts once it drained.
      this.#busy = undefined;
      return busy.then(() => this.receive(clauses, options as ReceiveOptions));
    }
    const mb = this.proc.mailbox;
    if (mb.closed !== undefined) return Promise.reject(mb.closed);
    if (mb.waiting)
      return Promise.reject(new ProcessError('CONCURRENT_RECEIVE', 'receive', `${this.proc.pid.toString()} is already waiting in another receive`));
    const timeout = options?.timeout;
    if (timeout !== undefined && !(timeout >= 0))
      return Promise.reject(new ProcessError('BADARG', 'receive', `timeout must be a number of milliseconds >= 0, got ${String(timeout)}`));
    const table = clauses === undefined ? ANY_MESSAGE : clauses instanceof Clause ? [clauses] : clauses;
    const hit = mb.take(table);
    if (hit !== undefined) return run(hit);
    if (timeout === 0) return this.#timedOut(0, options);
    return mb.wait(table, timeout, options?.signal).then((h) => (h === undefined ? this.#timedOut(timeout!, options) : run(h)));
  }

  /** The mailbox as an async iterable: each message in arrival order, until the process ends. */
  get mailbox(): AsyncIterable<Term> {
    return {
      [Symbol.asyncIterator]: () => ({
        next: () => this.receive().then((value) => ({ value, done: false as const })),
        // Leaving the loop early leaves the mailbox as it is.
        return: () => Promise.resolve({ value: undefined, done: true as const }),
      }),
    };
  }

  /** Sets whether exit signals arrive as `{'EXIT', From, Reason}` messages; returns the previous setting. */
  trapExit(on: boolean): boolean {
    this.#alive();
    const was = this.proc.trapExit;
    this.proc.trapExit = on;
    return was;
  }

  /**
   * paragram's exit policy, `'paragram'`: a linked process's `normal` end
   * ends this one too (with `normal`, so it travels on), unless it traps
   * exits; `'erlang'` (the default) ignores it. Returns the previous policy.
   */
  exitPolicy(policy: 'erlang' | 'paragram'): 'erlang' | 'paragram' {
    this.#alive();
    if (policy !== 'erlang' && policy !== 'paragram') throw new ProcessError('BADARG', 'exitPolicy', `a policy is 'erlang' or 'paragram', not ${String(policy)}`);
    const was = this.proc.propagateNormal ? 'paragram' : 'erlang';
    this.proc.propagateNormal = policy === 'paragram';
    return was;
  }

  /**
   * This process's paragram handler table: `self.handlers.on(pattern, handler)`
   * registers, `await self.handlers.run()` handles messages in arrival order,
   * the first registered match wins, and an unmatched message ends the
   * process with `{unhandled_message, Message}` (runtime/process/handlers.ts).
   */
  get handlers(): HandlerTable {
    return (this.#handlers ??= new HandlerTable(this));
  }

  link(to: Pid): void {
    this.#alive();
    this.table.links.link(this.proc, to);
    this.#alive(); // linking to a missing process may have ended this one (noproc)
  }

  unlink(to: Pid): void {
    this.#alive();
    this.table.links.unlink(this.proc, to);
  }

  /** `monitor(process, target)`: a DOWN message `{'DOWN', Ref, process, PidOrName, Reason}` follows when it ends. */
  monitor(target: MonitorTarget): Reference {
    this.#alive();
    const at = this.proc.mailbox.end; // before a noproc DOWN is queued
    const ref = this.table.links.monitor(this.proc, target);
    this.proc.mailbox.mark(ref, at);
    return ref;
  }

  /**
   * erlang:spawn_request(Node, M, F, Args, [monitor]) (erpc is built on it):
   * sends SPAWN_REQUEST for `mfa` with `args` to `node` and returns the ReqId,
   * which is also the monitor's ref. The reply arrives as
   * `{spawn_reply, ReqId, ok, Pid}` or `{spawn_reply, ReqId, error, Reason}`
   * (`noconnection` if the node goes first), then the spawned process's end as
   * `{'DOWN', ReqId, process, Pid, Reason}`. `demonitor(ReqId)` abandons it.
   * With `reply: 'error_only'` (erpc's `{reply, error_only}`) the success
   * reply is not delivered. The group leader named is the node's `user`.
   */
  spawnRequest(node: Atom, mfa: Mfa, args: Term[], options?: { reply?: 'yes' | 'error_only' }): Reference {
    this.#alive();
    const remote = this.table.remoteFor('spawn_request', `${mfa.module.name}:${mfa.function.name}/${mfa.arity}`, node);
    const ref = this.table.links.spawnRequest(this.proc, node, options?.reply === 'error_only');
    try {
      remote.spawnRequest(this.pid, node, ref, this.table.groupLeader(), mfa, SPAWN_MONITOR, args);
    } catch (e) {
      // Not sent (arguments with no Erlang term): no monitor is left waiting for a reply.
      this.table.links.demonitor(this.proc, ref, true);
      throw e;
    }
    this.proc.mailbox.mark(ref);
    return ref;
  }

  /** True when a monitor was removed; `flush` also drops its DOWN if already queued. */
  demonitor(ref: Reference, options?: { flush?: boolean }): boolean {
    this.#alive();
    return this.table.links.demonitor(this.proc, ref, options?.flush === true);
  }

  /** `exit(reason)`: ends this process (throws; `await` nothing after it). */
  exit(reason: Term): never;
  /** `exit(pid, reason)`: sends an exit signal; `kill` is untrappable. */
  exit(to: Pid, reason: Term): void;
  exit(...args: [Term] | [Pid, Term]): void {
    this.#alive();
    if (args.length === 1) throw new ProcessExit(args[0], this.proc.pid);
    this.table.exit2(this.proc.pid, args[0], args[1]);
    this.#alive(); // exit(self(), kill) ends the caller
  }

  spawn(fn: ProcessFn): Process {
    this.#alive();
    return this.table.spawn(fn);
  }

  spawnLink(fn: ProcessFn): Process {
    this.#alive();
    return this.table.spawnLink(this.proc.pid, fn);
  }

  /** Spawns and monitors: the DOWN for the returned ref tells how the child ended. */
  spawnMonitor(fn: ProcessFn): [Process, Reference] {
    const child = this.spawn(fn);
    return [child, this.monitor(child.pid)];
  }

  register(name: Atom): void {
    this.#alive();
    this.table.register(name, this.proc.pid);
  }

  unregister(name: Atom): void {
    this.table.unregister(name);
  }

  whereis(name: Atom): Pid | undefined {
    return this.table.whereis(name);
  }

  /** A new alias: messages sent to the returned reference reach this process until {@link unalias}. */
  alias(): Reference {
    this.#alive();
    const ref = this.table.makeRef();
    this.proc.mailbox.mark(ref);
    const key = refKeyOf(ref);
    this.table.aliases.set(key, this.proc);
    this.proc.aliases.add(key);
    return ref;
  }

  /** Deactivates an alias of this process; false when it was not one. */
  unalias(ref: Reference): boolean {
    const key = refKeyOf(ref);
    if (!this.proc.aliases.delete(key)) return false;
    this.table.aliases.delete(key);
    return true;
  }

  /**
   * A fresh reference. A receive whose every clause requires it (`P.ref(r)`
   * in each) skips the messages queued before it was made, as OTP does for
   * a `make_ref()` followed by a receive; the same holds for the refs of
   * `monitor` and `alias`, the latest one only.
   */
  makeRef(): Reference {
    const ref = this.table.makeRef();
    this.proc.mailbox.mark(ref);
    return ref;
  }

  #alive(): void {
    if (!this.proc.alive) throw new ProcessExit(this.proc.reason!, this.proc.pid);
  }

  #timedOut(timeout: number, options: (ReceiveOptions & { after?: () => unknown }) | undefined): Promise<unknown> {
    if (options?.after !== undefined) {
      try {
        return Promise.resolve(options.after());
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return Promise.reject(new ReceiveTimeout(this.proc.pid, timeout, this.proc.mailbox.size));
  }
}

function run(hit: Hit): Promise<unknown> {
  try {
    return Promise.resolve(hit.clause.handler(hit.bindings, hit.message));
  } catch (e) {
    return Promise.reject(e);
  }
}
