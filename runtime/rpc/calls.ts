/**
 * The calls a node makes from TypeScript (erpc:call, gen_server:call) while
 * they are in flight: one table, served by one reacting process of ours
 * (ProcessTable.spawnHandler) whose pid every request names. Erlang makes
 * these calls from the caller's own process; a TypeScript caller has none,
 * and a process, a receive and a pattern table per call cost more than the
 * round trip itself (BENCHMARKS.md "RPC"). The wire is the same as OTP's:
 *
 * - rpc: SPAWN_REQUEST `{29, ReqId, Caller, GL, {erpc, execute_call, 4},
 *   [monitor]}` + `[ResRef, M, F, A]`; the peer answers SPAWN_REPLY (its
 *   pid, or an error atom), then the DOWN of the spawned process, whose
 *   reason is `{ResRef, return | throw | exit | error, ...}`. As erpc:call
 *   (`{reply, error_only}`), only a failed spawn reaches the calling process.
 * - call: monitor the server, send `{'$gen_call', {Caller, Mref}, Request}`,
 *   take `{Mref, Reply}` or the DOWN.
 *
 * A call is keyed by its ReqId / Mref, which is also its monitor. Whatever
 * ends it (answer, timeout, abort, send failure) removes it from the table
 * and takes its monitor down (DEMONITOR_P once the peer's pid is known; a
 * SPAWN_REPLY that comes after an abandoned request is undone by the node,
 * runtime/node/inbound.ts), so a late answer finds no taker and is dropped.
 */
import { gen } from '../../generated/gen.js';
import { parseErpc, type Erpc } from '../../generated/erpc.js';
import { ProcessError, refKey, sameRef, type ProcessContext, type MonitorTarget, type Process, type Destination, type ProcessTable } from '../process/index.js';
import { Atom, atom } from '../term/atom.js';
import { format } from '../term/format.js';
import { tuple } from '../term/make.js';
import { Pid, Reference, Tuple, type Term } from '../term/values.js';
import { CallTimeoutError, RpcError } from './errors.js';
import { Deadlines, type Deadline } from './deadlines.js';
import type { RpcHost } from './host.js';

export interface RpcOptions {
  /** Milliseconds to wait for the answer; default: forever, as erpc:call/4. */
  timeout?: number;
  /** Abandons the call as a timeout does; the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
}

export interface CallOptions {
  /** Milliseconds to wait for the reply; default 5000, as gen_server:call/2. */
  timeout?: number;
  /** Abandons the call as a timeout does; the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
}

const DOWN = atom('DOWN');
const SPAWN_REPLY = atom('spawn_reply');
const OK = atom('ok');
const NOCONNECTION = atom('noconnection');
const NODEDOWN = atom('nodedown');
const ERPC = atom('erpc');
const EXECUTE_CALL = { module: ERPC, function: atom('execute_call'), arity: 4 };

/** One call in flight. */
class Pending {
  deadline: Deadline | undefined;
  onAbort: (() => void) | undefined;

  constructor(
    readonly kind: 'rpc' | 'call',
    readonly ref: Reference,
    /** rpc: the ref that tags erpc's result; call: unused. */
    readonly resRef: Reference | undefined,
    /** What was called, for errors; made only when one is raised. */
    readonly what: () => string,
    /** The node called (call: the server's, for `{nodedown, Node}`). */
    readonly node: Atom | undefined,
    readonly resolve: (value: Term) => void,
    readonly reject: (error: unknown) => void,
    readonly signal: AbortSignal | undefined,
  ) {}
}

const perTable = new WeakMap<ProcessTable, Calls>();

export class Calls {
  readonly #host: RpcHost;
  readonly #pending = new Map<string, Pending>();
  readonly #deadlines = new Deadlines();
  readonly #process: Process;
  #self!: ProcessContext;
  /** Messages delivered while a monitor is being set up: a local target that is not there answers DOWN before the call is in the table. */
  #early: Term[] | undefined;

  /** The calls of `host`'s node, starting its calling process on first use or after it was killed. */
  static of(host: RpcHost): Calls {
    let c = perTable.get(host.table);
    if (c === undefined || !c.#process.alive) perTable.set(host.table, (c = new Calls(host)));
    return c;
  }

  /** The node stops: every call in flight rejects with `error` (its connection is going, so no DEMONITOR_P is sent). */
  static stop(table: ProcessTable, error: unknown): void {
    const c = perTable.get(table);
    if (c === undefined) return;
    for (const p of [...c.#pending.values()]) if (c.#settle(p)) p.reject(error);
  }

  private constructor(host: RpcHost) {
    this.#host = host;
    this.#process = host.table.spawnHandler((self) => {
      this.#self = self;
      return (message) => this.#handle(message);
    });
    // Only `kill` ends it: its calls cannot be answered any more.
    void this.#process.exited.then((reason) => {
      for (const p of [...this.#pending.values()]) this.#fail(p, new RpcError('exit', reason, [], p.what()));
    });
  }

  /** The pid that makes the calls: the caller Erlang sees. */
  get pid(): Pid {
    return this.#process.pid;
  }

  /** Calls in flight. */
  get size(): number {
    return this.#pending.size;
  }

  /** erpc:call(Node, Module, Fun, Args, Timeout). */
  rpc(node: Atom, module: Atom, fun: Atom, args: Term[], options: RpcOptions = {}): Promise<Term> {
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const self = this.#self;
    const resRef = self.makeRef();
    let reqId: Reference;
    try {
      // As erpc:call: success shows in the DOWN. A node that cannot be reached answers through the monitor (noconnection).
      reqId = self.spawnRequest(node, EXECUTE_CALL, [resRef, module, fun, args], { reply: 'error_only' });
    } catch (e) {
      return Promise.reject(e); // this node's own name, no remote layer, or arguments with no Erlang term (EncodeError)
    }
    const what = (): string => `${module.name}:${fun.name}/${args.length} on ${node.name}`;
    return new Promise<Term>((resolve, reject) => {
      const p = new Pending('rpc', reqId, resRef, what, node, resolve, reject, signal);
      this.#track(p, options.timeout ?? Infinity);
    });
  }

  /** gen_server:call(Dest, Request, Timeout). */
  call(dest: MonitorTarget, request: Term, options: CallOptions = {}): Promise<Term> {
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const self = this.#self;
    const what = (): string => `call to ${dest instanceof Atom ? dest.name : format(dest)}`;
    const node = dest instanceof Pid ? dest.node : dest instanceof Atom ? self.node.name : (dest.elements[1] as Atom);
    const early: Term[] = (this.#early = []);
    let mref: Reference;
    try {
      mref = self.monitor(dest);
    } catch (e) {
      return Promise.reject(e); // a malformed {Name, Node}, or no remote layer
    } finally {
      this.#early = undefined;
    }
    return new Promise<Term>((resolve, reject) => {
      const p = new Pending('call', mref, undefined, what, node, resolve, reject, signal);
      this.#track(p, options.timeout ?? 5000);
      for (const m of early) this.#handle(m);
      if (this.#pending.get(refKey(mref)) !== p) return; // answered already (DOWN noproc)
      try {
        self.send(dest as Destination, gen.genCall(tuple(self.pid, mref), request));
      } catch (e) {
        // An unregistered local name: its DOWN noproc has answered above.
        if (!(e instanceof ProcessError && e.code === 'BADARG')) this.#fail(p, e);
      }
    });
  }

  #track(p: Pending, timeout: number): void {
    this.#pending.set(refKey(p.ref), p);
    if (timeout !== Infinity) p.deadline = this.#deadlines.add(timeout, () => this.#fail(p, new CallTimeoutError(p.what(), timeout)));
    if (p.signal !== undefined) {
      const signal = p.signal;
      p.onAbort = () => this.#fail(p, signal.reason);
      signal.addEventListener('abort', p.onAbort, { once: true });
    }
  }

  /** Ends `p` if it is still in flight; true when it was. */
  #settle(p: Pending): boolean {
    const key = refKey(p.ref);
    if (this.#pending.get(key) !== p) return false;
    this.#pending.delete(key);
    p.deadline?.cancel();
    if (p.onAbort !== undefined) p.signal!.removeEventListener('abort', p.onAbort);
    return true;
  }

  /** Abandons `p` with `error`: its monitor goes (DEMONITOR_P if the peer's pid is known), a late answer is dropped. */
  #fail(p: Pending, error: unknown): void {
    if (!this.#settle(p)) return;
    if (this.#process.alive) this.#self.demonitor(p.ref);
    p.reject(error);
  }

  /** For a noconnection: the error that stopped the connection being made (a refused handshake, an unknown name), as the RpcError's cause. */
  #cause(p: Pending, reason: Term): { cause: unknown } | undefined {
    if (reason !== NOCONNECTION) return undefined;
    const cause = this.#host.whyUnreachable?.(p.node!);
    return cause === undefined ? undefined : { cause };
  }

  #handle(message: Term): void {
    if (this.#early !== undefined) return void this.#early.push(message);
    if (!(message instanceof Tuple)) return;
    const e = message.elements;
    const tag = e[0];
    if (message.size === 2 && tag instanceof Reference) {
      const p = this.#pending.get(refKey(tag));
      if (p?.kind !== 'call' || !this.#settle(p)) return; // a late reply
      this.#self.demonitor(p.ref);
      return p.resolve(e[1]!);
    }
    if (message.size === 4 && tag === SPAWN_REPLY) {
      const p = this.#pending.get(refKey(e[1] as Reference));
      if (p?.kind !== 'rpc' || e[2] === OK) return;
      if (this.#settle(p)) p.reject(new RpcError('error', tuple(ERPC, e[3]!), [], p.what(), this.#cause(p, e[3]!)));
      return;
    }
    if (message.size === 5 && tag === DOWN) {
      const p = this.#pending.get(refKey(e[1] as Reference));
      if (p === undefined || !this.#settle(p)) return;
      const reason = e[4]!;
      const cause = this.#cause(p, reason);
      if (p.kind === 'rpc') return settleRpc(p, reason, cause);
      // gen:do_call: a lost connection is {nodedown, Node}.
      return p.reject(new RpcError('exit', reason === NOCONNECTION ? tuple(NODEDOWN, p.node!) : reason, [], p.what(), cause));
    }
    // Anything else (an 'EXIT', a reply to a call abandoned already) has no taker.
  }
}

/** The DOWN reason of erpc:execute_call/4, as erpc:call/5 reads it. */
function settleRpc(p: Pending, reason: Term, cause: { cause: unknown } | undefined): void {
  const tag = reason instanceof Tuple && reason.size >= 3 ? reason.elements[0] : undefined;
  const r = tag instanceof Reference && sameRef(tag, p.resRef!) ? erpcResult(reason as Tuple) : undefined;
  if (r !== undefined) {
    switch (r.kind) {
      case 'return':
        return p.resolve(r.value);
      case 'throw':
        return p.reject(new RpcError('throw', r.value, [], p.what()));
      case 'exit':
        return p.reject(new RpcError('exit', r.reason, [], p.what()));
      case 'error':
        return p.reject(new RpcError('error', r.reason, r.stack, p.what()));
      case 'erpc_error':
        return p.reject(new RpcError('error', tuple(ERPC, r.reason), [], p.what()));
    }
  }
  if (reason === NOCONNECTION) return p.reject(new RpcError('error', tuple(ERPC, NOCONNECTION), [], p.what(), cause));
  p.reject(new RpcError('exit', tuple(atom('signal'), reason), [], p.what()));
}

/** The result tuple, or undefined for a shape erpc does not make (erpc:call then exits `{signal, Reason}`). */
function erpcResult(reason: Tuple): Erpc | undefined {
  try {
    return parseErpc(reason);
  } catch {
    return undefined;
  }
}
