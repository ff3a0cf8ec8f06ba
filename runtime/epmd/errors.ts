import { BeamwireError } from '../wire/errors.js';

/** Why an EPMD request failed. Stable: callers may switch on it. */
export type EpmdErrorCode =
  /** ALIVE2 answered with Result ≠ 0: the name is registered already (or epmd found it invalid). */
  | 'NAME_TAKEN'
  /** epmd closed the connection without answering (it does so for requests it will not serve, e.g. ALIVE2 from a non-local peer). */
  | 'REFUSED'
  /** No TCP connection to epmd (nothing listening, unreachable host). */
  | 'CONNECT_FAILED'
  /** The answer does not follow the protocol; `cause` holds the DecodeError when there is one. */
  | 'BAD_RESPONSE'
  /** No complete answer within the call's timeout. */
  | 'TIMEOUT'
  /** The call was aborted through its AbortSignal. */
  | 'ABORTED'
  /** An argument epmd would refuse (empty name, '@' in it, port out of range). */
  | 'BAD_ARGUMENT'
  /** The ALIVE2 connection of a registration closed: the node is no longer registered. */
  | 'LOST';

/** An EPMD request that failed, naming the epmd, the request and the reason. `code` is an {@link EpmdErrorCode}. */
export class EpmdError extends BeamwireError {
  override readonly name = 'EpmdError';
  constructor(
    readonly code: EpmdErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
