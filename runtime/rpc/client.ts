/**
 * Calls from TypeScript into Erlang, each made by a short-lived process of
 * ours, as OTP's callers are:
 *
 * - `rpc`: erpc:call/5. SPAWN_REQUEST `{29, ReqId, Caller, GL, {erpc,
 *   execute_call, 4}, [monitor]}` + `[ResRef, M, F, A]`; the peer answers
 *   SPAWN_REPLY (pid, or an error atom), then the DOWN of the spawned process
 *   whose reason is `{ResRef, return | throw | exit | error, ...}`.
 * - `call`: gen_server:call/3. Monitor the server, send `{'$gen_call', {Caller,
 *   Mref}, Request}` (a plain ref tag: the reply comes to our pid), wait for
 *   `{Mref, Reply}` or the DOWN.
 * - `rpcCast`: erpc:cast/4, fire and forget.
 * - `cast`: gen_server:cast/2.
 *
 * A timeout demonitors (DEMONITOR_P) and ends the calling process, so a late
 * answer finds nobody and is dropped; a late SPAWN_REPLY is undone by the
 * node (runtime/node/inbound.ts).
 */
import { control } from '../../generated/control.js';
import { gen } from '../../generated/gen.js';
import { parseErpc } from '../../generated/erpc.js';
import type { ProcessContext } from '../process/context.js';
import { ProcessError } from '../process/errors.js';
import { on } from '../process/mailbox.js';
import { P } from '../process/pattern.js';
import type { Destination } from '../process/table.js';
import type { MonitorTarget } from '../process/links.js';
import { Atom, atom } from '../term/atom.js';
import { equals } from '../term/compare.js';
import { format } from '../term/format.js';
import { tuple } from '../term/make.js';
import { Pid, Reference, Tuple, type Term } from '../term/values.js';
import { RpcError, TimeoutError } from './errors.js';
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
const ERPC = atom('erpc');
const EXECUTE_CALL = { module: ERPC, function: atom('execute_call'), arity: 4 };
const EXECUTE_CAST = { module: ERPC, function: atom('execute_cast'), arity: 3 };
const MONITOR = atom('monitor');
/** What the calling process sends itself when the SPAWN_REQUEST could not be sent. */
const SEND_FAILED = atom('$beamwire_send_failed');

type Outcome = { ok: true; value: Term } | { ok: false; error: unknown };

const abortOn = (signal: AbortSignal | undefined): { signal?: AbortSignal } => (signal === undefined ? {} : { signal });

/**
 * Runs `fn` in a new process and settles once that process has ended, so
 * the caller never sees it (or its monitors) still in the table.
 */
function inProcess(host: RpcHost, what: string, signal: AbortSignal | undefined, fn: (self: ProcessContext) => Promise<Outcome>): Promise<Term> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  let outcome: Outcome | undefined;
  const proc = host.table.spawn(async (self) => {
    try {
      outcome = await fn(self);
    } catch (e) {
      // An abort: the receive rejected with signal.reason. The process ends now, and with it its
      // monitor (DEMONITOR_P for a known pid; a late SPAWN_REPLY is undone by the node).
      if (signal?.aborted && e === signal.reason) outcome = { ok: false, error: e };
      else throw e;
    }
  });
  return proc.exited.then((reason) => {
    if (outcome === undefined) throw new RpcError('exit', reason, [], what); // the calling process was ended from outside
    if (outcome.ok) return outcome.value;
    throw outcome.error;
  });
}

/** erpc:call(Node, Module, Fun, Args, Timeout) from a process of ours. */
export function rpc(host: RpcHost, node: Atom, module: Atom, fun: Atom, args: Term[], options: RpcOptions = {}): Promise<Term> {
  const what = `${module.name}:${fun.name}/${args.length} on ${node.name}`;
  const timeout = options.timeout ?? Infinity;
  const signal = options.signal;
  return inProcess(host, what, signal, async (self) => {
    const deadline = Date.now() + timeout;
    const left = (): number => Math.max(0, deadline - Date.now());
    const resRef = self.makeRef();
    const reqId = self.spawnRequest(node); // also the monitor's ref; the last ref made, so the receives below skip the backlog
    let sendError: Error | undefined;
    host
      .control(node, control.spawnRequest(reqId, self.pid, host.groupLeader(), EXECUTE_CALL, [MONITOR]), [resRef, module, fun, args])
      .catch((e: unknown) => {
        sendError = e as Error;
        host.table.send(self.pid, tuple(SEND_FAILED, reqId));
      });
    const failed = on(P.tuple(SEND_FAILED, P.ref(reqId)), () => ({ ok: false as const, error: sendError! }));

    const spawned = await self.receive(
      [on(P.tuple(SPAWN_REPLY, P.ref(reqId), P.bind('status', P.atom()), P.bind('result')), ({ status, result }) => ({ status, result })), failed],
      { timeout: left(), after: () => null, ...abortOn(signal) },
    );
    if (spawned === null) {
      self.demonitor(reqId); // the late SPAWN_REPLY finds nobody: the node undoes the monitor
      return { ok: false, error: new TimeoutError(what, timeout) };
    }
    if ('ok' in spawned) return spawned;
    if (spawned.status !== OK) return { ok: false, error: new RpcError('error', tuple(ERPC, spawned.result), [], what) };

    const reason = await self.receive([on(P.tuple(DOWN, P.ref(reqId), P.any, P.any, P.bind('reason')), ({ reason }) => reason as Term)], {
      timeout: left(),
      after: () => null,
      ...abortOn(signal),
    });
    if (reason === null) {
      self.demonitor(reqId, { flush: true }); // DEMONITOR_P: the result, if it comes, is dropped by the peer's node
      return { ok: false, error: new TimeoutError(what, timeout) };
    }
    return outcomeOf(reason, resRef, what);
  });
}

/** The DOWN reason of erpc:execute_call/4 as erpc:call/5 reads it. */
function outcomeOf(reason: Term, resRef: Reference, what: string): Outcome {
  if (reason instanceof Tuple && reason.size >= 3 && equals(reason.elements[0]!, resRef)) {
    const r = parseErpc(reason);
    switch (r.kind) {
      case 'return':
        return { ok: true, value: r.value };
      case 'throw':
        return { ok: false, error: new RpcError('throw', r.value, [], what) };
      case 'exit':
        return { ok: false, error: new RpcError('exit', r.reason, [], what) };
      case 'error':
        return { ok: false, error: new RpcError('error', r.reason, r.stack, what) };
      case 'erpc_error':
        return { ok: false, error: new RpcError('error', tuple(ERPC, r.reason), [], what) };
    }
  }
  if (reason === NOCONNECTION) return { ok: false, error: new RpcError('error', tuple(ERPC, NOCONNECTION), [], what) };
  return { ok: false, error: new RpcError('exit', tuple(atom('signal'), reason), [], what) };
}

/**
 * erpc:cast(Node, Module, Fun, Args): SPAWN_REQUEST `{erpc, execute_cast, 3}`
 * with no options and `[M, F, A]`, from the table's own pid. Nothing waits:
 * the peer's SPAWN_REPLY (flags 0) finds no taker and is dropped, and an
 * unreachable node or a failing function goes unreported, as in erpc.
 */
export function rpcCast(host: RpcHost, node: Atom, module: Atom, fun: Atom, args: Term[]): void {
  const ctl = control.spawnRequest(host.table.makeRef(), host.table.pid, host.groupLeader(), EXECUTE_CAST, []);
  host.control(node, ctl, [module, fun, args]).catch((e: unknown) => host.debug(`erpc:cast ${module.name}:${fun.name}/${args.length} to ${node.name}: ${(e as Error).message}`));
}

/** gen_server:call(Dest, Request, Timeout) from a process of ours. */
export function call(host: RpcHost, dest: MonitorTarget, request: Term, options: CallOptions = {}): Promise<Term> {
  const what = `call to ${dest instanceof Atom ? dest.name : format(dest)}`;
  const timeout = options.timeout ?? 5000;
  return inProcess(host, what, options.signal, async (self) => {
    const mref = self.monitor(dest);
    try {
      self.send(dest as Destination, gen.genCall(tuple(self.pid, mref), request));
    } catch (e) {
      // An unregistered local name: the monitor has already queued DOWN noproc, which answers below.
      if (!(e instanceof ProcessError && e.code === 'BADARG')) throw e;
    }
    const got = await self.receive(
      [
        on(P.tuple(P.ref(mref), P.bind('reply')), ({ reply }) => ({ reply: reply as Term })),
        on(P.tuple(DOWN, P.ref(mref), P.any, P.any, P.bind('reason')), ({ reason }) => ({ down: reason as Term })),
      ],
      { timeout, after: () => null, ...abortOn(options.signal) },
    );
    self.demonitor(mref, { flush: true });
    if (got === null) return { ok: false, error: new TimeoutError(what, timeout) };
    if ('reply' in got) return { ok: true, value: got.reply };
    return { ok: false, error: new RpcError('exit', got.down, [], what) };
  });
}

/** gen_server:cast(Dest, Request): never fails, also for a name nobody registered. */
export function cast(host: RpcHost, dest: Pid | Atom | Tuple<[Atom, Atom]>, request: Term): void {
  try {
    host.table.send(dest, gen.genCast(request));
  } catch (e) {
    if (!(e instanceof ProcessError && e.code === 'BADARG')) throw e;
    host.debug(`cast to unregistered ${format(dest)} dropped`);
  }
}
