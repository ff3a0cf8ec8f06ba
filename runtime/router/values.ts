// PLACEHOLDER until helper A's values.ts lands: terms pass as they are.
import type { Term } from '../term/values.js';
export interface DecodeContext { readonly node?: unknown }
export function toTerm(value: unknown, _path?: string): Term {
  if (value === undefined) return [] as Term;
  return value as Term;
}
export function fromTerm(term: Term, _ctx?: DecodeContext): unknown {
  return term;
}
