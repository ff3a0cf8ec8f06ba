/**
 * Reads and checks the term-shape schemas (`schemas/*.terms.yaml`): the
 * meta-schema `schemas/terms.schema.json` (ajv), then what JSON Schema cannot
 * say: tags and field ids unique, the tag kind matching meta.tag, and `needs`
 * naming a flag of enum `dflag` in schemas/handshake.ksy.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import YAML from 'yaml';
import { SchemaError, type SchemaProblem } from './validate.js';

export type FieldType = 'pid' | 'atom' | 'reference' | 'integer' | 'term' | 'proc' | 'pid_or_atom' | 'unused' | 'mfa' | 'list';

export interface ShapeField {
  readonly id: string;
  readonly type: FieldType;
  readonly doc?: string;
}

export interface ShapeMessage {
  readonly op?: number;
  readonly atom?: string;
  readonly doc: string;
  readonly needs?: string;
  readonly follows?: 'none' | 'message' | 'reason' | 'args';
  readonly fields: readonly ShapeField[];
}

export interface ShapeSchema {
  readonly meta: { readonly id: string; readonly title: string; readonly 'doc-ref'?: string; readonly tag: 'op' | 'atom'; readonly 'tag-index'?: number };
  readonly messages: Readonly<Record<string, ShapeMessage>>;
}

export interface ValidatedShapes {
  readonly path: string;
  readonly shapes: ShapeSchema;
}

let compiled: ValidateFunction<ShapeSchema> | undefined;
function metaValidator(): ValidateFunction<ShapeSchema> {
  compiled ??= new Ajv2020({ allErrors: true, strict: true }).compile<ShapeSchema>(
    JSON.parse(readFileSync(new URL('../schemas/terms.schema.json', import.meta.url), 'utf8')) as object,
  );
  return compiled;
}

/** `flags`: the member names of enum dflag, to check `needs` against. */
export function validateShapes(files: readonly { path: string; text: string }[], flags: ReadonlySet<string>): ValidatedShapes[] {
  const problems: SchemaProblem[] = [];
  const out: ValidatedShapes[] = [];
  for (const { path, text } of files) {
    let doc: unknown;
    try {
      doc = YAML.parse(text);
    } catch (e) {
      problems.push({ file: path, path: '/', message: `is not YAML: ${(e as Error).message}` });
      continue;
    }
    const validate = metaValidator();
    if (!validate(doc)) {
      for (const err of validate.errors ?? []) problems.push({ file: path, path: err.instancePath || '/', message: err.message ?? 'is invalid' });
      continue;
    }
    const before = problems.length;
    const tags = new Map<string | number, string>();
    for (const [name, m] of Object.entries(doc.messages)) {
      const at = `/messages/${name}`;
      // Atom tags may repeat with another arity; op numbers may not.
      const tag = doc.meta.tag === 'op' ? m.op : m.atom === undefined ? undefined : `${m.atom}/${m.fields.length}`;
      if (m.op !== undefined && m.atom !== undefined) problems.push({ file: path, path: at, message: 'has both op and atom' });
      if (tag === undefined) problems.push({ file: path, path: at, message: `needs ${doc.meta.tag === 'op' ? 'op' : 'atom'} (meta.tag is ${doc.meta.tag})` });
      else if (tags.has(tag)) problems.push({ file: path, path: at, message: `repeats tag ${tag} of ${tags.get(tag)}` });
      else tags.set(tag, name);
      const tagIndex = doc.meta['tag-index'] ?? 0;
      if (tagIndex > m.fields.length) problems.push({ file: path, path: at, message: `has ${m.fields.length} fields, too few for tag-index ${tagIndex}` });
      const ids = new Set<string>();
      m.fields.forEach((f, i) => {
        if (ids.has(f.id)) problems.push({ file: path, path: `${at}/fields/${i}/id`, message: `repeats field ${f.id}` });
        ids.add(f.id);
      });
      if (m.needs !== undefined && !flags.has(m.needs)) problems.push({ file: path, path: `${at}/needs`, message: `names no flag of enum dflag in schemas/handshake.ksy: ${m.needs}` });
    }
    if (problems.length === before) out.push({ path, shapes: doc });
  }
  if (problems.length) throw new SchemaError(problems);
  return out.sort((a, b) => a.path.localeCompare(b.path));
}
