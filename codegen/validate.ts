/**
 * Reads and checks the hand-written Kaitai schemas (`schemas/*.ksy`) before
 * anything is generated from them.
 *
 * Two passes per file: the JSON Schema meta-schema `schemas/ksy.schema.json`
 * (ajv, draft 2020-12) for the shape of every key, then the cross-item rules a
 * JSON Schema cannot state: unique ids, unique enum values and names,
 * references to user types and enums that resolve, expressions that name only
 * fields declared earlier, and which attribute keys go together. Every problem
 * of every file is collected, and one {@link SchemaError} names them all as
 * `schemas/epmd.ksy: /types/alive2_req/seq/3/type must be ... (line 42)`.
 */
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Node as YamlNode } from 'yaml';

// ---------------------------------------------------------------------------
// The parsed shape of a .ksy file (the subset ksy.schema.json admits)

export type KsyDocRef = string | readonly string[];

export interface KsyMeta {
  readonly id?: string;
  readonly title?: string;
  readonly application?: string | readonly string[];
  readonly 'file-extension'?: string | readonly string[];
  readonly xref?: Readonly<Record<string, unknown>>;
  readonly tags?: readonly string[];
  readonly license?: string;
  readonly 'ks-version'?: string | number;
  readonly imports?: readonly string[];
  readonly encoding?: string;
  readonly endian?: 'be' | 'le';
  readonly 'bit-endian'?: 'be' | 'le';
  readonly '-beamwire'?: KsyMetaBeamwire;
}

export interface KsySwitchType {
  readonly 'switch-on': string;
  /** Case key (`enum_name::member`, an integer, `_`, ...) → type name. */
  readonly cases: Readonly<Record<string, string>>;
}

export type KsyValid =
  | number
  | boolean
  | string
  | {
      readonly eq?: number | boolean | string;
      readonly min?: number | string;
      readonly max?: number | string;
      readonly 'any-of'?: readonly (number | string)[];
      readonly 'in-enum'?: true;
      readonly expr?: string;
    };

/** The keys a sequence attribute and a parse instance share. */
export interface KsyFieldKeys {
  readonly doc?: string;
  readonly 'doc-ref'?: KsyDocRef;
  readonly type?: string | KsySwitchType;
  readonly size?: number | string;
  readonly 'size-eos'?: true;
  readonly contents?: string | readonly (number | string)[];
  readonly repeat?: 'expr' | 'eos' | 'until';
  readonly 'repeat-expr'?: number | string;
  readonly 'repeat-until'?: string;
  readonly enum?: string;
  readonly valid?: KsyValid;
  readonly encoding?: string;
  readonly if?: string;
  readonly process?: string;
  readonly terminator?: number;
  readonly consume?: boolean;
  readonly include?: boolean;
  readonly 'eos-error'?: boolean;
  readonly 'pad-right'?: number;
}

export interface KsyAttribute extends KsyFieldKeys {
  readonly id: string;
  readonly '-beamwire'?: KsyAttributeBeamwire;
}

export interface KsyInstance extends KsyFieldKeys {
  readonly value?: number | boolean | string;
  readonly pos?: number | string;
  readonly io?: string;
}

export interface KsyParam {
  readonly id: string;
  readonly type: string;
  readonly enum?: string;
  readonly doc?: string;
  readonly 'doc-ref'?: KsyDocRef;
}

export type KsyEnumValue =
  | string
  | { readonly id: string; readonly doc?: string; readonly 'doc-ref'?: KsyDocRef; readonly '-orig-id'?: string };

/** Enum value (decimal string: YAML turns `0x1f:` into 31, JSON into "31") → member. */
export type KsyEnum = Readonly<Record<string, KsyEnumValue>>;

/** beamwire's extension key; kaitai-struct-compiler ignores keys that start with '-'. */
export const BEAMWIRE_KEY = '-beamwire';

/** `-beamwire` on `meta`. */
export interface KsyMetaBeamwire {
  /** Which emitter reads the file: message codecs (`struct`, the default) or the ETF term codec. */
  readonly mode?: 'struct' | 'term';
}

/** `-beamwire` on a type (the root included). */
export interface KsyTypeBeamwire {
  /** `reference-only`: no TS codec for this type (only this type, not its nested types); the runtime handles it by hand. */
  readonly codec?: 'reference-only';
  /** mode term: the runtime constructor that turns the fields into a term. */
  readonly build?: string;
  /** mode term: decoded, never encoded. */
  readonly 'decode-only'?: boolean;
}

/** `-beamwire` on a sequence attribute. */
export interface KsyAttributeBeamwire {
  /** mode term: the bytes are text in this encoding, decoded strictly. */
  readonly text?: 'utf8' | 'latin1';
  readonly intern?: true;
  /** mode term: this u32 counts the bytes from itself to the end of the type, patched on encode. */
  readonly 'size-of'?: 'rest';
  readonly chain?: true;
}

export interface KsyType {
  readonly meta?: KsyMeta;
  readonly doc?: string;
  readonly 'doc-ref'?: KsyDocRef;
  readonly params?: readonly KsyParam[];
  readonly seq?: readonly KsyAttribute[];
  readonly instances?: Readonly<Record<string, KsyInstance>>;
  readonly types?: Readonly<Record<string, KsyType>>;
  readonly enums?: Readonly<Record<string, KsyEnum>>;
  readonly '-beamwire'?: KsyTypeBeamwire;
}

/** A whole file: the root type, whose meta names it. */
export interface KsySchema extends KsyType {
  readonly meta: KsyMeta & { readonly id: string; readonly endian: 'be' | 'le' };
}

export interface ValidatedSchema {
  /** As given, e.g. `schemas/epmd.ksy` (forward slashes). */
  readonly path: string;
  readonly text: string;
  /** `meta.id`, equal to the file's base name. */
  readonly id: string;
  /** The parsed YAML as plain data. Treat as read-only: the emitter and the compiler share it. */
  readonly ksy: KsySchema;
}

/** True when the type carries `-beamwire: {codec: reference-only}` (only that type, not its nested types). */
export function isReferenceOnly(type: KsyType): boolean {
  return type['-beamwire']?.codec === 'reference-only';
}

export interface KsyEnumMember {
  readonly value: number;
  readonly id: string;
  readonly doc?: string;
  readonly docRef?: KsyDocRef;
}

/** The members of an enum, sorted by value. */
export function enumMembers(spec: KsyEnum): KsyEnumMember[] {
  return Object.entries(spec)
    .map(([key, v]): KsyEnumMember => {
      const value = Number(key);
      if (typeof v === 'string') return { value, id: v };
      return {
        value,
        id: v.id,
        ...(v.doc === undefined ? {} : { doc: v.doc }),
        ...(v['doc-ref'] === undefined ? {} : { docRef: v['doc-ref'] }),
      };
    })
    .sort((a, b) => a.value - b.value);
}

export interface KsyTypeEntry {
  /** Type names from the root's `types` down, e.g. `['atom_cache_ref']`; `[]` for the root. */
  readonly names: readonly string[];
  /** JSON pointer of the type in its file, e.g. `/types/atom_cache_ref`; `` for the root. */
  readonly pointer: string;
  readonly type: KsyType;
}

/** Every type of a schema, the root first, then depth-first in key order. */
export function allTypes(schema: KsySchema): KsyTypeEntry[] {
  const out: KsyTypeEntry[] = [];
  const visit = (type: KsyType, names: readonly string[], pointer: string): void => {
    out.push({ names, pointer, type });
    for (const [name, sub] of Object.entries(type.types ?? {})) {
      visit(sub, [...names, name], `${pointer}/types/${escapePointer(name)}`);
    }
  };
  visit(schema, [], '');
  return out;
}

// ---------------------------------------------------------------------------
// Errors

export interface SchemaProblem {
  /** The file, as given to {@link validateSchemas}. */
  readonly file: string;
  /** JSON pointer into the parsed file; `/` for the whole file. */
  readonly path: string;
  readonly message: string;
  /** 1-based line of the node the path points at, when known. */
  readonly line?: number;
}

export function formatProblem(p: SchemaProblem): string {
  return `${p.file}: ${p.path} ${p.message}${p.line === undefined ? '' : ` (line ${p.line})`}`;
}

/** One or more schema files are malformed; `message` lists every problem, one per line. */
export class SchemaError extends Error {
  override readonly name = 'SchemaError';
  constructor(readonly problems: readonly SchemaProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

// ---------------------------------------------------------------------------
// Entry point

const META_SCHEMA_URL = new URL('../schemas/ksy.schema.json', import.meta.url);

let compiled: ValidateFunction<KsySchema> | undefined;

function metaValidator(): ValidateFunction<KsySchema> {
  if (compiled === undefined) {
    const schema: unknown = JSON.parse(readFileSync(META_SCHEMA_URL, 'utf8'));
    const ajv = new Ajv2020({ allErrors: true, strict: true, verbose: true });
    compiled = ajv.compile<KsySchema>(schema as object);
  }
  return compiled;
}

/**
 * Parses and checks every file; returns them sorted by path, or throws one
 * {@link SchemaError} listing the problems of all files.
 */
export function validateSchemas(files: readonly { path: string; text: string }[]): ValidatedSchema[] {
  const problems: SchemaProblem[] = [];
  const parsed: { path: string; text: string; ksy: KsySchema; locate: Locator }[] = [];
  const seenPaths = new Set<string>();

  for (const file of [...files].sort((a, b) => compareStrings(a.path, b.path))) {
    const path = file.path.replaceAll('\\', '/');
    if (seenPaths.has(path)) {
      problems.push({ file: path, path: '/', message: 'is given twice' });
      continue;
    }
    seenPaths.add(path);
    const result = parseFile(path, file.text, problems);
    if (result !== undefined) parsed.push({ path, text: file.text, ...result });
  }

  // Cross-file: ids unique and equal to the file name, imports that resolve.
  const byId = new Map<string, string>();
  const byPath = new Map(parsed.map((p) => [p.path, p]));
  for (const p of parsed) {
    const id = p.ksy.meta.id;
    const base = posix.basename(p.path).replace(/\.ksy$/, '');
    if (id !== base) {
      problems.push(problem(p.path, ['meta', 'id'], `must equal the file name '${base}' (got '${id}')`, p.locate));
    }
    const other = byId.get(id);
    if (other !== undefined) {
      problems.push(problem(p.path, ['meta', 'id'], `'${id}' is also the id of ${other}`, p.locate));
    } else {
      byId.set(id, p.path);
    }
    (p.ksy.meta.imports ?? []).forEach((name, i) => {
      const target = importPath(p.path, name);
      if (!byPath.has(target)) {
        problems.push(problem(p.path, ['meta', 'imports', i], `imports '${name}', but ${target} is not among the schemas`, p.locate));
      }
    });
  }

  for (const p of parsed) {
    const imported = new Map<string, KsyType>();
    for (const name of p.ksy.meta.imports ?? []) {
      const target = byPath.get(importPath(p.path, name));
      if (target !== undefined) imported.set(target.ksy.meta.id, target.ksy);
    }
    new CrossChecker(p.path, p.ksy, imported, p.locate, problems).run();
  }

  if (problems.length > 0) throw new SchemaError(problems);
  return parsed.map((p) => ({ path: p.path, text: p.text, id: p.ksy.meta.id, ksy: p.ksy }));
}

/** The path of the file a `meta.imports` entry of `from` names. */
export function importPath(from: string, name: string): string {
  return posix.normalize(posix.join(posix.dirname(from), `${name}.ksy`));
}

// ---------------------------------------------------------------------------
// Pass 1: YAML and the meta-schema

type Segment = string | number;
type Locator = (segments: readonly Segment[]) => number | undefined;

function parseFile(
  path: string,
  text: string,
  problems: SchemaProblem[],
): { ksy: KsySchema; locate: Locator } | undefined {
  const lineCounter = new LineCounter();
  // Duplicate keys are reported below with their JSON path, so let the parser keep them.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      problems.push({ file: path, path: '/', message: `is not valid YAML: ${e.message}`, line: lineCounter.linePos(e.pos[0]).line });
    }
    return undefined;
  }
  const locate: Locator = (segments) => {
    const offset = offsetOf(doc.contents, segments);
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };

  const before = problems.length;
  findDuplicateKeys(doc.contents, [], (segments, at, first) => {
    const inEnum = segments.length >= 3 && segments[segments.length - 3] === 'enums';
    const key = segments[segments.length - 1];
    const what = inEnum ? `duplicate enum value ${String(key)}` : `duplicate key '${String(key)}'`;
    const firstLine = first === undefined ? '' : ` (first at line ${lineCounter.linePos(first).line})`;
    // locate() would find the first of the two keys; point at this one.
    problems.push(problem(path, segments, what + firstLine, () => (at === undefined ? undefined : lineCounter.linePos(at).line)));
  });

  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  const validate = metaValidator();
  if (!validate(data)) {
    for (const e of simplifyErrors(validate.errors ?? [])) {
      problems.push(problem(path, e.segments, e.message, locate));
    }
  }
  if (problems.length > before) return undefined;
  return { ksy: data as KsySchema, locate };
}

function offsetOf(node: unknown, segments: readonly Segment[]): number | undefined {
  let current: unknown = node;
  let offset: number | undefined = rangeStart(node);
  for (const segment of segments) {
    if (isMap(current)) {
      const pair = current.items.find((it) => isScalar(it.key) && String(it.key.value) === String(segment));
      if (pair === undefined) return offset;
      offset = rangeStart(pair.key) ?? offset;
      current = pair.value;
    } else if (isSeq(current)) {
      const item: unknown = typeof segment === 'number' ? current.items[segment] : undefined;
      if (item === undefined) return offset;
      offset = rangeStart(item) ?? offset;
      current = item;
    } else {
      return offset;
    }
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  if (node !== null && typeof node === 'object' && 'range' in node) {
    const range = (node as YamlNode).range;
    return range?.[0];
  }
  return undefined;
}

function findDuplicateKeys(
  node: unknown,
  segments: Segment[],
  report: (segments: Segment[], offset: number | undefined, firstOffset: number | undefined) => void,
): void {
  if (isMap(node)) {
    const seen = new Map<string, number | undefined>();
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (seen.has(key)) report([...segments, key], rangeStart(pair.key), seen.get(key));
      else seen.set(key, rangeStart(pair.key));
      findDuplicateKeys(pair.value, [...segments, key], report);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => findDuplicateKeys(item, [...segments, i], report));
  }
}

interface SimpleError {
  readonly segments: Segment[];
  readonly message: string;
}

/**
 * Turns ajv's errors into one readable line per problem: `anyOf` failures
 * become "must be <description>" unless a deeper error explains them,
 * `additionalProperties` and `propertyNames` point at the offending key, and
 * `if`/`then` wrappers are dropped.
 */
function simplifyErrors(errors: readonly ErrorObject[]): SimpleError[] {
  const withDeeper = (path: string): boolean =>
    errors.some((e) => e.instancePath.startsWith(`${path}/`) && e.keyword !== 'propertyNames' && e.propertyName === undefined);
  const anyOfAt = new Map<string, ErrorObject>();
  for (const e of errors) {
    // ajv reports inner anyOf errors before outer ones: the last one at a path is the outermost.
    if (e.keyword === 'anyOf' && e.propertyName === undefined) anyOfAt.set(e.instancePath, e);
  }
  const out: SimpleError[] = [];
  const seen = new Set<string>();
  const push = (segments: Segment[], message: string): void => {
    const key = `${toPointer(segments)} ${message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ segments, message });
    }
  };
  for (const e of errors) {
    const segments = fromPointer(e.instancePath);
    if (e.keyword === 'if' || e.keyword === 'propertyNames') continue;
    if (e.propertyName !== undefined) {
      push([...segments, e.propertyName], `is not a valid name: ${describe(e)}`);
      continue;
    }
    const anyOf = anyOfAt.get(e.instancePath);
    if (anyOf !== undefined) {
      if (withDeeper(e.instancePath)) continue;
      push(segments, describe(anyOf));
      continue;
    }
    if (e.keyword === 'additionalProperties') {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      push([...segments, key], 'is not an allowed key here');
      continue;
    }
    push(segments, describe(e));
  }
  return out;
}

function describe(e: ErrorObject): string {
  const description = (e.parentSchema as { description?: unknown } | undefined)?.description;
  switch (e.keyword) {
    case 'anyOf':
    case 'pattern':
      if (typeof description === 'string') return `must be ${description}`;
      return e.message ?? e.keyword;
    case 'enum':
      return `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
    case 'required':
      return `must have the key '${(e.params as { missingProperty: string }).missingProperty}'`;
    case 'dependentRequired': {
      const params = e.params as { property: string; missingProperty: string };
      return `must have the key '${params.missingProperty}' when it has '${params.property}'`;
    }
    default:
      return e.message ?? e.keyword;
  }
}

// ---------------------------------------------------------------------------
// Pass 2: cross-item rules

const INTEGER_TYPE = /^([us][1248]|b[0-9]+)(be|le)?$/;
const FIXED_TYPE = /^([us][1248]|f[48]|b[0-9]+)(be|le)?$/;
const STRING_TYPE = /^strz?$/;
const SPECIAL_PARAM_TYPES = new Set(['bool', 'bytes', 'struct', 'io', 'any']);
const KEYWORDS = new Set(['and', 'or', 'not', 'true', 'false']);

interface Scope {
  readonly type: KsyType;
  readonly segments: readonly Segment[];
}

/** The names a field expression may use, and where each field of the sequence is. */
interface Names {
  readonly seqIndex: ReadonlyMap<string, number>;
  readonly params: ReadonlySet<string>;
  readonly instances: ReadonlySet<string>;
}

class CrossChecker {
  constructor(
    private readonly file: string,
    private readonly root: KsySchema,
    /** meta.id → root type of every file this one imports. */
    private readonly imported: ReadonlyMap<string, KsyType>,
    private readonly locate: Locator,
    private readonly problems: SchemaProblem[],
  ) {}

  run(): void {
    this.checkType([{ type: this.root, segments: [] }]);
  }

  private report(segments: readonly Segment[], message: string): void {
    this.problems.push(problem(this.file, segments, message, this.locate));
  }

  private checkType(chain: readonly Scope[]): void {
    const scope = chain[chain.length - 1];
    if (scope === undefined) return;
    const { type, segments } = scope;

    if (segments.length > 0 && type.meta?.id !== undefined) {
      this.report([...segments, 'meta', 'id'], 'is only allowed in the root meta');
    }

    // Unique ids across the sequence, the params and the instances.
    const ids = new Map<string, readonly Segment[]>();
    const claim = (id: string, at: readonly Segment[]): void => {
      const first = ids.get(id);
      if (first !== undefined) this.report(at, `duplicate id '${id}' (also ${toPointer(first)})`);
      else ids.set(id, at);
    };
    (type.params ?? []).forEach((p, i) => claim(p.id, [...segments, 'params', i, 'id']));
    (type.seq ?? []).forEach((a, i) => claim(a.id, [...segments, 'seq', i, 'id']));
    for (const name of Object.keys(type.instances ?? {})) claim(name, [...segments, 'instances', name]);

    const seqIndex = new Map<string, number>();
    (type.seq ?? []).forEach((a, i) => {
      if (!seqIndex.has(a.id)) seqIndex.set(a.id, i);
    });
    const names: Names = {
      seqIndex,
      params: new Set((type.params ?? []).map((p) => p.id)),
      instances: new Set(Object.keys(type.instances ?? {})),
    };

    (type.params ?? []).forEach((p, i) => {
      const at = [...segments, 'params', i];
      if (!SPECIAL_PARAM_TYPES.has(p.type)) this.checkTypeName(p.type, [...at, 'type'], chain);
      if (p.enum !== undefined) this.checkEnumRef(p.enum, [...at, 'enum'], chain);
    });
    (type.seq ?? []).forEach((a, i) => this.checkField(a, [...segments, 'seq', i], chain, names, i));
    for (const [name, inst] of Object.entries(type.instances ?? {})) {
      this.checkField(inst, [...segments, 'instances', name], chain, names, undefined);
    }
    for (const [name, spec] of Object.entries(type.enums ?? {})) {
      this.checkEnum(spec, [...segments, 'enums', name]);
    }
    for (const [name, sub] of Object.entries(type.types ?? {})) {
      this.checkType([...chain, { type: sub, segments: [...segments, 'types', name] }]);
    }
  }

  private checkEnum(spec: KsyEnum, at: readonly Segment[]): void {
    const ids = new Map<string, string>();
    for (const [key, v] of Object.entries(spec)) {
      const id = typeof v === 'string' ? v : v.id;
      const first = ids.get(id);
      if (first !== undefined) this.report([...at, key], `duplicate enum id '${id}' (also ${first})`);
      else ids.set(id, key);
      if (!Number.isSafeInteger(Number(key))) this.report([...at, key], 'is not a safe integer');
    }
  }

  /** `index` is the attribute's position in `seq`; undefined for an instance. */
  private checkField(
    field: KsyFieldKeys & { value?: unknown; pos?: unknown },
    at: readonly Segment[],
    chain: readonly Scope[],
    names: Names,
    index: number | undefined,
  ): void {
    const has = (key: keyof KsyFieldKeys): boolean => field[key] !== undefined;
    const isValue = field.value !== undefined;
    const typeName = typeof field.type === 'string' ? field.type.replace(/\(.*\)$/, '') : undefined;
    const sized = has('size') || has('size-eos') || has('terminator');

    if (isValue) {
      for (const key of Object.keys(field)) {
        if (!['value', 'doc', 'doc-ref', 'enum', 'if'].includes(key)) {
          this.report([...at, key], 'is not allowed in a value instance');
        }
      }
    } else if (index === undefined && field.pos === undefined && field.type === undefined && !sized) {
      this.report(at, 'must have value, or pos and a type or size');
    }
    if (has('size') && has('size-eos')) this.report([...at, 'size-eos'], "must not be combined with 'size'");
    if (has('contents')) {
      for (const key of ['type', 'size', 'size-eos', 'enum', 'encoding', 'repeat', 'terminator'] as const) {
        if (has(key)) this.report([...at, key], "must not be combined with 'contents'");
      }
    }
    if (has('encoding') && (typeName === undefined || !STRING_TYPE.test(typeName))) {
      this.report([...at, 'encoding'], 'needs type str or strz');
    }
    if (typeName !== undefined && FIXED_TYPE.test(typeName)) {
      for (const key of ['size', 'size-eos', 'terminator', 'encoding', 'process'] as const) {
        if (has(key)) this.report([...at, key], `is not allowed with the fixed-size type ${typeName}`);
      }
    }
    if (typeName === 'str' && !sized) this.report([...at, 'type'], 'str needs size, size-eos or terminator');
    if (typeName !== undefined && STRING_TYPE.test(typeName) && !has('encoding') && this.root.meta.encoding === undefined) {
      this.report([...at, 'type'], `${typeName} needs an encoding (here or in meta)`);
    }
    if (!isValue && field.type === undefined && !has('contents') && !sized && index !== undefined) {
      this.report(at, 'raw bytes need size, size-eos, terminator or contents');
    }
    if (has('enum')) {
      if (!isValue && (typeName === undefined || !INTEGER_TYPE.test(typeName))) {
        this.report([...at, 'enum'], 'needs an integer type (u1..u8, s1..s8, bN)');
      }
      this.checkEnumRef(field.enum ?? '', [...at, 'enum'], chain);
    }
    if (has('repeat-expr') && field.repeat !== 'expr') this.report([...at, 'repeat-expr'], "needs repeat: expr");
    if (has('repeat-until') && field.repeat !== 'until') this.report([...at, 'repeat-until'], "needs repeat: until");

    // Types and switch cases.
    if (typeof field.type === 'string') {
      this.checkTypeName(field.type, [...at, 'type'], chain);
    } else if (field.type !== undefined) {
      const sw = field.type;
      this.checkExpression(sw['switch-on'], [...at, 'type', 'switch-on'], names, index);
      for (const [key, target] of Object.entries(sw.cases)) {
        this.checkTypeName(target, [...at, 'type', 'cases', key], chain);
        if (key.includes('::') && !/^["']/.test(key)) this.checkEnumMember(key, [...at, 'type', 'cases', key], chain);
      }
    }

    // Expressions may name only earlier fields, params and instances.
    for (const key of ['size', 'repeat-expr', 'if', 'pos', 'io'] as const) {
      const v = (field as Record<string, unknown>)[key];
      if (typeof v === 'string') this.checkExpression(v, [...at, key], names, index);
    }
    if (typeof field['repeat-until'] === 'string') {
      this.checkExpression(field['repeat-until'], [...at, 'repeat-until'], names, index === undefined ? undefined : index + 1);
    }
    if (typeof field.value === 'string') this.checkExpression(field.value, [...at, 'value'], names, undefined);
    const valid = field.valid;
    if (typeof valid === 'string') this.checkExpression(valid, [...at, 'valid'], names, index);
    if (typeof valid === 'object') {
      for (const key of ['eq', 'min', 'max', 'expr'] as const) {
        const v = valid[key];
        if (typeof v === 'string') this.checkExpression(v, [...at, 'valid', key], names, index === undefined ? undefined : index + 1);
      }
    }
  }

  /**
   * `before` = how many sequence fields precede the expression's own field
   * (undefined: all of them, as in instances).
   */
  private checkExpression(expr: string, at: readonly Segment[], names: Names, before: number | undefined): void {
    for (const name of expressionNames(expr)) {
      if (names.params.has(name) || names.instances.has(name)) continue;
      const i = names.seqIndex.get(name);
      if (i === undefined) {
        this.report(at, `refers to '${name}', which is not a field, param or instance of this type`);
      } else if (before !== undefined && i >= before) {
        this.report(at, `refers to '${name}', which is not declared before this field (seq/${i})`);
      }
    }
  }

  private checkTypeName(name: string, at: readonly Segment[], chain: readonly Scope[]): void {
    const bare = name.replace(/\(.*\)$/, '');
    if (FIXED_TYPE.test(bare) || STRING_TYPE.test(bare)) return;
    if (this.resolveType(bare.split('::'), chain) === undefined) {
      this.report(at, `refers to the unknown type '${bare}'`);
    }
  }

  private checkEnumRef(ref: string, at: readonly Segment[], chain: readonly Scope[]): void {
    if (this.resolveEnum(ref.split('::'), chain) === undefined) this.report(at, `refers to the unknown enum '${ref}'`);
  }

  private checkEnumMember(key: string, at: readonly Segment[], chain: readonly Scope[]): void {
    const parts = key.split('::');
    const member = parts.pop() ?? '';
    const spec = this.resolveEnum(parts, chain);
    if (spec === undefined) {
      this.report(at, `refers to the unknown enum '${parts.join('::')}'`);
    } else if (!Object.values(spec).some((v) => (typeof v === 'string' ? v : v.id) === member)) {
      this.report(at, `refers to '${member}', which is not a member of enum '${parts.join('::')}'`);
    }
  }

  /** Kaitai's lookup: the first name in the nearest enclosing scope, then down through `types`. */
  private resolveType(parts: readonly string[], chain: readonly Scope[]): KsyType | undefined {
    const [first, ...rest] = parts;
    if (first === undefined) return undefined;
    let found: KsyType | undefined;
    for (let i = chain.length - 1; i >= 0 && found === undefined; i--) {
      found = chain[i]?.type.types?.[first];
    }
    if (found === undefined && first === this.root.meta.id) found = this.root;
    if (found === undefined) found = this.imported.get(first);
    for (const part of rest) found = found?.types?.[part];
    return found;
  }

  private resolveEnum(parts: readonly string[], chain: readonly Scope[]): KsyEnum | undefined {
    const name = parts[parts.length - 1];
    if (name === undefined) return undefined;
    if (parts.length === 1) {
      for (let i = chain.length - 1; i >= 0; i--) {
        const spec = chain[i]?.type.enums?.[name];
        if (spec !== undefined) return spec;
      }
      return undefined;
    }
    return this.resolveType(parts.slice(0, -1), chain)?.enums?.[name];
  }
}

/**
 * The field-like names an expression uses: identifiers that are not members
 * (`a.b`: only `a`), enum paths (`e::m`), casts, keywords or `_`-names
 * (`_parent`, `_io`, `_index`, `_`).
 */
export function expressionNames(expr: string): string[] {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'[^']*'/g, ' ')
    .replace(/\b(?:as|sizeof|bitsizeof)\s*<[^>]*>/g, ' ');
  const out: string[] = [];
  for (const m of s.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) {
    const start = m.index;
    const name = m[0];
    const before = s.slice(0, start);
    const after = s.slice(start + name.length);
    if (/[0-9]$/.test(before)) continue; // the x1f of 0x1f
    if (/\.\s*$/.test(before) || /::\s*$/.test(before) || /^\s*::/.test(after)) continue;
    if (name.startsWith('_') || KEYWORDS.has(name)) continue;
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Small helpers

function problem(file: string, segments: readonly Segment[], message: string, locate: Locator): SchemaProblem {
  const line = locate(segments);
  return line === undefined
    ? { file, path: toPointer(segments), message }
    : { file, path: toPointer(segments), message, line };
}

function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

function toPointer(segments: readonly Segment[]): string {
  return segments.length === 0 ? '/' : segments.map((s) => `/${escapePointer(String(s))}`).join('');
}

function fromPointer(pointer: string): Segment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

/** Code-unit order, independent of the locale. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
