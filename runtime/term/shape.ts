/**
 * Checks the generated term-shape parsers (generated/control.ts) apply to each
 * field: a control message from a peer is only trusted once every field has
 * the type its schema gives.
 */
import { Atom } from './atom.js';
import { format } from './format.js';
import { Pid, Reference, Tuple, type Term } from './values.js';
import { BeamwireError } from '../wire/errors.js';

/** A term that is not the tuple its schema describes; `path` names the message and field. Code 'BAD_SHAPE'. */
export class TermShapeError extends BeamwireError {
  override readonly name = 'TermShapeError';
  readonly code = 'BAD_SHAPE';
  constructor(
    readonly path: string,
    readonly detail: string,
    readonly value: Term,
  ) {
    super(`${path}: ${detail} (got ${format(value).slice(0, 80)})`);
  }
}

/** {Module, Function, Arity}. */
export interface Mfa {
  readonly module: Atom;
  readonly function: Atom;
  readonly arity: number;
}

const TRUE = Atom.of('true');
const FALSE = Atom.of('false');

export function pid(t: Term | undefined, path: string): Pid {
  if (t instanceof Pid) return t;
  throw new TermShapeError(path, 'must be a pid', t ?? []);
}

/** Atoms true/false decode as booleans; as names they are atoms again. */
export function atom(t: Term | undefined, path: string): Atom {
  if (t instanceof Atom) return t;
  if (typeof t === 'boolean') return t ? TRUE : FALSE;
  throw new TermShapeError(path, 'must be an atom', t ?? []);
}

export function reference(t: Term | undefined, path: string): Reference {
  if (t instanceof Reference) return t;
  throw new TermShapeError(path, 'must be a reference', t ?? []);
}

export function integer(t: Term | undefined, path: string): number | bigint {
  if (typeof t === 'bigint' || (typeof t === 'number' && Number.isInteger(t))) return t;
  throw new TermShapeError(path, 'must be an integer', t ?? []);
}

export function term(t: Term | undefined, path: string): Term {
  if (t === undefined) throw new TermShapeError(path, 'is missing', []);
  return t;
}

/** A process: a pid, or the registered name it was addressed by. */
export function proc(t: Term | undefined, path: string): Pid | Atom {
  if (t instanceof Pid) return t;
  if (t instanceof Atom || typeof t === 'boolean') return atom(t, path);
  throw new TermShapeError(path, 'must be a pid or an atom', t ?? []);
}

export function list(t: Term | undefined, path: string): Term[] {
  if (Array.isArray(t)) return t;
  throw new TermShapeError(path, 'must be a proper list', t ?? []);
}

export function mfa(t: Term | undefined, path: string): Mfa {
  if (!(t instanceof Tuple) || t.size !== 3) throw new TermShapeError(path, 'must be {Module, Function, Arity}', t ?? []);
  const arity = integer(t.elements[2], `${path}.arity`);
  if (typeof arity !== 'number' || arity < 0 || arity > 255) throw new TermShapeError(`${path}.arity`, 'must be 0..255', t);
  return { module: atom(t.elements[0], `${path}.module`), function: atom(t.elements[1], `${path}.function`), arity };
}

export const mfaTuple = (m: Mfa): Tuple => new Tuple([m.module, m.function, m.arity]);

/** The tuple of a message, with the arity its schema gives. */
export function tupleOf(t: Term, arity: number, path: string): readonly Term[] {
  if (!(t instanceof Tuple)) throw new TermShapeError(path, 'must be a tuple', t);
  if (t.size !== arity) throw new TermShapeError(path, `must be a tuple of ${arity} elements`, t);
  return t.elements;
}
