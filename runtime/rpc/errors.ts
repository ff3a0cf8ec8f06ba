/**
 * What an RPC can end with besides a value. Calls made from TypeScript reject
 * with {@link RpcError} (the Erlang exception, class and reason kept as
 * terms) or {@link CallTimeoutError}. Functions exposed to Erlang raise Erlang's
 * three classes with {@link ErlangThrow}, {@link ErlangExit} and
 * {@link ErlangError}; any other thrown value becomes an `error` (see
 * runtime/rpc/exposed.ts).
 */
import { atom } from '../term/atom.js';
import { format } from '../term/format.js';
import { tuple } from '../term/make.js';
import type { Term } from '../term/values.js';
import { BeamwireError } from '../wire/errors.js';

/** Erlang's exception classes. */
export type ErlangClass = 'throw' | 'exit' | 'error';

/**
 * A call that raised in Erlang, or could not be made. `reason` and
 * `stacktrace` are the terms Erlang gave (`[]` when it gave none). What
 * raises what:
 * - the function threw, exited or raised an error: that class and reason, and its stacktrace for `error`;
 * - the node refused the spawn (SPAWN_REPLY with an error atom): `error`, `{erpc, Atom}` (`notsup`, `badarg`, ...);
 * - the connection went: `error`, `{erpc, noconnection}` (node.rpc) or `exit`, `{nodedown, Node}` (node.call, as gen:call);
 * - a gen_server call whose server is not there or ended: `exit`, `noproc` or the server's exit reason;
 * - the spawned process ended without an erpc result (killed): `exit`, `{signal, Reason}`, as erpc does.
 *
 * Code 'RPC_ERROR' for all of them: what went wrong is in `class` and
 * `reason`, as Erlang has it. When the connection could not be set up,
 * `cause` holds why (a HandshakeError, say).
 */
export class RpcError extends BeamwireError {
  override readonly name = 'RpcError';
  readonly code = 'RPC_ERROR';
  readonly class: ErlangClass;

  constructor(
    cls: ErlangClass,
    readonly reason: Term,
    readonly stacktrace: Term,
    /** What was called: `lists:reverse/1 on a@host`, `{kv, a@host}`. */
    readonly call: string,
    options?: { cause?: unknown },
  ) {
    const why = options?.cause instanceof Error ? ` (${options.cause.message})` : '';
    super(`${call} raised ${cls}: ${format(reason)}${why}`, options);
    this.class = cls;
  }
}

/**
 * No answer within the timeout; the call left nothing behind (its monitor is
 * gone and a late answer is dropped). Code 'CALL_TIMEOUT'. Not named
 * `TimeoutError`: that is the DOMException `AbortSignal.timeout()` aborts with.
 */
export class CallTimeoutError extends BeamwireError {
  override readonly name = 'CallTimeoutError';
  readonly code = 'CALL_TIMEOUT';
  constructor(
    readonly call: string,
    readonly timeout: number,
  ) {
    super(`${call}: no answer within ${timeout} ms`);
  }
}

/** Thrown by an exposed function: the Erlang caller gets `throw(value)` (erpc: `{ResRef, throw, Value}`). Code 'ERLANG_THROW'. */
export class ErlangThrow extends BeamwireError {
  override readonly name = 'ErlangThrow';
  readonly code = 'ERLANG_THROW';
  constructor(readonly value: Term) {
    super(`throw ${format(value)}`);
  }
}

/** Thrown by an exposed function: the Erlang caller gets `exit(reason)` (erpc: `{ResRef, exit, Reason}`). Code 'ERLANG_EXIT'. */
export class ErlangExit extends BeamwireError {
  override readonly name = 'ErlangExit';
  readonly code = 'ERLANG_EXIT';
  constructor(readonly reason: Term) {
    super(`exit ${format(reason)}`);
  }
}

/** Thrown by an exposed function: the Erlang caller gets `error(reason)` with this exact reason (and a one-frame stacktrace). Code 'ERLANG_ERROR'. */
export class ErlangError extends BeamwireError {
  override readonly name = 'ErlangError';
  readonly code = 'ERLANG_ERROR';
  constructor(readonly reason: Term) {
    super(`error ${format(reason)}`);
  }
}

/**
 * The `error` reason for a JavaScript exception from an exposed function:
 * `{beamwire_error, <<"Name: message">>}` (e.g. `{beamwire_error, <<"TypeError: x is not a function">>}`).
 */
export function jsErrorReason(e: unknown): Term {
  let text: string;
  try {
    text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  } catch {
    text = Object.prototype.toString.call(e);
  }
  return tuple(atom('beamwire_error'), text);
}
