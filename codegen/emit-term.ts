/**
 * Emits the ETF term codec from a `mode: term` schema (schemas/etf.ksy):
 * the tag table, `decodeTerm` (one straight-line case per tag, ending in the
 * runtime constructor named by `-beamwire.build`), and a `put*` writer per
 * encodable tag. Compound tags whose elements are terms get a `put*Header`
 * instead, so the runtime encoder streams elements without building arrays.
 */
import { StructureKind, VariableDeclarationKind, type CodeBlockWriter, type StatementStructures, type WriterFunction } from 'ts-morph';
import { enumMembers, lit, parseCount, pascal, camel, upper, PRIMITIVE_SIZE, type KsyAttr, type KsyType, type Schema } from './ksy.js';

const READ: Record<string, string> = { u1: 'r.u8()', u2: 'r.u16()', u4: 'r.u32()', s4: 'r.i32()', u8: 'r.u64()', f8: 'r.f64()' };
const WRITE: Record<string, string> = { u1: 'u8', u2: 'u16', u4: 'u32', s4: 'i32', u8: 'u64', f8: 'f64' };
const MAX: Record<string, number> = { u1: 0xff, u2: 0xffff, u4: 0xffffffff };
const TS_TYPE: Record<string, string> = { u1: 'number', u2: 'number', u4: 'number', s4: 'number', u8: 'bigint', f8: 'number' };

interface Case {
  name: string;
  tag: number;
  type: KsyType;
}

/** The switch cases of the `term` type, in tag order, with their types. */
function cases(schema: Schema): Case[] {
  const { ksy } = schema;
  const tagEnum = ksy.enums?.['tag'];
  const term = ksy.types?.['term'];
  const body = term?.seq?.find((a) => a.id === 'body');
  if (!tagEnum || !body || typeof body.type !== 'object') throw new Error(`${schema.path}: a term schema needs enum 'tag' and type 'term' with a switch`);
  const byName = new Map(enumMembers(tagEnum).map(([v, id]) => [id, v]));
  const out: Case[] = [];
  for (const [key, typeName] of Object.entries(body.type.cases)) {
    const member = key.replace(/^tag::/, '');
    const tag = byName.get(member);
    const type = ksy.types?.[typeName];
    if (tag === undefined || !type) throw new Error(`${schema.path}: case ${key} names no tag or type`);
    if (type['-beamwire']?.codec === 'reference-only') continue;
    if (!type['-beamwire']?.build) throw new Error(`${schema.path}: /types/${typeName} has no -beamwire.build`);
    out.push({ name: typeName, tag, type });
  }
  return out.sort((a, b) => a.tag - b.tag);
}

/** Fields whose value another field's size or count gives: derived when encoding. */
function derivedFields(seq: KsyAttr[]): Map<string, { from: string; factor: number; kind: 'count' | 'bytes' }> {
  const out = new Map<string, { from: string; factor: number; kind: 'count' | 'bytes' }>();
  for (const a of seq) {
    if (a['repeat-expr'] !== undefined) {
      const c = parseCount(a['repeat-expr']);
      if (c.field) out.set(c.field, { from: a.id, factor: c.factor, kind: 'count' });
    }
    if (typeof a.size === 'string') {
      const c = parseCount(a.size);
      if (c.field) out.set(c.field, { from: a.id, factor: c.factor, kind: 'bytes' });
    }
  }
  return out;
}

const minSize = (a: KsyAttr): number => (typeof a.type === 'string' && PRIMITIVE_SIZE[a.type]) || 1;

function countExpr(expr: number | string): string {
  const c = parseCount(expr);
  return c.constant !== undefined ? String(c.constant) : c.factor === 1 ? camel(c.field!) : `${camel(c.field!)} * ${c.factor}`;
}

const readFn = (c: Case): string => `read${pascal(c.name)}`;

/**
 * One function per tag rather than one big switch body: the interpreter sizes
 * a frame by its function's locals, and every level of nesting holds one
 * decodeTerm frame, so keeping decodeTerm tiny is what lets deep terms fit
 * the stack before the JIT has compiled anything.
 */
function writeDecodeCase(w: CodeBlockWriter, c: Case): void {
  const seq = c.type.seq ?? [];
  const bw = c.type['-beamwire']!;
  w.writeLine(`/** ${upper(c.name)} (tag ${c.tag}), after its tag. */`);
  const needsDepth = seq.some((a) => a.type === 'term');
  const atName = bw.build === 'value' ? '_at' : 'at';
  w.writeLine(`function ${readFn(c)}(r: TermReader, ${atName}: number${needsDepth ? ', depth: number' : ''}): Term {`).indent(() => {
    for (const a of seq) {
      const v = camel(a.id);
      const text = a['-beamwire']?.text;
      if (a.repeat === 'expr') {
        const n = countExpr(a['repeat-expr']!);
        const size = minSize(a);
        w.writeLine(`const ${v}N = ${n};`); // kept separate: the count may be an expression (arity * 2)
        w.writeLine(`if (${v}N${size > 1 ? ` * ${size}` : ''} > r.end - r.pos) r.fail('TRUNCATED', \`${a.id}: \${${v}N} elements cannot fit in \${r.end - r.pos} bytes\`);`);
        const elemType = a.type === 'term' ? 'Term' : TS_TYPE[a.type as string]!;
        w.writeLine(`const ${v} = new Array<${elemType}>(${v}N);`);
        const read = a.type === 'term' ? 'decodeTerm(r, depth + 1)' : READ[a.type as string]!;
        w.writeLine(`for (let i = 0; i < ${v}N; i++) ${v}[i] = ${read};`);
      } else if (a.type === 'term' && a['-beamwire']?.chain) {
        // A tail that is this tag again extends the same list: loop, so a
        // long chain costs neither stack nor repeated copying.
        const rep = seq.find((x) => x.repeat === 'expr' && x.type === 'term')!;
        const count = parseCount(rep['repeat-expr']!).field!;
        w.writeLine(`while (r.pos < r.end && r.buf[r.pos] === ${c.tag}) {`).indent(() => {
          w.writeLine('r.pos++;');
          w.writeLine(`const more = ${READ[seq.find((x) => x.id === count)!.type as string]};`);
          w.writeLine(`if (more > r.end - r.pos) r.fail('TRUNCATED', \`${rep.id}: \${more} elements cannot fit in \${r.end - r.pos} bytes\`);`);
          w.writeLine(`for (let i = 0; i < more; i++) ${camel(rep.id)}.push(decodeTerm(r, depth + 1));`);
          w.writeLine(`${camel(count)} += more;`);
        });
        w.writeLine('}');
        w.writeLine(`const ${v} = decodeTerm(r, depth + 1);`);
      } else if (a.type === 'term') {
        w.writeLine(`const ${v} = decodeTerm(r, depth + 1);`);
      } else if (typeof a.type === 'string') {
        const chained = seq.some((x) => x['-beamwire']?.chain) && seq.some((x) => x['repeat-expr'] === a.id);
        w.writeLine(`${chained ? 'let' : 'const'} ${v} = ${READ[a.type]};`);
      } else if (a['size-eos']) {
        w.writeLine(`const ${v} = r.rest();`);
      } else if (text && a['-beamwire']?.intern) {
        const n = countExpr(a.size!);
        w.writeLine(`r.need(${n});`);
        w.writeLine(`const ${v} = r.pos; // the builder interns from the bytes`);
        w.writeLine(`r.pos += ${n};`);
      } else if (text) {
        const n = countExpr(a.size!);
        w.writeLine(`r.need(${n});`);
        w.writeLine(`const ${v} = ${text === 'utf8' ? 'utf8Decode' : 'latin1Decode'}(r.buf, r.pos, r.pos + ${n});`);
        w.writeLine(`r.pos += ${n};`);
      } else {
        w.writeLine(`const ${v} = r.bytes(${countExpr(a.size!)});`);
      }
    }
    const args = seq.map((a) => camel(a.id));
    if (bw.build === 'value') w.writeLine(`return ${args[0]};`);
    else w.writeLine(`return B.${bw.build}(${['r', 'at', ...args].join(', ')});`);
  });
  w.writeLine('}');
}

/** The test that a value fits a field, as a TS expression over `v`. */
const RANGE: Record<string, (v: string) => string> = {
  u1: (v) => `(${v} & 0xff) === ${v}`,
  u2: (v) => `(${v} & 0xffff) === ${v}`,
  u4: (v) => `${v} >>> 0 === ${v}`,
  s4: (v) => `(${v} | 0) === ${v}`,
  u8: (v) => `${v} >= 0n && ${v} <= 0xffffffffffffffffn`,
};

const PUT: Record<string, string> = { u1: 'p8', u2: 'p16', u4: 'p32', s4: 'pi32', u8: 'p64', f8: 'pf64' };

/**
 * `put<Type>` (every field) or `put<Type>Header` (fields before a repeated
 * term). Runs of fixed-size fields, the tag included, share one `ensure`.
 */
function writePut(w: CodeBlockWriter, c: Case): void {
  const seq = c.type.seq ?? [];
  const derived = derivedFields(seq);
  const repeatedTerm = seq.findIndex((a) => a.repeat === 'expr' && a.type === 'term');
  const sizeOf = seq.some((a) => a['-beamwire']?.['size-of']);
  const header = repeatedTerm >= 0 && !sizeOf;
  const fields = header ? seq.slice(0, repeatedTerm) : seq;
  const isParam = (a: KsyAttr): boolean => header || (!derived.has(a.id) && !a['-beamwire']?.['size-of']);
  const params = fields.filter(isParam).map((a) => {
    const t =
      a.repeat === 'expr'
        ? a.type === 'term'
          ? 'readonly Term[]'
          : `readonly ${TS_TYPE[a.type as string]}[]`
        : a.type === 'term'
          ? 'Term'
          : typeof a.type === 'string'
            ? TS_TYPE[a.type]
            : a['-beamwire']?.text
              ? 'string'
              : 'Uint8Array';
    return `${camel(a.id)}: ${t}`;
  });
  const fn = `put${pascal(c.name)}${header ? 'Header' : ''}`;
  w.writeLine(`/** Writes ${upper(c.name)}${header ? ', up to its elements, which the caller writes next' : ''}. */`);
  w.writeLine(`export function ${fn}(${['e: TermSink', ...params].join(', ')}): void {`).indent(() => {
    const out: string[] = ['const w = e.w;'];
    const line = (l: string): void => {
      out.push(l);
    };
    // A pending run of fixed-size writes: [bytes, statement].
    let run: [number, string][] = [[1, `w.p8(${c.tag});`]];
    const flush = (): void => {
      if (run.length === 0) return;
      line(`w.ensure(${run.reduce((n, [b]) => n + b, 0)});`);
      for (const [, st] of run) line(st);
      run = [];
    };
    const checks: string[] = [];
    for (const a of fields) {
      const v = camel(a.id);
      const d = header ? undefined : derived.get(a.id);
      if (a['-beamwire']?.['size-of'] === 'rest') {
        flush();
        line(`const ${v}At = w.offset();`);
        run.push([4, 'w.p32(0);']);
        continue;
      }
      if (d) {
        if (d.kind === 'bytes' && seq.find((x) => x.id === d.from)?.['-beamwire']?.text) continue; // written with the text
        const src = camel(d.from);
        const value = d.factor === 1 ? `${src}.length` : `${src}.length / ${d.factor}`;
        const t = a.type as string;
        if (t === 'u1' || t === 'u2') checks.push(`if (${value} > ${MAX[t]}) tooLarge(${lit(`${c.name}.${a.id}`)}, ${value}, ${MAX[t]});`);
        run.push([PRIMITIVE_SIZE[t]!, `w.${PUT[t]}(${value});`]);
        continue;
      }
      if (typeof a.type === 'string' && a.type !== 'term' && a.repeat !== 'expr') {
        // A value outside the field's range would be silently wrapped by the write: refuse it first.
        const inRange = RANGE[a.type]?.(v);
        if (inRange) checks.push(`if (!(${inRange})) outOfRange(${lit(`${c.name}.${a.id}`)}, ${v});`);
        run.push([PRIMITIVE_SIZE[a.type]!, `w.${PUT[a.type]}(${v});`]);
        continue;
      }
      if (!a['-beamwire']?.text) flush();
      if (a.repeat === 'expr') {
        if (a.type === 'term') line(`for (const x of ${v}) e.term(x);`);
        else {
          const inRange = RANGE[a.type as string]?.('x');
          if (inRange) checks.push(`for (const x of ${v}) if (!(${inRange})) outOfRange(${lit(`${c.name}.${a.id}`)}, x);`);
          line(`for (const x of ${v}) w.${WRITE[a.type as string]}(x);`);
        }
      } else if (a.type === 'term') line(`e.term(${v});`);
      else if (a['-beamwire']?.text) {
        const lenField = seq.find((x) => x.id === a.size)!;
        const width = PRIMITIVE_SIZE[lenField.type as string]!;
        const enc = a['-beamwire'].text === 'utf8' ? 'utf8Write' : 'latin1Write';
        // One ensure covers the pending fixed fields, the length and the text.
        const pending = run.reduce((n, [b]) => n + b, 0);
        line(`w.ensure(${pending + width} + ${v}.length${enc === 'utf8Write' ? ' * 3' : ''});`);
        for (const [, st] of run) line(st);
        run = [];
        line(`const ${v}At = w.pos;`);
        line(`const ${v}End = ${enc}(w.buf, ${v}At + ${width}, ${v});`);
        line(`const ${v}Len = ${v}End - ${v}At - ${width};`);
        const max = MAX[lenField.type as string]!;
        line(`if (${v}Len > ${max}) tooLarge(${lit(`${c.name}.${lenField.id}`)}, ${v}Len, ${max});`);
        if (width === 1) line(`w.buf[${v}At] = ${v}Len;`);
        else {
          line(`w.buf[${v}At] = ${v}Len >>> 8;`);
          line(`w.buf[${v}At + 1] = ${v}Len & 0xff;`);
        }
        line(`w.pos = ${v}End;`);
      } else {
        if (typeof a.size === 'number') line(`if (${v}.length !== ${a.size}) badSize(${lit(`${c.name}.${a.id}`)}, ${v}.length, ${a.size});`);
        line(`w.bytes(${v});`);
      }
    }
    flush();
    // Range checks go first, so a value that does not fit leaves nothing half-written.
    for (const l of [...checks, ...out]) w.writeLine(l);
    for (const a of fields) if (a['-beamwire']?.['size-of'] === 'rest') w.writeLine(`w.patchU32(${camel(a.id)}At, w.offset() - ${camel(a.id)}At);`);
  });
  w.writeLine('}');
}

export type Statement = string | WriterFunction | StatementStructures;

export function emitTermCodec(schema: Schema): Statement[] {
  const cs = cases(schema);
  const tagEnum = enumMembers(schema.ksy.enums!['tag']!);
  const statements: Statement[] = [];
  statements.push(
    { kind: StructureKind.ImportDeclaration, moduleSpecifier: '../runtime/term/build.js', namespaceImport: 'B' },
    { kind: StructureKind.ImportDeclaration, moduleSpecifier: '../runtime/term/reader.js', namedImports: [{ name: 'TermReader', isTypeOnly: true }] },
    { kind: StructureKind.ImportDeclaration, moduleSpecifier: '../runtime/term/sink.js', namedImports: [{ name: 'TermSink', isTypeOnly: true }] },
    { kind: StructureKind.ImportDeclaration, moduleSpecifier: '../runtime/term/values.js', namedImports: [{ name: 'Term', isTypeOnly: true }] },
    { kind: StructureKind.ImportDeclaration, moduleSpecifier: '../runtime/wire/errors.js', namedImports: ['EncodeError'] },
  );
  const puts = cs.filter((c) => !c.type['-beamwire']?.['decode-only']);
  const texts = (list: Case[], interned: boolean): Set<string> =>
    new Set(list.flatMap((c) => (c.type.seq ?? []).filter((a) => interned || !a['-beamwire']?.intern).map((a) => a['-beamwire']?.text).filter((t) => t !== undefined)));
  const utf8 = [...texts(cs, false)].map((t) => `${t}Decode`).concat([...texts(puts, true)].map((t) => `${t}Write`)).sort();
  if (utf8.length) statements.push({ kind: StructureKind.ImportDeclaration, moduleSpecifier: '../runtime/wire/utf8.js', namedImports: utf8 });
  statements.push({
    kind: StructureKind.VariableStatement,
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: [{ description: `ETF tags (${schema.path}, enum \`tag\`), with the spec's names.` }],
    declarations: [
      {
        name: 'Tag',
        initializer: (w) => {
          w.inlineBlock(() => {
            for (const [v, id] of tagEnum) w.writeLine(`${upper(id)}: ${v},`);
          }).write(' as const');
        },
      },
    ],
  });
  statements.push({
    kind: StructureKind.Function,
    isExported: true,
    name: 'decodeTerm',
    docs: [{ description: 'Decodes one term at `r.pos` (its tag first). Throws DecodeError, and nothing else, on bad input.' }],
    parameters: [{ name: 'r', type: 'TermReader' }, { name: 'depth', type: 'number' }],
    returnType: 'Term',
    statements: (w) => {
      w.writeLine(`if (depth > r.maxDepth) r.fail('DEPTH_LIMIT', \`nested deeper than \${r.maxDepth}\`);`);
      w.writeLine('const at = r.pos;');
      w.writeLine('const tag = r.u8();');
      w.writeLine('switch (tag) {').indent(() => {
        for (const c of cs) {
          const needsDepth = (c.type.seq ?? []).some((a) => a.type === 'term');
          w.writeLine(`case ${c.tag}: return ${readFn(c)}(r, at${needsDepth ? ', depth' : ''}); // ${upper(c.name)}`);
        }
        w.writeLine('default:').indent(() => w.writeLine("return r.fail('BAD_TAG', `unknown tag ${tag}`, at);"));
      });
      w.writeLine('}');
    },
  });
  for (const c of cs) statements.push((w: CodeBlockWriter) => writeDecodeCase(w, c));
  statements.push({
    kind: StructureKind.Function,
    name: 'tooLarge',
    parameters: [{ name: 'path', type: 'string' }, { name: 'n', type: 'number' }, { name: 'max', type: 'number' }],
    returnType: 'never',
    statements: "throw new EncodeError('TOO_LARGE', path, `${n} exceeds the field's maximum ${max}`);",
  });
  statements.push({
    kind: StructureKind.Function,
    name: 'outOfRange',
    parameters: [{ name: 'path', type: 'string' }, { name: 'v', type: 'number | bigint' }],
    returnType: 'never',
    statements: "throw new EncodeError('BAD_VALUE', path, `${v} does not fit the field`);",
  });
  statements.push({
    kind: StructureKind.Function,
    name: 'badSize',
    parameters: [{ name: 'path', type: 'string' }, { name: 'n', type: 'number' }, { name: 'want', type: 'number' }],
    returnType: 'never',
    statements: "throw new EncodeError('BAD_VALUE', path, `${n} bytes where ${want} are required`);",
  });
  for (const c of puts) statements.push((w: CodeBlockWriter) => writePut(w, c));
  return statements;
}
