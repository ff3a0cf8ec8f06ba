import { BeamwireError } from '../wire/errors.js';

/** Why the certificate library refused. Stable: callers may switch on it. */
export type CaErrorCode =
  /** `node` is not `alive@host`. */
  | 'BAD_NODE'
  /** A PEM text that is not the certificate, key or request it should be. */
  | 'BAD_PEM'
  /** A key of a kind this library does not sign with, or one that does not match its certificate. */
  | 'BAD_KEY'
  /** A certificate request whose signature does not verify (no proof that the requester holds the key). */
  | 'BAD_CSR'
  /** `initCa` found a CA in the folder already: it never overwrites a CA key. */
  | 'EXISTS'
  /** No CA in the folder (`ca.pem` and `ca.key`). */
  | 'NO_CA'
  /** An option out of range (days, validity, an IP address). */
  | 'BAD_OPTION';

/** A certificate operation that cannot be done, and why (the file or the value it is about). */
export class CaError extends BeamwireError {
  override readonly name = 'CaError';
  constructor(
    readonly code: CaErrorCode,
    message: string,
  ) {
    super(message);
  }
}
