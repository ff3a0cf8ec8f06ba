/**
 * Term helpers shared by the test tiers.
 */
import { Fun, ImproperList, Tuple, type Term } from '../../runtime/index.js';

/**
 * True when `t` holds a map of two or more keys anywhere. Erlang writes map
 * keys in its own internal order, so such terms are compared by `=:=`, never
 * by bytes.
 */
export function hasMultiKeyMap(t: Term): boolean {
  if (t instanceof Map) return t.size > 1 || [...t].some(([k, v]) => hasMultiKeyMap(k) || hasMultiKeyMap(v));
  if (Array.isArray(t)) return t.some(hasMultiKeyMap);
  if (t instanceof Tuple) return t.elements.some(hasMultiKeyMap);
  if (t instanceof ImproperList) return t.elements.some(hasMultiKeyMap) || hasMultiKeyMap(t.tail);
  if (t instanceof Fun) return t.freeVars.some(hasMultiKeyMap);
  return false;
}
