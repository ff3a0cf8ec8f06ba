/**
 * The router's own errors: a context that would not start (StreamError),
 * and a call that failed inside a context (CallError). ChannelError and
 * TimeoutError (messages that could not be delivered, waits that ran out)
 * are in channel-errors.ts.
 */
import { BeamwireError } from '../wire/errors.js';

/** Why a context did not start. */
export type StreamErrorReason =
  /** The command could not be run at all (no `ssh`, a spawn error). */
  | 'spawn'
  /** The shell found no `node` (exit status 127). */
  | 'no_node'
  /** The remote Node is older than this package supports. */
  | 'version'
  /** ssh could not connect or log in (exit status 255). */
  | 'ssh'
  /** The child exited before it was ready. */
  | 'exited'
  /** Not ready within the connect timeout. */
  | 'timeout'
  /** The child printed something that is not the protocol where a marker was due, or the handshake failed. */
  | 'protocol';

/** A context failed to start; `output` is what the child (or ssh) printed, the last 4 KiB of it. */
export class StreamError extends BeamwireError {
  override readonly name = 'StreamError';
  readonly code: `STREAM_${Uppercase<StreamErrorReason>}`;

  constructor(
    readonly reason: StreamErrorReason,
    /** The context's name. */
    readonly context: string,
    detail: string,
    readonly output: string = '',
    options?: { cause?: unknown },
  ) {
    const printed = output.trim() === '' ? '' : `; it printed:\n${output.trimEnd()}`;
    super(`context ${context} did not start: ${detail}${printed}`, options);
    this.code = `STREAM_${reason.toUpperCase() as Uppercase<StreamErrorReason>}`;
  }
}

/**
 * A function called in a context threw: `remoteName`, `message` and
 * `remoteStack` are the remote error's own; `context` says where it ran.
 * The remote error itself (as the values mapping rebuilds it) is `cause`.
 */
export class CallError extends BeamwireError {
  override readonly name = 'CallError';
  /**
   * 'CALL_ERROR' for an error the called function threw; a refusal says
   * why: 'NOT_ALLOWED' (a proxy's path that `allow` does not name),
   * 'NO_SUCH_REF', 'NO_SUCH_NAME', 'BAD_REQUEST' (runtime/proxy/).
   */
  readonly code: string;

  constructor(
    readonly context: string,
    /** `module.function`, as called. */
    readonly target: string,
    readonly remoteName: string,
    readonly remoteMessage: string,
    readonly remoteStack: string | undefined,
    options?: { cause?: unknown; code?: string; where?: string; message?: string },
  ) {
    super(options?.message ?? `${target} ${options?.where ?? `in context ${context}`} threw ${remoteName}: ${remoteMessage}`, options);
    this.code = options?.code ?? 'CALL_ERROR';
    if (remoteStack !== undefined) this.stack = `${this.name}: ${this.message}\n    --- in context ${context} ---\n${remoteStack}`;
  }
}
