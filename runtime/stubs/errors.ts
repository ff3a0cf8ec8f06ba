/**
 * What a typed stub throws. A converter that meets a value of the wrong shape
 * throws a {@link Mismatch} with the path inside that value; the stub turns it
 * into the error of its side: {@link BadArgError} for arguments (ours going
 * out, or a peer's coming in), {@link BadResultError} for a result.
 */
import { format } from '../term/format.js';
import type { Term } from '../term/values.js';
import { BeamwireError } from '../wire/errors.js';

/** @internal A value that is not what its type says; `at` is the path inside it, innermost last. Code 'MISMATCH'. */
export class Mismatch extends BeamwireError {
  override readonly name = 'Mismatch';
  readonly code = 'MISMATCH';
  readonly at: (string | number)[] = [];
  constructor(
    readonly detail: string,
    readonly value: unknown,
  ) {
    super(detail);
  }
}

/** `['list', 3, 'name']` under `args[0]` → `args[0].list[3].name`. */
export function joinPath(root: string, at: readonly (string | number)[]): string {
  return root + at.map((s) => (typeof s === 'number' ? `[${s}]` : s.startsWith('#') ? `[${s.slice(1)}]` : `.${s}`)).join('');
}

/** The value as Erlang would print it, shortened for a message. */
export function show(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  try {
    return format(v as Term).slice(0, 80);
  } catch {
    return typeof v;
  }
}

const ORDINAL = (n: number): string => `${n}${n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th'}`;

/**
 * An argument of the wrong type: Erlang's `badarg`. `index` counts from 0
 * (the message says "1st argument", as erl_error does); `path` names the
 * place inside the argument (`args[1].items[3]`); `reason` says what was
 * expected there. Code 'BADARG'.
 */
export class BadArgError extends BeamwireError {
  override readonly name = 'BadArgError';
  readonly code = 'BADARG';
  constructor(
    /** `lists:seq/2`. */
    readonly mfa: string,
    readonly index: number,
    readonly path: string,
    readonly reason: string,
    readonly value: unknown,
  ) {
    super(`badarg: ${ORDINAL(index + 1)} argument of ${mfa}: ${path} ${reason} (got ${show(value)})`);
  }
}

/** A result that is not what the service schema promises; never a silent cast. Code 'BAD_RESULT'. */
export class BadResultError extends BeamwireError {
  override readonly name = 'BadResultError';
  readonly code = 'BAD_RESULT';
  constructor(
    readonly mfa: string,
    readonly path: string,
    readonly reason: string,
    readonly value: unknown,
  ) {
    super(`bad result from ${mfa}: ${path} ${reason} (got ${show(value)})`);
  }
}

/** An exposed module was called with an arity its schema does not declare: Erlang's `undef`. Code 'UNDEF'. */
export class UndefError extends BeamwireError {
  override readonly name = 'UndefError';
  readonly code = 'UNDEF';
  constructor(
    readonly module: string,
    readonly fun: string,
    readonly arity: number,
  ) {
    super(`undef: ${module}:${fun}/${arity} is not exposed`);
  }
}
