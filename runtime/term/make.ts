import { Float, ImproperList, Tuple, type Term } from './values.js';

/** `tuple(ok, 1)` is `{ok, 1}`. */
export const tuple = <T extends Term[]>(...elements: T): Tuple<T> => new Tuple(elements);

/** An Erlang float even when the value is integral: `float(1)` is `1.0`. */
export const float = (value: number): Float => new Float(value);

/** `[...elements | tail]`; a proper list when `tail` is `[]`. */
export function improperList(elements: Term[], tail: Term): Term[] | ImproperList {
  if (Array.isArray(tail)) return [...elements, ...tail];
  if (elements.length === 0) throw new RangeError('an improper list needs at least one element');
  return new ImproperList(elements, tail);
}
