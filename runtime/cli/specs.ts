/**
 * `beamwire stubs`: from a module's exports and its abstract forms (the
 * -spec, -type and -record attributes, read from debug_info or from the
 * EEP-48 docs chunk) to a service schema in the vocabulary of
 * schemas/service.schema.json, written as YAML. An Erlang type the
 * vocabulary cannot say becomes `term` and the line gets a comment naming
 * the Erlang type; a function without a -spec takes and returns terms.
 * Everything here works on terms as they come over the wire: nothing in a
 * form can make it throw (odd shapes become `term` with a comment).
 */
import { Atom } from '../term/atom.js';
import { format } from '../term/format.js';
import { Tuple, type Term } from '../term/values.js';
import { RESERVED_WORDS, STRICT_RESERVED, STUB_PARAMS, stubNames, TAKEN_TYPES } from '../stubs/index.js';

/** schemas/service.schema.json's $defs/type (codegen/services.ts has the same, for the generator). */
export type SchemaType =
  | 'atom' | 'integer' | 'bigint' | 'float' | 'number' | 'boolean' | 'binary' | 'bytes' | 'charlist' | 'pid' | 'reference' | 'term'
  | { atoms: string[] }
  | { list: SchemaType }
  | { tuple: SchemaType[] }
  | { map: SchemaField[] }
  | { map_of: [SchemaType, SchemaType] }
  | { record: { name: string; fields: SchemaField[] } }
  | { ref: string };

export interface SchemaField {
  name: string;
  type: SchemaType;
  optional?: boolean;
}

/** One exported function, typed. `notes` say which Erlang types became `term`. */
export interface StubFunction {
  name: string;
  arity: number;
  ts?: string;
  doc: string;
  args: { name: string; type: SchemaType; notes: string[] }[];
  result: SchemaType;
  resultNotes: string[];
  hasSpec: boolean;
}

export interface StubModule {
  module: string;
  /** The stub object's TS name, when camelCase(module) is not an identifier (Elixir modules). */
  ts?: string;
  doc: string;
  types: Map<string, { doc: string; type: SchemaType; notes: string[] }>;
  functions: StubFunction[];
  /** Exports left out (a name the schema cannot hold), with why. */
  skipped: string[];
}

const ID = /^[a-z][a-z0-9_]*$/;
/** schemas/service.schema.json: a function name (Elixir's valid? and reset! too), a module name (Elixir's too). */
const FUNCTION_NAME = /^[a-z][A-Za-z0-9_@]*[?!]?$/;
export const MODULE_NAME = /^[A-Za-z][A-Za-z0-9_.@]*$/;
const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const MAX_DEPTH = 64;

// -- reading forms --------------------------------------------------------------

const tagOf = (t: Term): string | undefined => (t instanceof Tuple && t.elements[0] instanceof Atom ? t.elements[0].name : undefined);
const el = (t: Term, i: number): Term | undefined => (t instanceof Tuple ? t.elements[i] : undefined);
/** An atom's name; the term model reads true and false as booleans. */
const nameOf = (t: Term | undefined): string | undefined => (t instanceof Atom ? t.name : typeof t === 'boolean' ? String(t) : undefined);
const listOf = (t: Term | undefined): Term[] => (Array.isArray(t) ? t : []);
const intOf = (t: Term | undefined): bigint | undefined => (typeof t === 'number' && Number.isInteger(t) ? BigInt(t) : typeof t === 'bigint' ? t : undefined);

export interface Forms {
  specs: Map<string, Term[]>;
  types: Map<string, { params: Term[]; def: Term; opaque: boolean }>;
  records: Map<string, Term[]>;
}

/** The -spec, -type/-opaque and -record attributes among `forms` (erl_parse abstract format). */
export function collectForms(forms: readonly Term[]): Forms {
  const out: Forms = { specs: new Map(), types: new Map(), records: new Map() };
  for (const f of forms) {
    if (tagOf(f) !== 'attribute') continue;
    const kind = nameOf(el(f, 2));
    const body = el(f, 3);
    if (kind === 'spec' && body instanceof Tuple) {
      const key = body.elements[0];
      if (!(key instanceof Tuple)) continue;
      // {F, A} or {M, F, A}
      const [fn, ar] = key.elements.length === 3 ? [key.elements[1], key.elements[2]] : [key.elements[0], key.elements[1]];
      const name = nameOf(fn);
      if (name !== undefined && typeof ar === 'number') out.specs.set(`${name}/${ar}`, listOf(body.elements[1]));
    } else if ((kind === 'type' || kind === 'opaque') && body instanceof Tuple) {
      const name = nameOf(body.elements[0]);
      const params = listOf(body.elements[2]);
      if (name !== undefined && body.elements[1] !== undefined) out.types.set(`${name}/${params.length}`, { params, def: body.elements[1], opaque: kind === 'opaque' });
    } else if (kind === 'record' && body instanceof Tuple) {
      const name = nameOf(body.elements[0]);
      if (name !== undefined) out.records.set(name, listOf(body.elements[1]));
    }
  }
  return out;
}

// -- printing Erlang types (for docs and comments) -------------------------------

const quoteAtom = (n: string): string => (/^[a-z][A-Za-z0-9_@]*$/.test(n) ? n : `'${n.replace(/[\\']/g, '\\$&')}'`);

/** An abstract type as Erlang source, near enough for a comment. */
export function printType(t: Term | undefined, depth = 0): string {
  if (t === undefined) return '?';
  if (depth > MAX_DEPTH) return '...';
  const p = (x: Term | undefined): string => printType(x, depth + 1);
  const args = (x: Term | undefined): string => listOf(x).map(p).join(', ');
  switch (tagOf(t)) {
    case 'atom':
      return quoteAtom(nameOf(el(t, 2)) ?? '?');
    case 'integer':
    case 'char':
      return String(el(t, 2));
    case 'var':
      return nameOf(el(t, 2)) ?? '_';
    case 'ann_type':
      return `${p(listOf(el(t, 2))[0])} :: ${p(listOf(el(t, 2))[1])}`;
    case 'paren_type':
      return `(${p(listOf(el(t, 2))[0])})`;
    case 'op':
      return el(t, 4) === undefined ? `${nameOf(el(t, 2))}${p(el(t, 3))}` : `${p(el(t, 3))} ${nameOf(el(t, 2))} ${p(el(t, 4))}`;
    case 'user_type':
      return `${nameOf(el(t, 2))}(${args(el(t, 3))})`;
    case 'remote_type': {
      const [m, n, a] = listOf(el(t, 2));
      return `${nameOf(el(m ?? [], 2))}:${nameOf(el(n ?? [], 2))}(${args(a)})`;
    }
    case 'type': {
      const name = nameOf(el(t, 2)) ?? '?';
      const a = el(t, 3);
      const as = listOf(a);
      switch (name) {
        case 'union':
          return as.map(p).join(' | ');
        case 'tuple':
          return a instanceof Atom ? 'tuple()' : `{${args(a)}}`;
        case 'map':
          return a instanceof Atom ? 'map()' : `#{${as.map((f) => `${p(listOf(el(f, 3))[0])} ${nameOf(el(f, 2)) === 'map_field_exact' ? ':=' : '=>'} ${p(listOf(el(f, 3))[1])}`).join(', ')}}`;
        case 'range':
          return `${p(as[0])}..${p(as[1])}`;
        case 'nil':
          return '[]';
        case 'list':
          return as.length === 1 ? `[${p(as[0])}]` : 'list()';
        case 'nonempty_list':
          return as.length === 1 ? `[${p(as[0])}, ...]` : 'nonempty_list()';
        case 'binary': {
          if (as.length === 0) return 'binary()';
          const [m, n] = as.map((x) => intOf(el(x, 2)));
          if (m === 0n && n === 0n) return '<<>>';
          if (n === 0n) return `<<_:${m}>>`;
          if (m === 0n) return `<<_:_*${n}>>`;
          return `<<_:${m}, _:_*${n}>>`;
        }
        case 'fun':
          if (as.length === 0) return 'fun()';
          return `fun(${tagOf(as[0]!) === 'type' && nameOf(el(as[0]!, 2)) === 'any' ? '...' : `(${args(el(as[0]!, 3))})`} -> ${p(as[1])})`;
        case 'product':
          return `(${args(a)})`;
        case 'bounded_fun': {
          const [fn, cs] = as;
          const when = listOf(cs).map((c) => {
            const [v, ty] = listOf(listOf(el(c, 3))[1]);
            return `${p(v)} :: ${p(ty)}`;
          });
          return `${printFunType(fn, depth + 1)} when ${when.join(', ')}`;
        }
        case 'record':
          return `#${nameOf(el(as[0] ?? [], 2))}{}`;
        default:
          return `${name}(${args(a)})`;
      }
    }
    default:
      return format(t);
  }
}

/** `(A, B) -> R` of a fun type (or a bounded one). */
function printFunType(t: Term | undefined, depth = 0): string {
  if (tagOf(t ?? []) === 'type' && nameOf(el(t!, 2)) === 'bounded_fun') return printType(t, depth);
  const [product, result] = listOf(el(t ?? [], 3));
  return `(${listOf(el(product ?? [], 3)).map((x) => printType(x, depth + 1)).join(', ')}) -> ${printType(result, depth + 1)}`;
}

// -- mapping types ------------------------------------------------------------------

class Mapper {
  readonly named = new Map<string, { doc: string; type: SchemaType; notes: string[] }>();
  /** Erlang type name/arity → the schema name it got. */
  private readonly names = new Map<string, string>();
  private readonly stack = new Set<string>();

  constructor(
    private readonly forms: Forms,
    private readonly module: string,
    /** The stub object's TS name (its Server interface is Pascal of it). */
    private readonly stubName: string,
  ) {}

  /** `t` as a schema type; what became `term` is named in `notes`. `env` binds type variables. */
  map(t: Term | undefined, env: ReadonlyMap<string, Term>, notes: string[], depth = 0): SchemaType {
    const unmapped = (why = ''): SchemaType => {
      notes.push(`${printType(t)}${why}`);
      return 'term';
    };
    if (t === undefined || depth > MAX_DEPTH) return unmapped(' (too deep)');
    const d = depth + 1;
    switch (tagOf(t)) {
      case 'atom': {
        const a = nameOf(el(t, 2));
        return a === undefined ? unmapped() : { atoms: [a] };
      }
      case 'integer':
      case 'char':
        return intOf(el(t, 2)) !== undefined && !safe(intOf(el(t, 2))!) ? 'bigint' : 'integer';
      case 'op':
        return evalInt(t) !== undefined ? (safe(evalInt(t)!) ? 'integer' : 'bigint') : unmapped();
      case 'var': {
        const v = nameOf(el(t, 2));
        if (v === undefined || v === '_') return 'term';
        const bound = env.get(v);
        if (bound === undefined) return 'term'; // an unconstrained type variable is any term
        const inner = new Map(env);
        inner.delete(v); // `X :: [X]` would loop
        return this.map(bound, inner, notes, d);
      }
      case 'ann_type':
        return this.map(listOf(el(t, 2))[1], env, notes, d);
      case 'paren_type':
        return this.map(listOf(el(t, 2))[0], env, notes, d);
      case 'remote_type': {
        const [m, n, a] = listOf(el(t, 2));
        const mod = nameOf(el(m ?? [], 2));
        const name = nameOf(el(n ?? [], 2));
        if (mod === this.module && name !== undefined) return this.userType(t, name, listOf(a), env, notes, d);
        const known = REMOTE[`${mod}:${name}/${listOf(a).length}`];
        return known ?? unmapped(' (a type of another module)');
      }
      case 'user_type': {
        const name = nameOf(el(t, 2));
        return name === undefined ? unmapped() : this.userType(t, name, listOf(el(t, 3)), env, notes, d);
      }
      case 'type':
        return this.builtin(t, nameOf(el(t, 2)) ?? '', el(t, 3), env, notes, d, unmapped);
      default:
        return unmapped();
    }
  }

  private builtin(t: Term, name: string, a: Term | undefined, env: ReadonlyMap<string, Term>, notes: string[], d: number, unmapped: (why?: string) => SchemaType): SchemaType {
    const as = listOf(a);
    switch (name) {
      case 'any':
      case 'term':
      case 'dynamic':
        return 'term';
      case 'atom':
      case 'module':
      case 'node':
        return 'atom';
      case 'integer':
      case 'non_neg_integer':
      case 'pos_integer':
      case 'neg_integer':
      case 'char':
      case 'byte':
      case 'arity':
        return 'integer';
      case 'range': {
        const [lo, hi] = as.map(evalInt);
        return (lo !== undefined && !safe(lo)) || (hi !== undefined && !safe(hi)) ? 'bigint' : 'integer';
      }
      case 'float':
        return 'float';
      case 'number':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'binary': {
        if (as.length === 0) return 'binary';
        const [m, n] = as.map((x) => intOf(el(x, 2)));
        if (m === 0n && (n === 8n || n === 0n)) return 'binary'; // binary(), <<>>
        if (m !== undefined && m % 8n === 0n && (n === 0n || n === 8n)) return 'bytes'; // <<_:64>>, <<_:8, _:_*8>>
        return unmapped(' (a bitstring)');
      }
      case 'nonempty_binary':
        return 'binary';
      case 'string':
      case 'nonempty_string':
        return 'charlist';
      case 'pid':
        return 'pid';
      case 'reference':
        return 'reference';
      case 'nil':
        return { list: 'term' };
      case 'list':
      case 'nonempty_list':
        return { list: as.length === 1 ? this.map(as[0], env, notes, d) : 'term' };
      case 'tuple':
        if (a instanceof Atom) return unmapped(' (a tuple of any size)');
        return { tuple: as.map((x) => this.map(x, env, notes, d)) };
      case 'mfa':
        return { tuple: ['atom', 'atom', 'integer'] };
      case 'map':
        return a instanceof Atom ? { map_of: ['term', 'term'] } : this.mapShape(t, as, env, notes, d, unmapped);
      case 'record':
        return this.record(t, as, env, notes, d, unmapped);
      case 'union':
        return this.union(t, as, env, notes, d);
      default:
        return unmapped();
    }
  }

  private mapShape(_t: Term, fields: Term[], env: ReadonlyMap<string, Term>, notes: string[], d: number, unmapped: (why?: string) => SchemaType): SchemaType {
    const keys = fields.map((f) => {
      const [k] = listOf(el(f, 3));
      return tagOf(k ?? []) === 'atom' ? nameOf(el(k!, 2)) : undefined;
    });
    if (fields.length > 0 && keys.every((k) => k !== undefined && ID.test(k)) && new Set(keys).size === keys.length) {
      return {
        map: fields.map((f, i) => {
          const field: SchemaField = { name: keys[i]!, type: this.map(listOf(el(f, 3))[1], env, notes, d) };
          if (nameOf(el(f, 2)) === 'map_field_assoc') field.optional = true;
          return field;
        }),
      };
    }
    if (fields.length === 0) return { map: [] };
    if (fields.length === 1 && nameOf(el(fields[0]!, 2)) === 'map_field_assoc') {
      const [k, v] = listOf(el(fields[0]!, 3));
      return { map_of: [this.map(k, env, notes, d), this.map(v, env, notes, d)] };
    }
    return unmapped(' (a map with keys other than atoms)');
  }

  private record(_t: Term, as: Term[], env: ReadonlyMap<string, Term>, notes: string[], d: number, unmapped: (why?: string) => SchemaType): SchemaType {
    const name = nameOf(el(as[0] ?? [], 2));
    const def = name === undefined ? undefined : this.forms.records.get(name);
    if (name === undefined || def === undefined) return unmapped(' (its -record is not in the forms read)');
    const overrides = new Map<string, Term>();
    for (const o of as.slice(1)) {
      const [f, ty] = listOf(el(o, 3));
      const n = nameOf(el(f ?? [], 2));
      if (n !== undefined && ty !== undefined) overrides.set(n, ty);
    }
    const fields: SchemaField[] = [];
    for (const f of def) {
      const typed = tagOf(f) === 'typed_record_field';
      const rf = typed ? el(f, 1) : f;
      const fname = nameOf(el(el(rf ?? [], 2) ?? [], 2));
      if (fname === undefined || !ID.test(fname)) return unmapped(` (field ${fname ?? '?'} is not a schema id)`);
      const ty = overrides.get(fname) ?? (typed ? el(f, 2) : undefined);
      fields.push({ name: fname, type: ty === undefined ? 'term' : this.map(ty, env, notes, d) });
    }
    return { record: { name, fields } };
  }

  private union(t: Term, members: Term[], env: ReadonlyMap<string, Term>, notes: string[], d: number): SchemaType {
    const scratch: string[] = [];
    const mapped = members.map((m) => this.map(m, env, scratch, d));
    const combined = combine(mapped.map((m) => this.deref(m)));
    if (combined !== undefined) {
      notes.push(...scratch);
      return combined;
    }
    const first = JSON.stringify(mapped[0]);
    if (mapped.every((m) => JSON.stringify(m) === first)) {
      notes.push(...scratch);
      return mapped[0]!;
    }
    notes.push(printType(t));
    return 'term';
  }

  /** A named type's definition, for combining unions. */
  private deref(t: SchemaType): SchemaType {
    for (let i = 0; i < 16 && typeof t === 'object' && 'ref' in t; i++) t = this.named.get(t.ref)?.type ?? 'term';
    return t;
  }

  private userType(t: Term, name: string, args: Term[], env: ReadonlyMap<string, Term>, notes: string[], d: number): SchemaType {
    const key = `${name}/${args.length}`;
    const def = this.forms.types.get(key);
    if (def === undefined) {
      notes.push(`${printType(t)} (no -type for it in the forms read)`);
      return 'term';
    }
    if (def.opaque) {
      notes.push(`${printType(t)} (opaque)`);
      return 'term';
    }
    if (this.stack.has(key)) {
      notes.push(`${printType(t)} (recursive)`);
      return 'term';
    }
    if (args.length > 0) {
      // A parameterised type: its definition with the arguments put in (mapped in the caller's environment).
      const inner = new Map<string, Term>();
      def.params.forEach((p, i) => {
        const v = nameOf(el(p, 2));
        if (v !== undefined && args[i] !== undefined) inner.set(v, substitute(args[i]!, env));
      });
      this.stack.add(key);
      try {
        return this.map(def.def, inner, notes, d);
      } finally {
        this.stack.delete(key);
      }
    }
    const known = this.names.get(key);
    if (known !== undefined) {
      if (this.named.get(known)!.notes.length) notes.push(`${printType(t)}: see type ${known}`);
      return { ref: known };
    }
    this.stack.add(key);
    const own: string[] = [];
    let type: SchemaType;
    try {
      type = this.map(def.def, new Map(), own, d);
    } finally {
      this.stack.delete(key);
    }
    const schemaName = this.typeName(name);
    this.names.set(key, schemaName);
    this.named.set(schemaName, { doc: `-type ${name}() :: ${printType(def.def)}.`, type, notes: own });
    if (own.length) notes.push(`${printType(t)}: see type ${schemaName}`);
    return { ref: schemaName };
  }

  /** A schema id for an Erlang type name, unique, and not a TS name the generated file takes. */
  private typeName(erlang: string): string {
    let base = erlang.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().replace(/[^a-z0-9_]/g, '_');
    if (!/^[a-z]/.test(base)) base = `t_${base}`;
    // Each named type is also a converter const (camelCase): not the stub object, its table, its adapter, nor a reserved word.
    const { stub, table, server, expose } = stubNames(this.stubName);
    const taken = (n: string): boolean =>
      this.named.has(n) || TAKEN_TYPES.has(pascal(n)) || pascal(n) === server || [stub, table, expose].includes(camel(n)) || RESERVED_WORDS.has(n);
    let n = base;
    for (let i = 2; taken(n); i++) n = `${base}_t${i === 2 ? '' : i}`;
    return n;
  }
}

/** Remote types with an exact equivalent. */
const REMOTE: Record<string, SchemaType> = {
  'unicode:unicode_binary/0': 'binary',
  'Elixir.String:t/0': 'binary',
  'erlang:timestamp/0': { tuple: ['integer', 'integer', 'integer'] },
  'calendar:date/0': { tuple: ['integer', 'integer', 'integer'] },
  'calendar:time/0': { tuple: ['integer', 'integer', 'integer'] },
  'calendar:datetime/0': { tuple: [{ tuple: ['integer', 'integer', 'integer'] }, { tuple: ['integer', 'integer', 'integer'] }] },
};

/** Unions the vocabulary can say: atoms (boolean when exactly true|false), integers, numbers. */
function combine(ts: SchemaType[]): SchemaType | undefined {
  const atoms = new Set<string>();
  let anyAtom = false;
  let numeric: 'integer' | 'bigint' | 'float' | 'number' | undefined;
  let kinds = 0;
  for (const t of ts) {
    if (t === 'boolean') {
      atoms.add('true');
      atoms.add('false');
    } else if (t === 'atom') anyAtom = true;
    else if (typeof t === 'object' && 'atoms' in t) t.atoms.forEach((a) => atoms.add(a));
    else if (t === 'integer' || t === 'bigint' || t === 'float' || t === 'number') {
      numeric = numeric === undefined || numeric === t ? t : (numeric === 'integer' && t === 'bigint') || (numeric === 'bigint' && t === 'integer') ? 'bigint' : 'number';
      continue;
    } else return undefined;
    kinds |= 1;
  }
  if (numeric !== undefined) return kinds ? undefined : numeric;
  if (anyAtom) return 'atom';
  if (atoms.size === 2 && atoms.has('true') && atoms.has('false')) return 'boolean';
  return atoms.size ? { atoms: [...atoms] } : undefined;
}

const safe = (n: bigint): boolean => n >= -9007199254740991n && n <= 9007199254740991n;

/** Integer constant expressions of types (`-1`, `1 bsl 8`). */
function evalInt(t: Term | undefined): bigint | undefined {
  const tag = tagOf(t ?? []);
  if (tag === 'integer' || tag === 'char') return intOf(el(t!, 2));
  if (tag !== 'op') return undefined;
  const op = nameOf(el(t!, 2));
  const a = evalInt(el(t!, 3));
  if (el(t!, 4) === undefined) return a === undefined ? undefined : op === '-' ? -a : op === '+' ? a : op === 'bnot' ? ~a : undefined;
  const b = evalInt(el(t!, 4));
  if (a === undefined || b === undefined) return undefined;
  switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case 'div': return b === 0n ? undefined : a / b;
    case 'rem': return b === 0n ? undefined : a % b;
    case 'bsl': return b < 0n || b > 4096n ? undefined : a << b;
    case 'bsr': return b < 0n ? undefined : a >> b;
    case 'band': return a & b;
    case 'bor': return a | b;
    case 'bxor': return a ^ b;
    default: return undefined;
  }
}

/** Replaces type variables bound in `env` (for arguments of a parameterised type). */
function substitute(t: Term, env: ReadonlyMap<string, Term>, depth = 0): Term {
  if (depth > MAX_DEPTH) return t;
  if (tagOf(t) === 'var') {
    const v = env.get(nameOf(el(t, 2)) ?? '_');
    return v ?? t;
  }
  if (t instanceof Tuple) return new Tuple(t.elements.map((e) => substitute(e, env, depth + 1)));
  if (Array.isArray(t)) return t.map((e) => substitute(e, env, depth + 1));
  return t;
}

const pascal = (id: string): string => id.replace(/(?:^|_)([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
const camel = (id: string): string => id.replace(/_([a-z0-9])/g, (_m, ch: string) => ch.toUpperCase());

/**
 * A TS name (^[a-z][A-Za-z0-9]*$) for a name camelCase cannot make one of:
 * `valid?` → isValid, `reset!` → resetBang, `MyApp.Greeter` → myAppGreeter.
 */
export function tsFor(name: string): string {
  let base = name;
  let suffix = '';
  let prefix = '';
  if (base.endsWith('?')) {
    base = base.slice(0, -1);
    if (!/^is[_A-Z]/.test(base)) prefix = 'is';
  } else if (base.endsWith('!')) {
    base = base.slice(0, -1);
    suffix = 'Bang';
  }
  const words = base.replace(/@/g, '_at_').split(/[^A-Za-z0-9]+/).filter(Boolean);
  let out = prefix + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('') + suffix;
  out = out.replace(/^[^A-Za-z]+/, '');
  out = out === '' ? 'fn' : out[0]!.toLowerCase() + out.slice(1);
  return out;
}

/** `KeyList` → key_list; `_` or anything that is not an id → undefined. */
function argName(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const s = v.replace(/^_+/, '').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().replace(/[^a-z0-9_]/g, '_').replace(/_+$/, '');
  return ID.test(s) ? s : undefined;
}

// -- a module -----------------------------------------------------------------------

/**
 * The stub model of `module` from its exports ({F, A} terms, as
 * module_info(exports) gives them) and its forms. `source` says where the
 * specs came from, for the module doc.
 */
export function buildStubs(module: string, exports: readonly Term[], forms: Forms, source: string): StubModule {
  const moduleTs = IDENT.test(camel(module)) ? undefined : tsFor(module.replace(/^Elixir\./, ''));
  const mapper = new Mapper(forms, module, moduleTs ?? camel(module));
  const functions: StubFunction[] = [];
  const skipped: string[] = [];
  const fas = exports
    .map((e) => [nameOf(el(e, 0)), el(e, 1)] as const)
    .filter((x): x is readonly [string, number] => x[0] !== undefined && typeof x[1] === 'number')
    .filter(([f]) => f !== 'module_info')
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
  const tsNames = new Set<string>();
  for (const [name, arity] of fas) {
    if (!FUNCTION_NAME.test(name) || name.length > 255) {
      skipped.push(`${quoteAtom(name)}/${arity}: the schema's function names are ${FUNCTION_NAME.source}`);
      continue;
    }
    const fn = stubFunction(mapper, module, name, arity, forms.specs.get(`${name}/${arity}`));
    const natural = IDENT.test(camel(name)) ? camel(name) : tsFor(name);
    let ts = natural;
    if (tsNames.has(ts)) ts = `${natural}${arity}`;
    for (let i = 2; tsNames.has(ts); i++) ts = `${natural}${arity}V${i}`;
    if (ts !== camel(name)) fn.ts = ts;
    tsNames.add(ts);
    functions.push(fn);
  }
  return {
    module,
    ...(moduleTs === undefined ? {} : { ts: moduleTs }),
    doc: `The exported functions of the ${module.startsWith('Elixir.') ? 'Elixir' : 'Erlang'} module ${module} (${source}).`,
    types: mapper.named,
    functions,
    skipped,
  };
}

function stubFunction(mapper: Mapper, module: string, name: string, arity: number, clauses: Term[] | undefined): StubFunction {
  const mfa = `${module}:${name}/${arity}`;
  const plain = (): StubFunction => ({
    name,
    arity,
    doc: `${mfa} (no -spec: arguments and result are any term).`,
    args: Array.from({ length: arity }, (_, i) => ({ name: `arg${i + 1}`, type: 'term' as SchemaType, notes: [] })),
    result: 'term',
    resultNotes: [],
    hasSpec: false,
  });
  if (clauses === undefined || clauses.length === 0) return plain();
  // Each clause: its arguments and result with the `when` constraints as bindings.
  const parts = clauses.map((c) => {
    let fun: Term | undefined = c;
    const env = new Map<string, Term>();
    if (tagOf(c) === 'type' && nameOf(el(c, 2)) === 'bounded_fun') {
      const [f, cs] = listOf(el(c, 3));
      fun = f;
      for (const k of listOf(cs)) {
        const [v, ty] = listOf(listOf(el(k, 3))[1]);
        const vn = nameOf(el(v ?? [], 2));
        if (vn !== undefined && ty !== undefined) env.set(vn, ty);
      }
    }
    const [product, result] = listOf(el(fun ?? [], 3));
    return { args: listOf(el(product ?? [], 3)), result, env };
  });
  if (parts.some((p) => p.args.length !== arity)) return plain();
  const used = new Set<string>();
  const args = Array.from({ length: arity }, (_, i) => {
    const forms = parts.map((p) => p.args[i]!);
    const first = forms[0]!;
    const v = tagOf(first) === 'ann_type' ? nameOf(el(listOf(el(first, 2))[0] ?? [], 2)) : tagOf(first) === 'var' ? nameOf(el(first, 2)) : undefined;
    let n = argName(v) ?? `arg${i + 1}`;
    if (STUB_PARAMS.has(camel(n)) || STRICT_RESERVED.has(camel(n))) n = `${n}_arg`;
    while (used.has(camel(n))) n = `${n}_${i + 1}`;
    used.add(camel(n));
    const notes: string[] = [];
    const type = mapClauses(mapper, forms, parts.map((p) => p.env), notes);
    return { name: n, type, notes };
  });
  const resultNotes: string[] = [];
  const result = mapClauses(mapper, parts.map((p) => p.result), parts.map((p) => p.env), resultNotes);
  return {
    name,
    arity,
    doc: `${mfa}: -spec ${name}${clauses.map((c) => printFunType(c)).join('; ')}.`,
    args,
    result,
    resultNotes,
    hasSpec: true,
  };
}

/** One position over every clause of a spec: the union of what each clause says there. */
function mapClauses(mapper: Mapper, forms: (Term | undefined)[], envs: Map<string, Term>[], notes: string[]): SchemaType {
  if (forms.length === 1) return mapper.map(forms[0], envs[0]!, notes);
  // Each clause's form with its own `when` bindings put in, then combined as a union would be.
  const members = forms.map((f, i) => substitute(f ?? new Tuple([]), envs[i]!));
  const scratch: string[] = [];
  const mapped = members.map((m) => mapper.map(m, new Map(), scratch));
  const firstText = JSON.stringify(mapped[0]);
  if (mapped.every((m) => JSON.stringify(m) === firstText)) {
    notes.push(...scratch);
    return mapped[0]!;
  }
  const c = combine(mapped);
  if (c !== undefined) {
    notes.push(...scratch);
    return c;
  }
  notes.push(`${members.map((m) => printType(m)).join(' | ')} (differs between the spec's clauses)`);
  return 'term';
}

// -- YAML ---------------------------------------------------------------------------------

const PLAIN_UNSAFE = new Set(['true', 'false', 'null', 'yes', 'no', 'on', 'off', 'y', 'n']);
const scalar = (s: string): string => (ID.test(s) && !PLAIN_UNSAFE.has(s) ? s : JSON.stringify(s));

/** A schema type in YAML flow style. */
export function yamlType(t: SchemaType): string {
  if (typeof t === 'string') return t;
  if ('atoms' in t) return `{atoms: [${t.atoms.map((a) => JSON.stringify(a)).join(', ')}]}`;
  if ('ref' in t) return `{ref: ${scalar(t.ref)}}`;
  if ('list' in t) return `{list: ${yamlType(t.list)}}`;
  if ('tuple' in t) return `{tuple: [${t.tuple.map(yamlType).join(', ')}]}`;
  if ('map_of' in t) return `{map_of: [${yamlType(t.map_of[0])}, ${yamlType(t.map_of[1])}]}`;
  const fields = (fs: SchemaField[]): string => `[${fs.map((f) => `{name: ${scalar(f.name)}, type: ${yamlType(f.type)}${f.optional ? ', optional: true' : ''}}`).join(', ')}]`;
  if ('map' in t) return `{map: ${fields(t.map)}}`;
  return `{record: {name: ${JSON.stringify(t.record.name)}, fields: ${fields(t.record.fields)}}}`;
}

const comment = (notes: string[]): string => (notes.length ? `  # any term for ${[...new Set(notes)].join('; ')}`.replace(/[\r\n]+/g, ' ') : '');

/** The service schema file for `m`, with a comment wherever an Erlang type became `term`. */
export function toYaml(m: StubModule, origin: string): string {
  const lines = [
    `# Read from ${origin} by \`beamwire stubs\`. Review it (docs, names, the "any term for" comments),`,
    `# then \`npm run gen\` writes generated/services/${m.module}.ts.`,
    `module: ${scalar(m.module)}`,
    ...(m.ts === undefined ? [] : [`ts: ${m.ts}`]),
    `doc: ${JSON.stringify(m.doc)}`,
  ];
  if (m.types.size) {
    lines.push('types:');
    for (const [name, t] of [...m.types].sort(([a], [b]) => (a < b ? -1 : 1))) {
      lines.push(`  ${scalar(name)}:`, `    doc: ${JSON.stringify(t.doc)}`, `    type: ${yamlType(t.type)}${comment(t.notes)}`);
    }
  }
  lines.push('functions:');
  for (const s of m.skipped) lines.push(`  # left out ${s}`.replace(/[\r\n]+/g, ' '));
  for (const f of m.functions) {
    lines.push(`  - name: ${scalar(f.name)}`);
    if (f.ts !== undefined) lines.push(`    ts: ${f.ts}`);
    lines.push(`    doc: ${JSON.stringify(f.doc)}`);
    if (f.args.length === 0) lines.push('    args: []');
    else {
      lines.push('    args:');
      for (const a of f.args) lines.push(`      - {name: ${scalar(a.name)}, type: ${yamlType(a.type)}}${comment(a.notes)}`);
    }
    lines.push(`    result: ${yamlType(f.result)}${comment(f.resultNotes)}`);
  }
  return lines.join('\n') + '\n';
}
