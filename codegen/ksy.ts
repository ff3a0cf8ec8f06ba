/**
 * The parts of a Kaitai Struct (.ksy) schema the TypeScript emitters read.
 * Validation against the meta-schema happens before (validate.ts); these
 * helpers only interpret.
 */
export interface KsyBeamwire {
  mode?: 'term' | 'struct';
  codec?: 'reference-only';
  build?: string;
  'decode-only'?: boolean;
  'size-of'?: 'rest';
  /** A tail term that may be this same type again: followed in a loop, appending to the repeated field. */
  chain?: boolean;
  text?: 'utf8' | 'latin1';
  intern?: boolean;
}

export interface KsyAttr {
  id: string;
  type?: string | { 'switch-on': string; cases: Record<string, string> };
  size?: number | string;
  'size-eos'?: boolean;
  contents?: (number | string)[] | string;
  repeat?: 'expr' | 'eos';
  'repeat-expr'?: number | string;
  enum?: string;
  encoding?: string;
  doc?: string;
  '-beamwire'?: KsyBeamwire;
}

export interface KsyType {
  doc?: string;
  'doc-ref'?: string;
  seq?: KsyAttr[];
  '-beamwire'?: KsyBeamwire;
}

export interface KsyFile extends KsyType {
  meta: { id: string; title?: string; endian?: string; '-beamwire'?: KsyBeamwire };
  types?: Record<string, KsyType>;
  enums?: Record<string, Record<string, string | { id: string; doc?: string }>>;
}

/** A parsed schema and the path it came from (for the DO-NOT-EDIT header and errors). */
export interface Schema {
  path: string;
  ksy: KsyFile;
}

const RESERVED = new Set(
  'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static await'.split(' '),
);

/** `old_index` → `oldIndex`; reserved words get a trailing underscore (`function_`). */
export const camel = (id: string): string => {
  const c = id.replace(/_([a-z0-9])/g, (_m, ch: string) => ch.toUpperCase());
  return RESERVED.has(c) ? `${c}_` : c;
};
export const pascal = (id: string): string => id.replace(/(?:^|_)([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
export const upper = (id: string): string => id.toUpperCase();

/** Bytes one value of a primitive takes; user types and terms take at least 1. */
export const PRIMITIVE_SIZE: Record<string, number> = { u1: 1, u2: 2, u4: 4, u8: 8, s1: 1, s2: 2, s4: 4, s8: 8, f4: 4, f8: 8 };

/** Enum members as [value, id], by value. */
export function enumMembers(e: Record<string, string | { id: string }>): [number, string][] {
  return Object.entries(e)
    .map(([k, v]): [number, string] => [Number(k), typeof v === 'string' ? v : v.id])
    .sort((a, b) => a[0] - b[0]);
}

/** A TS string literal with single quotes, independent of JSON.stringify's double quotes. */
export const lit = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;

/**
 * `repeat-expr` / `size` expressions the emitters accept: an earlier field,
 * an integer, or `field * k`. Returns the TS expression and, for encoding,
 * how to derive the field from the repeated value's length.
 */
export function parseCount(expr: number | string): { field?: string; factor: number; constant?: number } {
  if (typeof expr === 'number') return { constant: expr, factor: 1 };
  const m = /^([a-z][a-z0-9_]*)(?:\s*\*\s*(\d+))?$/.exec(expr.trim());
  if (!m) throw new Error(`unsupported expression '${expr}' (use a field, an integer or field * k)`);
  return { field: m[1]!, factor: m[2] ? Number(m[2]) : 1 };
}
