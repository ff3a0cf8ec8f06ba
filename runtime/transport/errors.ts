import { BeamwireError } from '../wire/errors.js';

export type DialReason = 'refused' | 'timeout' | 'unreachable' | 'closed' | 'tls';

/**
 * A carrier could not open a stream to a node: `refused` (nothing listens),
 * `timeout` (no answer within the connect time), `unreachable` (no route,
 * no such host), `closed` (the peer hung up during set-up), `tls` (the TLS
 * handshake failed; `tlsCode` is Node's code, e.g. CERT_HAS_EXPIRED).
 * Code `DIAL_<REASON>`.
 */
export class DialError extends BeamwireError {
  override readonly name = 'DialError';
  readonly code: `DIAL_${Uppercase<DialReason>}`;
  constructor(
    readonly node: string,
    readonly reason: DialReason,
    message: string,
    override readonly cause?: unknown,
    readonly tlsCode?: string,
  ) {
    super(`cannot reach ${node}: ${message}`);
    this.code = `DIAL_${reason.toUpperCase() as Uppercase<DialReason>}`;
  }
}

/** What a socket error's code means for a dial. */
export function dialReason(e: unknown): DialReason {
  const code = (e as { code?: unknown })?.code;
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ETIMEDOUT') return 'timeout';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'closed';
  return 'unreachable';
}
