/**
 * Emits message codecs from a `mode: struct` schema (handshake, EPMD,
 * framing): per enum an `as const` table, per type an interface and a
 * straight-line `decodeX(r)` / `encodeX(w, v)`. Magic bytes (`contents`) are
 * checked and written, length fields derive from what they measure, so a
 * message value holds only what the peer chose. Types marked
 * `-beamwire: {codec: reference-only}` get no TS codec (the runtime handles
 * them by hand) but still get a Kaitai reference parser.
 */
import { StructureKind, VariableDeclarationKind, type CodeBlockWriter } from 'ts-morph';
import type { Statement } from './emit-term.js';
import { camel, enumMembers, lit, parseCount, pascal, upper, type KsyAttr, type KsyType, type Schema } from './ksy.js';

const READ: Record<string, string> = { u1: 'r.u8()', u2: 'r.u16()', u4: 'r.u32()', s4: 'r.i32()', u8: 'r.u64()', f8: 'r.f64()' };
const WRITE: Record<string, string> = { u1: 'u8', u2: 'u16', u4: 'u32', s4: 'i32', u8: 'u64', f8: 'f64' };
const TS: Record<string, string> = { u1: 'number', u2: 'number', u4: 'number', s4: 'number', u8: 'bigint', f8: 'number' };
const MAX: Record<string, number> = { u1: 0xff, u2: 0xffff, u4: 0xffffffff };

function unsupported(schema: Schema, type: string, a: KsyAttr, what: string): never {
  throw new Error(`${schema.path}: /types/${type}/seq/${a.id}: ${what} is not supported by the TS emitter; mark the type -beamwire: {codec: reference-only}`);
}

function contentsBytes(c: KsyAttr['contents']): number[] {
  if (typeof c === 'string') return [...Buffer.from(c, 'utf8')];
  return (c ?? []).flatMap((x) => (typeof x === 'number' ? [x] : [...Buffer.from(x, 'utf8')]));
}

/** Fields another field's size names: derived on encode, absent from the interface. */
function lengthFields(seq: KsyAttr[]): Map<string, KsyAttr> {
  const out = new Map<string, KsyAttr>();
  for (const a of seq) {
    for (const e of [a.size, a['repeat-expr']]) {
      if (typeof e !== 'string') continue;
      const c = parseCount(e);
      if (c.field && c.factor === 1) out.set(c.field, a);
    }
  }
  return out;
}

function fieldType(schema: Schema, typeName: string, a: KsyAttr): string {
  if (a.repeat) unsupported(schema, typeName, a, 'repeat');
  if (typeof a.type === 'object') return [...new Set(Object.values(a.type.cases))].map(pascal).join(' | ');
  if (a.type === 'str') return 'string';
  if (a.type === undefined) return 'Uint8Array';
  if (schema.ksy.types?.[a.type]) return pascal(a.type);
  const t = TS[a.type];
  if (!t) unsupported(schema, typeName, a, `type ${a.type}`);
  return t;
}

/** The enum value a `switch-on` case key names ('request_tag::alive2_req' → 120). */
function caseValue(schema: Schema, key: string): string {
  const [e, m] = key.split('::');
  const found = enumMembers(schema.ksy.enums?.[e!] ?? {}).find(([, id]) => id === m);
  if (!found) throw new Error(`${schema.path}: case ${key} names no enum member`);
  return String(found[0]);
}

function emitType(schema: Schema, name: string, t: KsyType, out: Statement[]): void {
  const seq = t.seq ?? [];
  const lengths = lengthFields(seq);
  const fields = seq.filter((a) => a.contents === undefined && !lengths.has(a.id));
  const iface = pascal(name);
  out.push({
    kind: StructureKind.Interface,
    isExported: true,
    name: iface,
    docs: [{ description: `${(t.doc ?? upper(name)).trim()}${t['doc-ref'] ? `\n\n@see ${t['doc-ref']}` : ''}` }],
    properties: fields.map((a) => ({ name: camel(a.id), type: fieldType(schema, name, a), isReadonly: true, ...(a.doc ? { docs: [a.doc.trim()] } : {}) })),
  });
  const path = (a: KsyAttr): string => lit(`${name}.${a.id}`);
  out.push((w: CodeBlockWriter) => {
    w.writeLine(`/** Reads ${upper(name)} at \`r.pos\`. */`);
    w.writeLine(`export function read${iface}(${seq.length ? 'r' : '_r'}: Reader): ${iface} {`).indent(() => {
      for (const a of seq) {
        const v = camel(a.id);
        if (a.contents !== undefined) {
          w.writeLine(`expect(r, [${contentsBytes(a.contents).join(', ')}], ${path(a)});`);
          continue;
        }
        const size = a.size === undefined ? undefined : typeof a.size === 'number' ? String(a.size) : camel(parseCount(a.size).field!);
        let read: string;
        if (typeof a.type === 'object') {
          const on = camel(a.type['switch-on']);
          w.writeLine(`let ${v}: ${fieldType(schema, name, a)};`);
          w.writeLine(`switch (${on}) {`).indent(() => {
            for (const [key, t] of Object.entries((a.type as { cases: Record<string, string> }).cases))
              w.writeLine(`case ${caseValue(schema, key)}: ${v} = read${pascal(t)}(r); break;`);
            w.writeLine(`default: throw new DecodeError('BAD_TAG', r.pos, \`no case for \${${on}}\`, ${path(a)});`);
          });
          w.writeLine('}');
          continue;
        } else if (a.type === 'str') read = `{ r.need(${size}); const s = utf8Decode(r.buf, r.pos, r.pos + ${size}); r.pos += ${size}; return s; }`;
        else if (a.type === undefined) read = a['size-eos'] ? 'r.rest()' : `r.bytes(${size})`;
        else if (schema.ksy.types?.[a.type]) read = size ? `decode${pascal(a.type)}(sub(r, ${size}))` : `read${pascal(a.type)}(r)`;
        else read = READ[a.type]!;
        w.writeLine(`const ${v} = field(r, ${path(a)}, () => ${read});`);
        if (a.enum && (a as { valid?: { 'in-enum'?: boolean } }).valid?.['in-enum'])
          w.writeLine(`if (!${enumConst(a.enum)}Values.has(${v})) throw new DecodeError('BAD_TAG', r.pos, \`\${${v}} is not a ${a.enum}\`, ${path(a)});`);
      }
      w.writeLine(`return { ${fields.map((a) => camel(a.id)).join(', ')} };`);
    });
    w.writeLine('}');
    w.blankLine();
    w.writeLine(`/** Decodes ${upper(name)} from \`r\`, which must hold exactly the message. */`);
    w.writeLine(`export function decode${iface}(r: Reader): ${iface} {`).indent(() => {
      w.writeLine(`const v = read${iface}(r);`);
      w.writeLine(`if (r.pos !== r.end) throw new DecodeError('TRAILING_BYTES', r.pos, \`\${r.end - r.pos} bytes after the message\`, ${lit(name)});`);
      w.writeLine('return v;');
    });
    w.writeLine('}');
    w.blankLine();
    w.writeLine(`/** Encodes ${upper(name)}; length fields are computed. */`);
    w.writeLine(`export function encode${iface}(${seq.length ? 'w' : '_w'}: Writer, ${fields.length ? 'v' : '_v'}: ${iface}): void {`).indent(() => {
      for (const a of seq) {
        if (a.contents !== undefined) {
          w.writeLine(`w.bytes(Uint8Array.of(${contentsBytes(a.contents).join(', ')}));`);
          continue;
        }
        const measured = lengths.get(a.id);
        if (measured) {
          const src = `v.${camel(measured.id)}`;
          const userType = typeof measured.type === 'string' && schema.ksy.types?.[measured.type] ? pascal(measured.type) : undefined;
          if (userType) w.writeLine(`const ${camel(measured.id)}Bytes = encodeToBytes((w2) => encode${userType}(w2, ${src}));`);
          const len = userType ? `${camel(measured.id)}Bytes.length` : measured.type === 'str' ? `utf8Length(${src})` : `${src}.length`;
          const t = a.type as string;
          w.writeLine(`const ${camel(a.id)} = ${len};`);
          if (MAX[t] !== undefined) w.writeLine(`if (${camel(a.id)} > ${MAX[t]}) throw new EncodeError('TOO_LARGE', ${path(a)}, \`\${${camel(a.id)}} exceeds ${MAX[t]}\`);`);
          w.writeLine(`w.${WRITE[t]}(${camel(a.id)});`);
          continue;
        }
        const v = `v.${camel(a.id)}`;
        if (typeof a.type === 'object') {
          const on = `v.${camel(a.type['switch-on'])}`;
          w.writeLine(`switch (${on}) {`).indent(() => {
            for (const [key, t] of Object.entries((a.type as { cases: Record<string, string> }).cases))
              w.writeLine(`case ${caseValue(schema, key)}: encode${pascal(t)}(w, ${v} as ${pascal(t)}); break;`);
            w.writeLine(`default: throw new EncodeError('BAD_VALUE', ${path(a)}, \`no case for \${${on}}\`);`);
          });
          w.writeLine('}');
        } else if (a.type === 'str') w.writeLine(`w.bytes(utf8Encode(${v}));`);
        else if (a.type === undefined) {
          if (typeof a.size === 'number') w.writeLine(`if (${v}.length !== ${a.size}) throw new EncodeError('BAD_VALUE', ${path(a)}, \`\${${v}.length} bytes where ${a.size} are required\`);`);
          w.writeLine(`w.bytes(${v});`);
        } else if (schema.ksy.types?.[a.type]) {
          w.writeLine(lengths.size && [...lengths.values()].includes(a) ? `w.bytes(${camel(a.id)}Bytes);` : `encode${pascal(a.type)}(w, ${v});`);
        } else w.writeLine(`w.${WRITE[a.type]}(${v});`);
      }
    });
    w.writeLine('}');
  });
}

const enumConst = (id: string): string => pascal(id);

function emitEnum(id: string, e: NonNullable<Schema['ksy']['enums']>[string], out: Statement[]): void {
  const members = enumMembers(e);
  const big = members.some(([v]) => v > 0x7fffffff);
  const name = enumConst(id);
  out.push({
    kind: StructureKind.VariableStatement,
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: [{ description: `Enum \`${id}\`, with the spec's names.` }],
    declarations: [
      {
        name,
        initializer: (w) => {
          w.inlineBlock(() => {
            for (const [v, m] of members) w.writeLine(`${upper(m)}: ${big ? `0x${v.toString(16)}n` : v},`);
          }).write(' as const');
        },
      },
    ],
  });
  out.push({
    kind: StructureKind.VariableStatement,
    declarationKind: VariableDeclarationKind.Const,
    isExported: true,
    declarations: [{ name: `${name}Values`, type: `ReadonlySet<${big ? 'bigint' : 'number'}>`, initializer: `new Set(Object.values(${name}))` }],
  });
}

export function emitStructCodec(schema: Schema): Statement[] {
  const out: Statement[] = [];
  const body: Statement[] = [];
  for (const [id, e] of Object.entries(schema.ksy.enums ?? {}).sort(([a], [b]) => a.localeCompare(b))) emitEnum(id, e, body);
  const types = Object.entries(schema.ksy.types ?? {}).filter(([, t]) => t['-beamwire']?.codec !== 'reference-only');
  for (const [name, t] of types) emitType(schema, name, t, body);
  if (types.length) {
    out.push(
      { kind: StructureKind.ImportDeclaration, moduleSpecifier: '../runtime/wire/errors.js', namedImports: ['DecodeError', 'EncodeError'] },
      { kind: StructureKind.ImportDeclaration, moduleSpecifier: '../runtime/wire/reader.js', namedImports: [{ name: 'Reader', isTypeOnly: true }] },
      { kind: StructureKind.ImportDeclaration, moduleSpecifier: '../runtime/wire/struct.js', namedImports: ['encodeToBytes', 'expect', 'field', 'sub', 'utf8Length'] },
      { kind: StructureKind.ImportDeclaration, moduleSpecifier: '../runtime/wire/utf8.js', namedImports: ['utf8Decode', 'utf8Encode'] },
      { kind: StructureKind.ImportDeclaration, moduleSpecifier: '../runtime/wire/writer.js', namedImports: [{ name: 'Writer', isTypeOnly: true }] },
    );
  }
  return [...out, ...body];
}
