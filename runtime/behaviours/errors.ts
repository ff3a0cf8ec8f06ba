/**
 * What the behaviours fail with. Each keeps OTP's reason as a term, so code
 * that knows OTP can match on it: `StartError.reason` is what
 * gen_server:start_link/supervisor:start_link return in `{error, Reason}`,
 * `SupervisorError.reason` what supervisor:start_child/terminate_child/...
 * return in `{error, Reason}`, `TaskError.reason` what a Task exited with.
 */
import { format } from '../term/format.js';
import type { Term } from '../term/values.js';
import { BeamwireError } from '../wire/errors.js';

/** Why a start failed: init stopped or threw (START_FAILED), the name is taken (ALREADY_STARTED), init said `ignore` (IGNORED). */
export type StartErrorCode = 'START_FAILED' | 'ALREADY_STARTED' | 'IGNORED';

/** GenServer.start, Supervisor.start: the process did not start. `reason` is OTP's (`{already_started, Pid}`, `{shutdown, {failed_to_start_child, Id, R}}`, `ignore`, init's stop reason). */
export class StartError extends BeamwireError {
  override readonly name = 'StartError';
  constructor(
    readonly code: StartErrorCode,
    /** What was started: `GenServer Cache`, `supervisor app_sup`. */
    readonly what: string,
    readonly reason: Term,
    options?: { cause?: unknown },
  ) {
    super(`${what} did not start: ${format(reason)}`, options);
  }
}

/** supervisor's `{error, Reason}` answers, by name. */
export type SupervisorErrorCode =
  | 'NOT_FOUND'
  | 'RUNNING'
  | 'RESTARTING'
  | 'ALREADY_PRESENT'
  | 'ALREADY_STARTED'
  | 'SIMPLE_ONE_FOR_ONE'
  | 'BAD_SPEC'
  | 'START_FAILED';

/** A supervisor refused a request (startChild, terminateChild, restartChild, deleteChild) or a spec; `reason` is supervisor's `{error, Reason}` term. */
export class SupervisorError extends BeamwireError {
  override readonly name = 'SupervisorError';
  constructor(
    readonly code: SupervisorErrorCode,
    /** The request: `startChild(cache) on app_sup`. */
    readonly request: string,
    readonly reason: Term,
    options?: { cause?: unknown },
  ) {
    super(`${request}: ${format(reason)}`, options);
  }
}

/** A Task ended without a value (TASK_EXIT: `reason` is its exit reason) or did not end within Task.await's timeout (TASK_TIMEOUT: it was killed). */
export class TaskError extends BeamwireError {
  override readonly name = 'TaskError';
  constructor(
    readonly code: 'TASK_EXIT' | 'TASK_TIMEOUT',
    readonly reason: Term,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
