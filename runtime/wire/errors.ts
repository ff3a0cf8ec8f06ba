/**
 * The base of every error beamwire throws or rejects with: a stable `name`
 * (the class) and `code` (what went wrong, stable across releases: switch on
 * it). Lives in the lowest layer so that every layer's errors can extend it.
 * A brand rather than `instanceof` identifies them, so two copies of the
 * package (an ESM and a CommonJS import, a bundled and an installed one)
 * still recognise each other's errors.
 */
const BRAND = Symbol.for('beamwire.error');

export abstract class BeamwireError extends Error {
  abstract override readonly name: string;
  abstract readonly code: string;
}
// On the prototype, not enumerable: printed errors show no brand.
Object.defineProperty(BeamwireError.prototype, BRAND, { value: true });

/** Whether `e` is one of beamwire's errors (any class; with `code`, that code only). */
export function isBeamwireError(e: unknown, code?: string): e is BeamwireError {
  if (typeof e !== 'object' || e === null || (e as { [BRAND]?: unknown })[BRAND] !== true) return false;
  return code === undefined || (e as BeamwireError).code === code;
}

/** Why a decoder refused its input. Stable: callers may switch on it. */
export type DecodeErrorCode =
  | 'TRUNCATED'
  | 'TRAILING_BYTES'
  | 'BAD_VERSION'
  | 'BAD_TAG'
  | 'BAD_UTF8'
  | 'BAD_LATIN1_ATOM'
  | 'ATOM_TOO_LONG'
  | 'BAD_BIT_COUNT'
  | 'BAD_SIGN'
  | 'BAD_FLOAT'
  | 'BAD_LENGTH'
  | 'BAD_SIZE_FIELD'
  | 'BAD_NODE'
  | 'DUPLICATE_MAP_KEY'
  | 'DEPTH_LIMIT'
  | 'SIZE_LIMIT'
  | 'INFLATE_LIMIT'
  | 'INFLATE_FAILED'
  | 'ATOM_CACHE_REF'
  | 'LOCAL_EXT_NESTED'
  | 'BAD_VALUE';

/** Malformed or hostile input, and where in it. The only error a decoder throws. */
export class DecodeError extends BeamwireError {
  override readonly name = 'DecodeError';
  constructor(
    readonly code: DecodeErrorCode,
    /** Byte offset into the input (into the inflated data for compressed terms). */
    readonly offset: number,
    readonly detail: string,
    /** The schema path being decoded, when a generated message decoder threw. */
    readonly path?: string,
  ) {
    super(`cannot decode${path ? ` ${path}` : ''}: ${detail} at byte ${offset} (${code})`);
  }
}

export type EncodeErrorCode = 'UNSUPPORTED_VALUE' | 'BAD_FLOAT' | 'BAD_VALUE' | 'TOO_LARGE' | 'DEPTH_LIMIT';

/** A value that has no Erlang term, with the path to it (`[2].key`). */
export class EncodeError extends BeamwireError {
  override readonly name = 'EncodeError';
  constructor(
    readonly code: EncodeErrorCode,
    readonly path: string,
    readonly detail: string,
  ) {
    super(`cannot encode ${path || 'term'}: ${detail} (${code})`);
  }
}
