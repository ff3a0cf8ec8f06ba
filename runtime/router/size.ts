/**
 * A term's encoded size, nearly: binaries and strings exactly, every other
 * node as a few bytes. Cheap enough to check each call against the
 * router's maximum message size without encoding twice.
 */
import { Tuple, type Term } from '../term/values.js';

export function approxSize(t: Term, limit: number): number {
  let total = 0;
  const stack: Term[] = [t];
  while (stack.length > 0 && total <= limit) {
    const v = stack.pop()!;
    total += 9;
    if (v instanceof Uint8Array) total += v.byteLength;
    else if (typeof v === 'string') total += Buffer.byteLength(v);
    else if (Array.isArray(v)) for (const e of v) stack.push(e);
    else if (v instanceof Tuple) for (const e of v.elements) stack.push(e);
    else if (v instanceof Map) for (const [k, e] of v) stack.push(k, e);
    else if (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype) for (const [k, e] of Object.entries(v)) total += k.length, stack.push(e as Term);
  }
  return total;
}
