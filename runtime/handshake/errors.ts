/**
 * Why a handshake failed, named as OTP's dist_util names it: the step is the
 * function that gave up (`{recv_challenge_reply_failed, bad_cookie}` becomes
 * step 'recv_challenge_reply', reason 'bad_cookie').
 */
import { BeamwireError } from '../wire/errors.js';

export type HandshakeStep =
  // initiator (dist_util:handshake_we_started/1)
  | 'send_name'
  | 'recv_status'
  | 'recv_challenge'
  | 'send_challenge_reply'
  | 'recv_challenge_ack'
  // acceptor (dist_util:handshake_other_started/1)
  | 'recv_name'
  | 'send_status'
  | 'send_challenge'
  | 'recv_complement'
  | 'recv_challenge_reply'
  | 'send_challenge_ack'
  // the setup timer fired outside any step (e.g. while a callback was deciding)
  | 'setup_timeout';

export type HandshakeReason =
  /** The digest did not match: the two sides hold different cookies. */
  | 'bad_cookie'
  /** The acceptor answered 's'"not_allowed" (allow list or missing mandatory flags). */
  | 'not_allowed'
  /** Simultaneous connect: the other side keeps its own attempt. */
  | 'nok'
  /** The other side already has a live connection to this name and it stays. */
  | 'alive'
  /** A node name that is not `alive@host` (or, with NAME_ME, not a bare host). */
  | 'bad_name'
  /** The peer lacks flags its OTP level requires; `detail` lists them. */
  | 'missing_mandatory_flags'
  /** The setup timer (net_setuptime, 7 s) expired while waiting. */
  | 'timeout'
  /** The connection closed (or failed) under the step. */
  | 'closed'
  /** Bytes that do not form the message this step expects (tag, length, trailing bytes). */
  | 'malformed'
  /** The challenge names a node other than the one dialled. */
  | 'name_mismatch'
  /** A well-formed status this side cannot accept here (unknown text, or 'named:' without NAME_ME). */
  | 'unexpected_status';

/**
 * A handshake that failed: at which step, why, and with whom. Code
 * `HANDSHAKE_<REASON>` (`HANDSHAKE_BAD_COOKIE`, `HANDSHAKE_TIMEOUT`, ...): the
 * reason is what a caller acts on; the step says where, for the message.
 */
export class HandshakeError extends BeamwireError {
  override readonly name = 'HandshakeError';
  readonly code: `HANDSHAKE_${Uppercase<HandshakeReason>}`;
  constructor(
    readonly step: HandshakeStep,
    readonly reason: HandshakeReason,
    /** The other node's name as far as it is known (undefined before recv_name on the acceptor). */
    readonly peer: string | undefined,
    /** More about the cause: missing flag names, the decoder's message, the status received. */
    readonly detail?: string,
    options?: { cause?: unknown },
  ) {
    super(
      `handshake with ${peer ?? 'an unnamed peer'} failed at ${step}: ${reason}${detail === undefined ? '' : ` (${detail})`}`,
      options,
    );
    this.code = `HANDSHAKE_${reason.toUpperCase() as Uppercase<HandshakeReason>}`;
  }
}

/**
 * A transport that can no longer deliver: the socket closed, or the setup
 * timer fired. The state machines turn it into a HandshakeError at the step
 * that was waiting. Code 'TRANSPORT_CLOSED' or 'TRANSPORT_TIMEOUT'.
 */
export class TransportError extends BeamwireError {
  override readonly name = 'TransportError';
  readonly code: 'TRANSPORT_CLOSED' | 'TRANSPORT_TIMEOUT';
  constructor(
    readonly reason: 'closed' | 'timeout',
    message: string,
    /** The stream's own error, when one ended it (a TLS alert has Node's code, ERR_SSL_...). */
    override readonly cause?: unknown,
  ) {
    super(message);
    this.code = reason === 'closed' ? 'TRANSPORT_CLOSED' : 'TRANSPORT_TIMEOUT';
  }
}
