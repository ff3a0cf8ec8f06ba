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
export class DecodeError extends Error {
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
export class EncodeError extends Error {
  override readonly name = 'EncodeError';
  constructor(
    readonly code: EncodeErrorCode,
    readonly path: string,
    readonly detail: string,
  ) {
    super(`cannot encode ${path || 'term'}: ${detail} (${code})`);
  }
}
