/** Why a process of another kind could not be spawned. */
import { BeamwireError } from '../wire/errors.js';

export type KindErrorCode =
  /** The function has no source to ship (native, bound, a class, a method shorthand). */
  | 'NOT_SHIPPABLE'
  /** Spawned from inside a context (its runtime is a bundle, with no module to ship): spawn from the root. */
  | 'UNAVAILABLE';

export class KindError extends BeamwireError {
  override readonly name = 'KindError';
  constructor(
    readonly code: KindErrorCode,
    /** The kind asked for. */
    readonly kind: string,
    detail: string,
  ) {
    super(`cannot spawn a '${kind}' process: ${detail}`);
  }
}
