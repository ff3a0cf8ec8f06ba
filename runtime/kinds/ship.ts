/**
 * A closure cannot cross into a thread or another process, so a process
 * function travels as its source text and is compiled again there: it must
 * be self-contained (its parameter, its own locals and globals only). What
 * has no source, or whose source is not an expression, is refused here,
 * before any context is asked.
 */
import { KindError } from './errors.js';

export function sourceOf(fn: unknown, kind: string): string {
  if (typeof fn !== 'function') throw new KindError('NOT_SHIPPABLE', kind, `a process is a function, not ${fn === null ? 'null' : typeof fn}`);
  const source = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    throw new KindError('NOT_SHIPPABLE', kind, `${fn.name || 'the function'} is native or bound: it has no source to ship (write the function itself, self-contained)`);
  }
  if (/^class\b/.test(source)) throw new KindError('NOT_SHIPPABLE', kind, `${fn.name} is a class, not a process function`);
  try {
    // Compiled only, never run: that the text is a function expression on its own.
    new Function(`return (${source});`);
  } catch {
    throw new KindError('NOT_SHIPPABLE', kind, `the source of ${fn.name || 'the function'} is not a function expression (a method shorthand?): give an arrow or a function expression`);
  }
  return source;
}
