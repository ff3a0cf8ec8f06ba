import { BeamwireError } from '../wire/errors.js';

export type LatencyErrorReason =
  /** No connection to the peer could be made (`cause` says why: a HandshakeError, an EpmdError, ...). */
  | 'unreachable'
  /** Connected, but the peer's net_kernel did not answer a probe in time, or the connection went down under it. */
  | 'no_answer'
  /** A node cannot probe itself. */
  | 'self';

/** `node.latency(peer)` could not measure: code `LATENCY_UNREACHABLE`, `LATENCY_NO_ANSWER` or `LATENCY_SELF`. */
export class LatencyError extends BeamwireError {
  override readonly name = 'LatencyError';
  readonly code: `LATENCY_${Uppercase<LatencyErrorReason>}`;
  constructor(
    readonly reason: LatencyErrorReason,
    readonly peer: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot measure the latency to ${peer}: ${message}`, options);
    this.code = `LATENCY_${reason.toUpperCase() as Uppercase<LatencyErrorReason>}`;
  }
}

/** A node EPMD listed did not connect within `node.discover`'s time for its host: code `DISCOVER_TIMEOUT` (an `unreachable` entry's error). */
export class DiscoverTimeout extends BeamwireError {
  override readonly name = 'DiscoverTimeout';
  readonly code = 'DISCOVER_TIMEOUT';
  constructor(
    readonly node: string,
    readonly ms: number,
  ) {
    super(`no connection to ${node} within ${ms} ms (node.discover's time for its host)`);
  }
}
