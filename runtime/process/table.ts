/**
 * The process table of one local node: pids, the name registry, aliases, and
 * the signals between processes (messages, links, monitors, exits).
 *
 * Signal order. Local delivery is synchronous, so what one process sends to
 * another arrives in the order sent. Exit and DOWN signals that a signal
 * causes (a death fanning out to links and monitors) go through one FIFO run
 * queue instead of recursion: a chain of tens of thousands of linked processes dies
 * without deepening the stack, and a message sent while the queue drains
 * waits behind the signals already queued, so nothing overtakes.
 */
import { Atom, atom } from '../term/atom.js';
import { format } from '../term/format.js';
import { tuple } from '../term/make.js';
import { Pid, Reference, Tuple, type Term } from '../term/values.js';
import type { Mfa } from '../term/shape.js';
import { ProcessContext, type ProcessFn } from './context.js';
import type { Destination } from './kernel.js';
import { ProcessError, ProcessExit } from './errors.js';
import { PidAllocator, RefMaker, refKey, samePid, slotOf, type NodeIdentity } from './ids.js';
import { RemoteInbound } from './inbound.js';
import type { RemoteSignals } from './remote.js';
import { ERROR, EXIT, KILL, KILLED, NORMAL, Proc, type Process } from './state.js';
import { LinkBook } from './links.js';
import { stderrLogger, type Logger } from './logger.js';

export type { Destination } from './kernel.js';
export type { ProcessFn } from './context.js';

export interface ProcessTableOptions {
  /** Where crash reports go (a process that died of an error). Default: {@link stderrLogger}. */
  logger?: Logger | undefined;
}

const UNDEFINED = atom('undefined');
const USER = atom('user');

export class ProcessTable {
  /** The table's own pid (`<node.0.0>`): the sender of signals made from outside any process. */
  readonly pid: Pid;
  /** @internal */ readonly procs = new Map<number, Proc>();
  /** @internal */ readonly registry = new Map<Atom, Proc>();
  /** @internal */ readonly aliases = new Map<string, Proc>();
  /** @internal */ readonly links: LinkBook;
  /** @internal */ remote: RemoteSignals | undefined;
  readonly #pids: PidAllocator;
  readonly #refs: RefMaker;
  #queue: (() => void)[] = [];
  #draining = false;
  readonly #logger: Logger;

  constructor(
    readonly node: NodeIdentity,
    options: ProcessTableOptions = {},
  ) {
    this.#logger = options.logger ?? stderrLogger;
    this.#pids = new PidAllocator(node);
    this.#refs = new RefMaker(node);
    this.pid = this.#pids.allocate(() => false);
    this.links = new LinkBook(this);
  }

  /**
   * Ends every process with `reason` whatever it traps (as `kill` does, but
   * with a reason that says why): what a node that stops does, once its
   * connections are down. Their links and monitors fire as usual; a process
   * spawned afterwards is the caller's to refuse.
   */
  shutdown(reason: Term): void {
    this.post(() => {
      for (const p of [...this.procs.values()]) this.terminate(p, reason);
    });
  }

  /** Number of live processes. */
  get size(): number {
    return this.procs.size;
  }

  /** Starts `fn` as a new process on the next microtask; returns its handle at once. */
  spawn(fn: ProcessFn): Process {
    return this.#start(fn, undefined);
  }

  /** As {@link spawn}, linked to the live local process `parent` before the child runs. */
  spawnLink(parent: Pid, fn: ProcessFn): Process {
    const p = this.local(parent);
    if (p === undefined) throw new ProcessError('BADARG', 'spawn_link', `parent ${parent.toString()} is not a live process of ${this.node.name.name}`);
    return this.#start(fn, p);
  }

  /**
   * Starts a process that only reacts: `init` runs at once with the new
   * process's context and returns the function that every message delivered
   * to it is handed to, synchronously and in arrival order. It traps exits
   * (they arrive as `{'EXIT', From, Reason}` messages), so only `kill` or an
   * error thrown by the handler ends it. For node services whose state is a
   * table rather than a position in code, such as the RPC client's calls in
   * flight: one such process serves them all, without a process and a
   * receive per call.
   */
  spawnHandler(init: (self: ProcessContext) => (message: Term) => void): Process {
    const p = this.#newProc();
    p.trapExit = true;
    let handler: (message: Term) => void;
    try {
      handler = init(new ProcessContext(this, p));
    } catch (e) {
      this.terminate(p, reasonOf(e), e);
      throw e;
    }
    p.mailbox.listen((message) => {
      try {
        handler(message);
      } catch (e) {
        this.#crashed(p, e);
      }
    });
    return p;
  }

  /**
   * Starts a process with no context of its own that runs `task` (on the next
   * microtask, as spawn does) and ends with the reason it resolves to, or as
   * a crash when it rejects. For work whose result is its exit reason, as a
   * served erpc call's is: ending with a reason needs no thrown ProcessExit.
   */
  spawnTask(task: () => Promise<Term>): Process {
    const p = this.#newProc();
    queueMicrotask(() => {
      if (!p.alive) return;
      task().then(
        (reason) => this.terminate(p, reason),
        (e: unknown) => this.#crashed(p, e),
      );
    });
    return p;
  }

  /** Sends `message` from outside any process (the sender is {@link pid}). */
  send(to: Destination, message: Term): void {
    this.route(this.pid, to, message);
  }

  /** `exit(pid, reason)` from outside any process. */
  exit(to: Pid, reason: Term): void {
    this.exit2(this.pid, to, reason);
  }

  /** A fresh reference of this node. */
  makeRef(): Reference {
    return this.#refs.make();
  }

  /** The handle of a live local process, or undefined. */
  process(pid: Pid): Process | undefined {
    return this.local(pid);
  }

  /** Registers `name` for the live local process `pid`; badarg if either is taken or the process is dead. */
  register(name: Atom, pid: Pid): void {
    if (name === UNDEFINED) throw new ProcessError('BADARG', 'register', "the name 'undefined' cannot be registered");
    const taken = this.registry.get(name);
    if (taken !== undefined) throw new ProcessError('BADARG', 'register', `${name.name} is already registered to ${taken.pid.toString()}`);
    const p = this.local(pid);
    if (p === undefined) throw new ProcessError('BADARG', 'register', `${pid.toString()} is not a live process of ${this.node.name.name}`);
    if (p.name !== undefined) throw new ProcessError('BADARG', 'register', `${pid.toString()} is already registered as ${p.name.name}`);
    p.name = name;
    this.registry.set(name, p);
  }

  /** Removes a registered name; badarg if it is not registered. */
  unregister(name: Atom): void {
    const p = this.registry.get(name);
    if (p === undefined) throw new ProcessError('BADARG', 'unregister', `${name.name} is not registered`);
    p.name = undefined;
    this.registry.delete(name);
  }

  whereis(name: Atom): Pid | undefined {
    return this.registry.get(name)?.pid;
  }

  registered(): Atom[] {
    return [...this.registry.keys()];
  }

  /**
   * Attaches the remote layer: signals to other nodes' pids go to `remote`;
   * the returned object is how the node layer delivers inbound signals.
   */
  attachRemote(remote: RemoteSignals): RemoteInbound {
    this.remote = remote;
    return new RemoteInbound(this);
  }

  /**
   * erpc:cast's spawn request: SPAWN_REQUEST for `mfa` with no options, from
   * the table's own pid. Nothing waits for the reply, which is dropped.
   */
  spawnRequest(node: Atom, mfa: Mfa, args: Term[]): void {
    this.remoteFor('spawn_request', `${mfa.module.name}:${mfa.function.name}/${mfa.arity}`, node).spawnRequest(this.pid, node, this.makeRef(), this.groupLeader(), mfa, [], args);
  }

  /** The io server spawn requests name as group leader: the registered `user`, else the table's own pid. */
  groupLeader(): Pid {
    return this.registry.get(USER)?.pid ?? this.pid;
  }

  // ---- internals shared with context.ts, links.ts and inbound.ts ----

  /** @internal */
  isLocalNode(node: Atom): boolean {
    return node === this.node.name;
  }

  /** @internal the live local process `pid` names, if any (an old creation of this node names none). */
  local(pid: Pid): Proc | undefined {
    if (pid.node !== this.node.name || pid.creation !== this.node.creation) return undefined;
    return this.procs.get(slotOf(pid));
  }

  /** @internal the remote layer, or a NO_REMOTE error naming the operation and target. */
  remoteFor(operation: string, target: { toString(): string }, node: Atom): RemoteSignals {
    if (this.remote === undefined)
      throw new ProcessError('NO_REMOTE', operation, `${target.toString()} is on node ${node.name} and no remote layer is attached to ${this.node.name.name}`);
    return this.remote;
  }

  /** @internal delivers a message to a local process, keeping it behind signals being processed. */
  deliver(p: Proc, message: Term): void {
    if (this.#draining) this.post(() => p.mailbox.push(message));
    else p.mailbox.push(message);
  }

  /** @internal */
  route(from: Pid, to: Destination, message: Term): void {
    if (to instanceof Pid) {
      if (this.isLocalNode(to.node)) {
        const p = this.local(to);
        if (p !== undefined) this.deliver(p, message); // a dead or unknown local pid: dropped, as Erlang does
      } else this.remoteFor('send', to, to.node).send(from, to, message);
    } else if (to instanceof Reference) {
      if (this.isLocalNode(to.node)) {
        const p = this.aliases.get(refKey(to));
        if (p !== undefined) this.deliver(p, message); // an inactive alias drops, as Erlang does
      } else this.remoteFor('send', to, to.node).aliasSend(from, to, message);
    } else if (to instanceof Tuple) {
      const [name, node] = to.elements as readonly Term[];
      if (!(name instanceof Atom) || !(node instanceof Atom))
        throw new ProcessError('BADARG', 'send', 'a {Name, Node} destination needs two atoms');
      if (this.isLocalNode(node)) this.#sendName(name, message);
      else this.remoteFor('send', `{${name.name}, ${node.name}}`, node).regSend(from, name, node, message);
    } else this.#sendName(to, message);
  }

  #sendName(name: Atom, message: Term): void {
    const p = this.registry.get(name);
    if (p === undefined) throw new ProcessError('BADARG', 'send', `no process is registered as ${name.name} on ${this.node.name.name}`);
    this.deliver(p, message);
  }

  /** @internal `exit(to, reason)` sent by `from` (EXIT2 semantics: no link needed; `kill` is untrappable). */
  exit2(from: Pid, to: Pid, reason: Term): void {
    if (!this.isLocalNode(to.node)) return this.remoteFor('exit', to, to.node).exit2(from, to, reason);
    const p = this.local(to);
    if (p !== undefined) this.post(() => this.receiveExit(p, from, reason, true));
  }

  /**
   * @internal An exit signal reaching `p`. Erlang's rules: an `exit/2` `kill`
   * ends it as `killed` whatever it traps; a trapping process gets
   * `{'EXIT', From, Reason}` as a message; `normal` is ignored (except
   * `exit(self(), normal)`, and a link's with paragram's exit policy); any
   * other reason ends it with that reason.
   */
  receiveExit(p: Proc, from: Pid, reason: Term, viaExit2: boolean): void {
    if (!p.alive) return;
    if (viaExit2 && reason === KILL) return this.terminate(p, KILLED);
    if (p.trapExit) return p.mailbox.push(tuple(EXIT, from, reason));
    if (reason === NORMAL) {
      // paragram's policy propagates a linked process's normal end; Erlang's ignores it.
      if (viaExit2 ? samePid(from, p.pid) : p.propagateNormal) this.terminate(p, NORMAL);
      return;
    }
    this.terminate(p, reason);
  }

  /** @internal runs `fn` after the signals already queued; drains at once when nothing is draining. */
  post(fn: () => void): void {
    this.#queue.push(fn);
    if (this.#draining) return;
    this.#draining = true;
    let failure: unknown;
    let failed = false;
    try {
      // Index loop: the queue grows while it drains.
      for (let i = 0; i < this.#queue.length; i++) {
        try {
          this.#queue[i]!();
        } catch (e) {
          // Keep delivering the other signals; the first failure (a remote layer that threw) reaches the caller.
          if (!failed) (failed = true), (failure = e);
        }
      }
    } finally {
      this.#queue = [];
      this.#draining = false;
    }
    if (failed) throw failure;
  }

  /**
   * @internal Ends `p` with `reason`: its pid, name and aliases stop routing,
   * its receive rejects with {@link ProcessExit}, its links get exit signals,
   * its watchers get DOWN, and `self.signal` aborts.
   */
  terminate(p: Proc, reason: Term, error?: unknown): void {
    // Inside the run queue so the fan-out below only queues: a remote layer
    // that throws cannot leave this half done (watchers untold, `exited` unresolved).
    if (this.#draining) this.#end(p, reason, error);
    else this.post(() => this.#end(p, reason, error));
  }

  #end(p: Proc, reason: Term, error: unknown): void {
    if (!p.alive) return;
    p.alive = false;
    p.reason = reason;
    p.error = error;
    this.procs.delete(p.slot);
    if (p.name !== undefined) this.registry.delete(p.name);
    for (const key of p.someAliases) this.aliases.delete(key);
    p.mailbox.close(() => ProcessExit.ended(reason, p.pid));
    this.links.processEnded(p, reason);
    for (const w of p.someWatchers.values()) this.post(() => this.down(w.ref, w.name ?? p.pid, w.watcher, reason));
    p.release();
    p.abort?.abort(p.mailbox.closed);
    p.finish(reason);
  }

  /** @internal a DOWN for `watcher` about `target` (a pid, or the name it was monitored by). */
  down(ref: Reference, target: Pid | Atom, watcher: Pid, reason: Term): void {
    if (!this.isLocalNode(watcher.node)) return this.remoteFor('down', watcher, watcher.node).down(target, watcher, ref, reason);
    const w = this.local(watcher);
    if (w !== undefined) this.links.downTo(w, ref, target, reason); // else the watcher is gone
  }

  #newProc(): Proc {
    const pid = this.#pids.allocate((slot) => slot === slotOf(this.pid) || this.procs.has(slot));
    const p = new Proc(pid, slotOf(pid));
    this.procs.set(p.slot, p);
    return p;
  }

  #start(fn: ProcessFn, linkTo: Proc | undefined): Proc {
    const p = this.#newProc();
    if (linkTo !== undefined) this.links.linkLocal(linkTo, p);
    const ctx = new ProcessContext(this, p);
    // Erlang's spawn returns before the child runs; so does this.
    queueMicrotask(() => {
      if (!p.alive) return;
      let result: unknown;
      try {
        result = fn(ctx);
      } catch (e) {
        return this.#crashed(p, e);
      }
      Promise.resolve(result).then(
        () => this.terminate(p, NORMAL),
        (e: unknown) => this.#crashed(p, e),
      );
    });
    return p;
  }

  #crashed(p: Proc, e: unknown): void {
    if (!p.alive) return; // already ended from outside: this is the ProcessExit it was woken with
    const reason = reasonOf(e);
    // As OTP's emulator: a raw process that dies of an error is reported, one
    // that calls exit(Reason) is not (a deliberate end, whatever the reason).
    // Reported first: a remote layer that throws during the fan-out cannot lose it.
    if (!(e instanceof ProcessExit)) this.#reportCrash(p.pid, p.name, reason, e);
    this.terminate(p, reason, e);
  }

  /** OTP's "Error in process ~p on node ~p with exit value:~n~p~n", with the JS stack the reason cannot hold. */
  #reportCrash(pid: Pid, name: Atom | undefined, reason: Term, e: unknown): void {
    const stack = e instanceof Error && typeof e.stack === 'string' ? e.stack : undefined;
    const reasonText = format(reason);
    const message =
      `Error in process ${pid.toString()}${name === undefined ? '' : ` (registered as ${name.name})`} on node ${this.node.name.name} with exit value:\n` +
      reasonText +
      (stack === undefined ? '' : `\n${stack}`);
    const report = { pid: pid.toString(), ...(name === undefined ? {} : { registeredName: name.name }), reason: reasonText, ...(stack === undefined ? {} : { stack }) };
    try {
      this.#logger.log('error', message, report);
    } catch (failure) {
      // A logger that throws must not break the table (this runs inside promise callbacks and message delivery); say so where it can be seen.
      stderrLogger.log('error', `${message}\n(the logger threw: ${failure instanceof Error ? failure.message : String(failure)})`);
    }
  }
}

/**
 * The exit reason for what a process function threw: the reason of an
 * {@link exit} (a {@link ProcessExit}), else `{error, <<"Name: message">>}`
 * (the binary is a JS string holding the error's text).
 */
export function reasonOf(e: unknown): Term {
  if (e instanceof ProcessExit) return e.reason;
  let text: string;
  try {
    text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  } catch {
    text = Object.prototype.toString.call(e);
  }
  return tuple(ERROR, text);
}
