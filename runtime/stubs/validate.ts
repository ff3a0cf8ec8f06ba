/**
 * The converters as validators, for code that holds a term and a type from a
 * generated stub (`generated/services/os.ts` exports `timestamp`): decode or
 * refuse with a TermShapeError naming the place, encode, or just ask.
 */
import { TermShapeError } from '../term/shape.js';
import type { Term } from '../term/values.js';
import { joinPath, Mismatch } from './errors.js';
import type { Conv } from './scalars.js';

function named<T>(root: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof Mismatch) throw new TermShapeError(joinPath(root, e.at), e.detail, (e.value ?? []) as Term);
    throw e;
  }
}

/** The JS value of `t`, or TermShapeError (`path` such as `value[2].name`). */
export const decode = <T>(conv: Conv<T>, t: Term, root = 'value'): T => named(root, () => conv.fromTerm(t));

/** The term for `v`, or TermShapeError when `v` does not fit the type. */
export const encode = <T>(conv: Conv<T>, v: NoInfer<T>, root = 'value'): Term => named(root, () => conv.toTerm(v));

/** True when `t` decodes as the type. */
export function is<T>(conv: Conv<T>, t: Term): boolean {
  try {
    conv.fromTerm(t);
    return true;
  } catch (e) {
    if (e instanceof Mismatch) return false;
    throw e;
  }
}
