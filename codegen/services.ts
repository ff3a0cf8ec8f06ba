/**
 * Reads and checks the service schemas (`schemas/services/<module>.service.yaml`):
 * the meta-schema `schemas/service.schema.json` (ajv), then what JSON Schema
 * cannot say: the module named as its file, refs that resolve and do not
 * loop, names unique (functions by name and arity, TS names, arguments,
 * fields, types), `optional` on map fields only, and no name that would
 * become an identifier the generated file already declares or JS reserves
 * (runtime/stubs/names.ts lists both, for `beamwire stubs` too).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, posix } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { RESERVED_WORDS, STRICT_RESERVED, STUB_PARAMS, stubNames, TAKEN_TYPES } from '../runtime/stubs/names.js';
import { camel, pascal } from './ksy.js';
import { SchemaError, type SchemaProblem } from './validate.js';

export type Builtin = 'atom' | 'integer' | 'bigint' | 'float' | 'number' | 'boolean' | 'binary' | 'bytes' | 'charlist' | 'pid' | 'reference' | 'term';

export interface ServiceField {
  readonly name: string;
  readonly type: ServiceType;
  readonly optional?: boolean;
  readonly doc?: string;
}

export type ServiceType =
  | Builtin
  | { readonly atoms: readonly string[] }
  | { readonly list: ServiceType }
  | { readonly tuple: readonly ServiceType[] }
  | { readonly map: readonly ServiceField[] }
  | { readonly map_of: readonly [ServiceType, ServiceType] }
  | { readonly record: { readonly name: string; readonly fields: readonly ServiceField[] } }
  | { readonly ref: string };

export interface ServiceFunction {
  readonly name: string;
  readonly ts?: string;
  readonly doc: string;
  readonly args: readonly { readonly name: string; readonly type: ServiceType; readonly doc?: string }[];
  readonly result: ServiceType;
}

export interface ServiceSchema {
  readonly module: string;
  readonly ts?: string;
  readonly doc: string;
  readonly 'doc-ref'?: string;
  readonly types?: Readonly<Record<string, { readonly doc?: string; readonly type: ServiceType }>>;
  readonly functions: readonly ServiceFunction[];
}

export interface ValidatedService {
  readonly path: string;
  readonly service: ServiceSchema;
}

/** The TS method name of a function. */
export const tsName = (f: ServiceFunction): string => f.ts ?? camel(f.name);
/** The TS name of the stub object; the server interface and adapter are named after it. */
export const tsModule = (s: ServiceSchema): string => s.ts ?? camel(s.module);
const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** schemas/service.schema.json of this package: codegen/ sits one level deeper once built (dist/codegen/), so ask the package's own name where its root is. */
const metaSchemaPath = (): string => join(dirname(createRequire(import.meta.url).resolve('beamwire/package.json')), 'schemas', 'service.schema.json');

let compiled: ValidateFunction<ServiceSchema> | undefined;
function metaValidator(): ValidateFunction<ServiceSchema> {
  compiled ??= new Ajv2020({ allErrors: true, strict: true }).compile<ServiceSchema>(JSON.parse(readFileSync(metaSchemaPath(), 'utf8')) as object);
  return compiled;
}

/** ajv's message, with the name it leaves in params (the extra key, the allowed values). */
function describe(err: ErrorObject): string {
  const p = err.params as Record<string, unknown>;
  if (err.keyword === 'additionalProperties') return `must NOT have the key '${String(p['additionalProperty'])}'`;
  if (err.keyword === 'enum') return `must be one of ${(p['allowedValues'] as unknown[]).join(', ')}`;
  return err.message ?? 'is invalid';
}

export function validateServices(files: readonly { path: string; text: string }[]): ValidatedService[] {
  const problems: SchemaProblem[] = [];
  const out: ValidatedService[] = [];
  for (const { path, text } of files) {
    const lines = new LineCounter();
    const parsed = parseDocument(text, { lineCounter: lines, prettyErrors: false });
    if (parsed.errors.length) {
      for (const e of parsed.errors) problems.push({ file: path, path: '/', message: `is not YAML: ${e.message.split('\n')[0]}`, line: lines.linePos(e.pos[0]).line });
      continue;
    }
    const doc: unknown = parsed.toJS();
    const report = (at: string, message: string): void => {
      const line = lineOf(parsed, lines, at);
      problems.push(line === undefined ? { file: path, path: at, message } : { file: path, path: at, message, line });
    };
    const validate = metaValidator();
    if (!validate(doc)) {
      // `if` only says which branch failed; the branch's own errors say why.
      for (const err of validate.errors ?? []) if (err.keyword !== 'if') report(err.instancePath || '/', describe(err));
      continue;
    }
    const before = problems.length;
    crossCheck(path, doc, report);
    if (problems.length === before) out.push({ path, service: doc });
  }
  if (problems.length) throw new SchemaError(problems);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The 1-based line of the node a JSON pointer names (or of the nearest node above it that exists). */
function lineOf(doc: Document, lines: LineCounter, pointer: string): number | undefined {
  let node: unknown = doc.contents;
  let offset = (node as { range?: [number] } | null)?.range?.[0];
  for (const seg of pointer.split('/').slice(1).filter(Boolean).map((x) => x.replaceAll('~1', '/').replaceAll('~0', '~'))) {
    const next: unknown = isMap(node)
      ? node.items.find((p) => isScalar(p.key) && String(p.key.value) === seg)
      : isSeq(node)
        ? node.items[Number(seg)]
        : undefined;
    if (next === undefined) break;
    const pair = isMap(node) ? (next as { key: { range?: [number] }; value: unknown }) : undefined;
    offset = (pair ? pair.key.range?.[0] : (next as { range?: [number] }).range?.[0]) ?? offset;
    node = pair ? pair.value : next;
  }
  return offset === undefined ? undefined : lines.linePos(offset).line;
}

function crossCheck(path: string, s: ServiceSchema, report: (at: string, message: string) => void): void {
  const base = posix.basename(path).replace(/\.service\.yaml$/, '');
  if (s.module !== base) report('/module', `must equal the file name '${base}' (got '${s.module}')`);
  const stub = tsModule(s);
  const stubAt = s.ts === undefined ? '/module' : '/ts';
  if (!IDENT.test(stub)) report('/module', `is not a TS identifier in camelCase (${stub}): give the stub a name with \`ts\``);
  else if (RESERVED_WORDS.has(stub)) report(stubAt, `would name the stub object ${stub}, a word JS reserves: give the stub another name with \`ts\``);
  const names = stubNames(stub);
  // The values the file declares, with what each is: every named type adds its converter const (camelCase).
  const values = new Map<string, string>([
    [names.stub, `the stub object of ${s.module}`],
    [names.table, `the function table of the stub ${names.stub}`],
    [names.expose, `the expose adapter ${names.expose}(impl)`],
  ]);
  const types = s.types ?? {};
  const tsTypes = new Map<string, string>();
  for (const name of Object.keys(types)) {
    const at = `/types/${name}`;
    const conv = camel(name);
    const ts = pascal(name);
    if (RESERVED_WORDS.has(conv)) report(at, `would be the converter const ${conv}, a word strict mode reserves: rename the type`);
    else if (values.has(conv)) report(at, `would be the converter const ${conv}, which is already ${values.get(conv)}: rename the type`);
    else if (TAKEN_TYPES.has(ts) || ts === names.server) report(at, `would be the TS type ${ts}, a name the generated file already uses: rename the type`);
    else if (tsTypes.has(ts)) report(at, `would be the TS type ${ts}, as /types/${tsTypes.get(ts)} is: rename one of them`);
    else {
      values.set(conv, `the converter const of /types/${name}`);
      tsTypes.set(ts, name);
    }
    checkType(types[name]!.type, `${at}/type`, types, report);
  }
  // Refs must not loop: follow each named type's refs depth-first.
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === 'done' || types[name] === undefined) return;
    if (state.get(name) === 'visiting') {
      report(`/types/${name}`, `refers to itself: ${[...trail, name].join(' -> ')}`);
      return;
    }
    state.set(name, 'visiting');
    for (const r of refsOf(types[name]!.type)) visit(r, [...trail, name]);
    state.set(name, 'done');
  };
  for (const name of Object.keys(types)) visit(name, []);

  const mfas = new Map<string, number>();
  const methods = new Map<string, number>();
  s.functions.forEach((f, i) => {
    const at = `/functions/${i}`;
    const mfa = `${f.name}/${f.args.length}`;
    if (mfas.has(mfa)) report(at, `repeats ${mfa} of /functions/${mfas.get(mfa)}`);
    else mfas.set(mfa, i);
    const method = tsName(f);
    if (!IDENT.test(method)) report(`${at}/name`, `is not a TS identifier in camelCase (${method}): give the function a name with \`ts\``);
    else if (methods.has(method)) report(at, `has the TS name ${method}, as /functions/${methods.get(method)} does: give one a different \`ts\``);
    else methods.set(method, i);
    const params = new Map<string, string>();
    f.args.forEach((a, j) => {
      const p = camel(a.name);
      if (STUB_PARAMS.has(p)) report(`${at}/args/${j}/name`, `'${a.name}' is a parameter every stub has (caller, target, opts; impl in ${names.expose}): rename the argument`);
      else if (STRICT_RESERVED.has(p)) report(`${at}/args/${j}/name`, `'${a.name}' is reserved in strict mode and cannot name a parameter`);
      else if (p === names.table) report(`${at}/args/${j}/name`, `would be the TS parameter ${p}, which would hide the function table the stub calls through: rename the argument`);
      else if (params.get(p) === a.name) report(`${at}/args/${j}/name`, `repeats argument ${a.name}`);
      else if (params.has(p)) report(`${at}/args/${j}/name`, `would be the TS parameter ${p}, as argument ${params.get(p)} is: rename one of them`);
      else params.set(p, a.name);
      checkType(a.type, `${at}/args/${j}/type`, types, report);
    });
    checkType(f.result, `${at}/result`, types, report);
  });
}

function checkType(t: ServiceType, at: string, types: NonNullable<ServiceSchema['types']>, report: (at: string, message: string) => void): void {
  if (typeof t === 'string') return;
  if ('ref' in t) {
    if (types[t.ref] === undefined) report(`${at}/ref`, `names no type of /types: ${t.ref}`);
  } else if ('list' in t) checkType(t.list, `${at}/list`, types, report);
  else if ('tuple' in t) t.tuple.forEach((e, i) => checkType(e, `${at}/tuple/${i}`, types, report));
  else if ('map_of' in t) t.map_of.forEach((e, i) => checkType(e, `${at}/map_of/${i}`, types, report));
  else if ('map' in t) checkFields(t.map, `${at}/map`, true, types, report);
  else if ('record' in t) checkFields(t.record.fields, `${at}/record/fields`, false, types, report);
}

function checkFields(fields: readonly ServiceField[], at: string, isMap: boolean, types: NonNullable<ServiceSchema['types']>, report: (at: string, message: string) => void): void {
  const names = new Set<string>();
  fields.forEach((f, i) => {
    if (names.has(f.name)) report(`${at}/${i}/name`, `repeats field ${f.name}`);
    names.add(f.name);
    if (f.optional !== undefined && !isMap) report(`${at}/${i}/optional`, 'is for map fields only: a record has every field');
    checkType(f.type, `${at}/${i}/type`, types, report);
  });
}

/** The named types `t` mentions, directly or nested. */
export function refsOf(t: ServiceType): string[] {
  if (typeof t === 'string' || 'atoms' in t) return [];
  if ('ref' in t) return [t.ref];
  if ('list' in t) return refsOf(t.list);
  if ('tuple' in t) return t.tuple.flatMap(refsOf);
  if ('map_of' in t) return t.map_of.flatMap(refsOf);
  if ('map' in t) return t.map.flatMap((f) => refsOf(f.type));
  return t.record.fields.flatMap((f) => refsOf(f.type));
}
