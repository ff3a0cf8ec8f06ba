/**
 * Emits a term-shape schema (schemas/*.terms.yaml) as TypeScript: the tag
 * table, an interface per message, a `<id>` constructor object building each
 * message's tuple from typed fields, a `parse<Id>` that checks a received
 * term field by field and returns the typed message, and the `follows` and
 * `needs` tables the connection layer reads.
 */
import { StructureKind, VariableDeclarationKind, type CodeBlockWriter } from 'ts-morph';
import type { Statement } from './emit-term.js';
import { camel, lit, pascal, upper } from './ksy.js';
import type { FieldType, ShapeMessage, ValidatedShapes } from './shapes.js';

const TS: Record<FieldType, string> = {
  pid: 'Pid',
  atom: 'Atom',
  reference: 'Reference',
  integer: 'number | bigint',
  term: 'Term',
  proc: 'Pid | Atom',
  pid_or_atom: 'Pid | Atom',
  unused: 'Term',
  mfa: 'S.Mfa',
  list: 'Term[]',
};

/** The shape.ts check for each field type. */
const CHECK: Record<FieldType, string> = {
  pid: 'S.pid',
  atom: 'S.atom',
  reference: 'S.reference',
  integer: 'S.integer',
  term: 'S.term',
  proc: 'S.proc',
  pid_or_atom: 'S.proc',
  unused: 'S.term',
  mfa: 'S.mfa',
  list: 'S.list',
};

export function emitShapes(v: ValidatedShapes): Statement[] {
  const { meta, messages } = v.shapes;
  const entries = Object.entries(messages).sort(([, a], [, b]) => (a.op ?? 0) - (b.op ?? 0) || (a.atom ?? '').localeCompare(b.atom ?? ''));
  const tagOf = (m: ShapeMessage): string => (meta.tag === 'op' ? String(m.op) : `Atom.of(${lit(m.atom!)})`);
  const base = pascal(meta.id);
  const tagIndex = meta['tag-index'] ?? 0;
  const out: Statement[] = [
    { kind: StructureKind.ImportDeclaration, moduleSpecifier: '../runtime/term/atom.js', namedImports: ['Atom'] },
    { kind: StructureKind.ImportDeclaration, moduleSpecifier: '../runtime/term/shape.js', namespaceImport: 'S' },
    { kind: StructureKind.ImportDeclaration, moduleSpecifier: '../runtime/term/values.js', namedImports: [{ name: 'Pid', isTypeOnly: true }, { name: 'Reference', isTypeOnly: true }, { name: 'Term', isTypeOnly: true }, 'Tuple'] },
  ];
  if (meta.tag === 'op')
    out.push({
      kind: StructureKind.VariableStatement,
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: [`Operation numbers, with the spec's names (${meta['doc-ref'] ?? v.path}).`],
      declarations: [{ name: 'Op', initializer: (w) => w.inlineBlock(() => entries.forEach(([n, m]) => w.writeLine(`${upper(n)}: ${m.op},`))).write(' as const') }],
    });
  for (const [name, m] of entries)
    out.push({
      kind: StructureKind.Interface,
      isExported: true,
      name: pascal(name),
      docs: [m.doc],
      properties: [
        { name: 'kind', type: lit(name), isReadonly: true },
        ...m.fields.filter((f) => f.type !== 'unused').map((f) => ({ name: camel(f.id), type: TS[f.type], isReadonly: true, ...(f.doc ? { docs: [f.doc] } : {}) })),
      ],
    });
  out.push({
    kind: StructureKind.TypeAlias,
    isExported: true,
    name: base,
    docs: [`Every message of ${v.path}.`],
    type: entries.map(([n]) => pascal(n)).join(' | '),
  });
  out.push({
    kind: StructureKind.VariableStatement,
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: ['What term follows each message in its packet: nothing, the message, the exit reason, or the argument list.'],
    declarations: [
      {
        name: 'follows',
        type: `Readonly<Record<${base}['kind'], 'none' | 'message' | 'reason' | 'args'>>`,
        initializer: (w) => w.inlineBlock(() => entries.forEach(([n, m]) => w.writeLine(`${n}: ${lit(m.follows ?? 'none')},`))),
      },
    ],
  });
  const needs = entries.filter(([, m]) => m.needs);
  if (needs.length)
    out.push({
      kind: StructureKind.VariableStatement,
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: ['The distribution flag (generated/handshake.ts `Dflag`) without which a peer never sends the message.'],
      declarations: [
        {
          name: 'needs',
          type: `Readonly<Partial<Record<${base}['kind'], string>>>`,
          initializer: (w) => w.inlineBlock(() => needs.forEach(([n, m]) => w.writeLine(`${n}: ${lit(upper(m.needs!))},`))),
        },
      ],
    });
  out.push({
    kind: StructureKind.VariableStatement,
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: [`Constructors: the tuple of each message from its fields (an \`unused\` field is written as '').`],
    declarations: [
      {
        name: camel(meta.id),
        initializer: (w) =>
          w.inlineBlock(() => {
            for (const [name, m] of entries) {
              const params = m.fields.filter((f) => f.type !== 'unused').map((f) => `${camel(f.id)}: ${TS[f.type]}`);
              const elems = m.fields.map((f) => (f.type === 'unused' ? "Atom.of('')" : f.type === 'mfa' ? `S.mfaTuple(${camel(f.id)})` : camel(f.id)));
              elems.splice(tagIndex, 0, tagOf(m));
              w.writeLine(`${camel(name)}: (${params.join(', ')}): Tuple => new Tuple([${elems.join(', ')}]),`);
            }
          }),
      },
    ],
  });
  out.push({
    kind: StructureKind.Function,
    isExported: true,
    name: `parse${base}`,
    docs: [`Checks a received term against its schema and returns the typed message; anything else is a TermShapeError naming the field.`],
    parameters: [{ name: 't', type: 'Term' }],
    returnType: base,
    statements: (w: CodeBlockWriter) => {
      w.writeLine(`if (!(t instanceof Tuple) || ${tagIndex === 0 ? 't.size === 0' : `t.size <= ${tagIndex}`}) throw new S.TermShapeError(${lit(meta.id)}, ${lit(tagIndex === 0 ? 'must be a non-empty tuple' : `must be a tuple of more than ${tagIndex} elements`)}, t);`);
      w.writeLine(`const tag = t.elements[${tagIndex}];`);
      if (meta.tag === 'op') {
        w.writeLine('switch (tag) {').indent(() => {
          for (const [name, m] of entries) {
            w.writeLine(`case ${m.op}: {`).indent(() => writeParseBody(w, name, m, tagIndex));
            w.writeLine('}');
          }
          w.writeLine(`default: throw new S.TermShapeError(${lit(meta.id)}, 'has an unknown operation', tag ?? t);`);
        });
        w.writeLine('}');
      } else {
        const shared = (a: string): boolean => entries.filter(([, x]) => x.atom === a).length > 1;
        for (const [name, m] of entries) {
          // One atom may tag messages of different arities ({Ref, error, {erpc, R}} and {Ref, error, R, Stack}).
          const arity = shared(m.atom!) ? ` && t.size === ${m.fields.length + 1}` : '';
          w.writeLine(`if (tag === Atom.of(${lit(m.atom!)})${arity}) {`).indent(() => writeParseBody(w, name, m, tagIndex));
          w.writeLine('}');
        }
        w.writeLine(`throw new S.TermShapeError(${lit(meta.id)}, 'has an unknown tag', tag ?? t);`);
      }
    },
  });
  return out;
}

function writeParseBody(w: CodeBlockWriter, name: string, m: ShapeMessage, tagIndex: number): void {
  w.writeLine(`${m.fields.some((f) => f.type !== 'unused') ? 'const e = ' : ''}S.tupleOf(t, ${m.fields.length + 1}, ${lit(name)});`);
  const props = [`kind: ${lit(name)}`];
  m.fields.forEach((f, i) => {
    if (f.type === 'unused') return;
    const at = i < tagIndex ? i : i + 1; // the tag sits at tagIndex; fields fill the rest in order
    props.push(`${camel(f.id)}: ${CHECK[f.type]}(e[${at}], ${lit(`${name}.${f.id}`)})`);
  });
  w.writeLine(`return { ${props.join(', ')} };`);
}
