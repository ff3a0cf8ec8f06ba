import type { Pid, Term } from '../term/values.js';
import { format } from '../term/format.js';
import { BeamwireError } from '../wire/errors.js';

/** Why a process operation was refused. Stable: callers may switch on it. */
export type ProcessErrorCode =
  /** What Erlang reports as `badarg`: a taken name, a dead pid, an unknown name. */
  | 'BADARG'
  /** The target is on another node and no remote layer is attached. */
  | 'NO_REMOTE'
  /** A second `receive` while one is still waiting: a process receives one message at a time. */
  | 'CONCURRENT_RECEIVE'
  /** Every pid of this node's pid space is in use. */
  | 'SYSTEM_LIMIT';

/** A refused process operation, saying which operation, on what, and why. `code` is a {@link ProcessErrorCode}. */
export class ProcessError extends BeamwireError {
  override readonly name = 'ProcessError';
  constructor(
    readonly code: ProcessErrorCode,
    /** The operation, as Erlang names it: `register`, `send`, `link`, … */
    readonly operation: string,
    readonly detail: string,
  ) {
    super(`${operation}: ${detail} (${code})`);
  }
}

/**
 * Ends the process that throws it with `reason` (see {@link exit}); also what
 * a process's pending `receive` and later calls reject with once the process
 * has been ended from outside (killed, or by a linked process's exit).
 * Code 'PROCESS_EXIT'; the exit reason is `reason`.
 */
export class ProcessExit extends BeamwireError {
  override readonly name = 'ProcessExit';
  readonly code = 'PROCESS_EXIT';
  constructor(
    readonly reason: Term,
    readonly pid?: Pid,
  ) {
    super();
  }

  /** Built when read: an exit reason can be a large term (an RPC result), and most exits are never printed. */
  override get message(): string {
    return `${this.pid === undefined ? 'process' : `process ${this.pid.toString()}`} exited: ${format(this.reason).slice(0, 2000)}`;
  }

  /**
   * The error a process ended from outside is woken with. Without a stack:
   * it would show the killer's stack, not the victim's, and capturing one
   * costs more than the rest of the exit (a cascade of thousands of links).
   */
  static ended(reason: Term, pid: Pid): ProcessExit {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return new ProcessExit(reason, pid);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}

/** A `receive` with a `timeout` and no `after` clause found no matching message in time. Code 'RECEIVE_TIMEOUT'. */
export class ReceiveTimeout extends BeamwireError {
  override readonly name = 'ReceiveTimeout';
  readonly code = 'RECEIVE_TIMEOUT';
  constructor(
    readonly pid: Pid,
    readonly timeout: number,
    /** Messages left in the mailbox, none of which matched. */
    readonly pending: number,
  ) {
    super(`receive in ${pid.toString()}: no matching message within ${timeout} ms (${pending} unmatched in the mailbox)`);
  }
}

/** `exit(reason)` inside a process: ends it with `reason`, any term (Erlang's `exit/1`). */
export function exit(reason: Term): never {
  throw new ProcessExit(reason);
}
