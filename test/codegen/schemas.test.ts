/**
 * The schema checks of codegen/validate.ts and the reference compilation of
 * codegen/kaitai.ts: every schema in schemas/ passes and compiles, and
 * malformed schemas written inline fail with the file and the JSON path of
 * each problem.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { compileReference, kaitaiClassName, REFERENCE_DIR } from '../../codegen/kaitai.js';
import { allTypes, enumMembers, expressionNames, isReferenceOnly, SchemaError, validateSchemas } from '../../codegen/validate.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const schemaFiles = readdirSync(join(root, 'schemas'))
  .filter((f) => f.endsWith('.ksy'))
  .sort()
  .map((f) => ({ path: `schemas/${f}`, text: readFileSync(join(root, 'schemas', f), 'utf8') }));

/** The problems validateSchemas reports, one string per problem. */
function problemsOf(files: { path: string; text: string }[]): string[] {
  try {
    validateSchemas(files);
  } catch (e) {
    expect(e).toBeInstanceOf(SchemaError);
    return (e as SchemaError).message.split('\n');
  }
  throw new Error('expected a SchemaError');
}

/** A valid little schema; each test breaks one thing in it. */
const GOOD = `
meta:
  id: demo
  endian: be
doc: A demo.
doc-ref: nowhere
types:
  message:
    doc: A message.
    doc-ref: nowhere
    seq:
      - id: tag
        type: u1
        enum: kind
        valid:
          in-enum: true
      - id: count
        type: u2
      - id: items
        type: u4
        repeat: expr
        repeat-expr: count
      - id: nlen
        type: u1
      - id: name
        type: str
        size: nlen
        encoding: UTF-8
      - id: body
        type:
          switch-on: tag
          cases:
            'kind::ping': ping
  ping:
    doc: Nothing.
    doc-ref: nowhere
enums:
  kind:
    120: ping
    0x79: pong
`;

const one = (text: string, path = 'schemas/demo.ksy'): { path: string; text: string }[] => [{ path, text }];

describe('the schemas in schemas/', () => {
  test('all validate', () => {
    expect(schemaFiles.map((f) => f.path)).toEqual(expect.arrayContaining(['schemas/epmd.ksy', 'schemas/framing.ksy', 'schemas/handshake.ksy']));
    const schemas = validateSchemas(schemaFiles);
    expect(schemas.map((s) => s.path)).toEqual(schemaFiles.map((f) => f.path));
    for (const s of schemas) expect(`schemas/${s.id}.ksy`).toBe(s.path);
  });

  test('every type has doc and doc-ref, and every enum-typed tag field is checked with in-enum', () => {
    for (const s of validateSchemas(schemaFiles)) {
      for (const { pointer, type } of allTypes(s.ksy)) {
        expect(type.doc, `${s.path}: ${pointer || '/'} doc`).toBeTruthy();
        expect(type['doc-ref'], `${s.path}: ${pointer || '/'} doc-ref`).toBeTruthy();
        for (const a of type.seq ?? []) {
          if (a.enum === undefined) continue;
          const switched = (type.seq ?? []).some((b) => typeof b.type === 'object' && b.type['switch-on'] === a.id);
          if (switched) expect(a.valid, `${s.path}: ${pointer}/${a.id}`).toEqual({ 'in-enum': true });
        }
      }
    }
  });

  test('the spec tables are there with the spec names and tags', () => {
    const byId = new Map(validateSchemas(schemaFiles).map((s) => [s.id, s.ksy]));
    const epmd = byId.get('epmd')!;
    expect(enumMembers(epmd.enums!['request_tag']!).map((m) => [m.value, m.id])).toEqual([
      [100, 'dump_req'],
      [107, 'kill_req'],
      [110, 'names_req'],
      [115, 'stop_req'],
      [120, 'alive2_req'],
      [122, 'port_please2_req'],
    ]);
    expect(enumMembers(epmd.enums!['response_tag']!).map((m) => [m.value, m.id])).toEqual([
      [118, 'alive2_x_resp'],
      [119, 'port2_resp'],
      [121, 'alive2_resp'],
    ]);
    const handshake = byId.get('handshake')!;
    expect(Object.keys(handshake.types!).sort()).toEqual(
      ['challenge_ack', 'challenge_reply', 'old_send_name', 'send_challenge', 'send_complement', 'send_name', 'send_status', 'send_status_named'].sort(),
    );
    const framing = byId.get('framing')!;
    expect(enumMembers(framing.enums!['dist_header_tag']!).map((m) => [m.value, m.id])).toEqual([
      [68, 'dist_header'],
      [69, 'dist_frag_header'],
      [70, 'dist_frag_cont'],
    ]);
    // What the runtime must handle by hand.
    const refOnly = (ksy: typeof framing): string[] =>
      Object.entries(ksy.types ?? {})
        .filter(([, t]) => isReferenceOnly(t))
        .map(([n]) => n)
        .sort();
    expect(refOnly(epmd)).toEqual(['port2_resp', 'response']);
    expect(refOnly(handshake)).toEqual([]);
    expect(refOnly(framing)).toEqual(['atom_cache_header', 'atom_cache_ref', 'dist_frag_header', 'dist_header', 'dist_packet', 'packet']);
  });
});

describe('malformed schemas are rejected with the file and the JSON path', () => {
  test('the demo schema itself is fine', () => {
    expect(validateSchemas(one(GOOD))[0]!.id).toBe('demo');
  });

  test('a typo in an attribute key', () => {
    const problems = problemsOf(one(GOOD.replace('        repeat-expr: count', '        repeat-exp: count')));
    expect(problems).toContain("schemas/demo.ksy: /types/message/seq/2/repeat-exp is not an allowed key here (line 22)");
    expect(problems).toContain("schemas/demo.ksy: /types/message/seq/2 must have the key 'repeat-expr' (line 19)");
  });

  test('a key in the wrong place', () => {
    const problems = problemsOf(one(GOOD.replace('    doc: Nothing.', '    doc: Nothing.\n    encoding: UTF-8')));
    expect(problems).toEqual(['schemas/demo.ksy: /types/ping/encoding is not an allowed key here (line 36)']);
  });

  test('an id that is not a Kaitai id', () => {
    const problems = problemsOf(one(GOOD.replace('- id: count', '- id: Count').replace('repeat-expr: count', 'repeat-expr: Count')));
    expect(problems[0]).toBe(
      "schemas/demo.ksy: /types/message/seq/1/id must be a Kaitai id: lower case letter, then lower case letters, digits or '_' (line 17)",
    );
  });

  test('an unknown primitive or user type', () => {
    expect(problemsOf(one(GOOD.replace('        type: u2', '        type: u3')))).toEqual([
      "schemas/demo.ksy: /types/message/seq/1/type refers to the unknown type 'u3' (line 18)",
    ]);
    expect(problemsOf(one(GOOD.replace("'kind::ping': ping", "'kind::ping': pingg")))).toEqual([
      "schemas/demo.ksy: /types/message/seq/5/type/cases/kind::ping refers to the unknown type 'pingg' (line 33)",
    ]);
    expect(problemsOf(one(GOOD.replace('        type: u2', '        type: U2')))[0]).toMatch(
      /^schemas\/demo\.ksy: \/types\/message\/seq\/1\/type must be a type name or a switch-on\/cases object \(line 18\)$/,
    );
  });

  test('an unknown enum or enum member', () => {
    expect(problemsOf(one(GOOD.replace('enum: kind', 'enum: kinds')))).toEqual([
      "schemas/demo.ksy: /types/message/seq/0/enum refers to the unknown enum 'kinds' (line 14)",
    ]);
    expect(problemsOf(one(GOOD.replace("'kind::ping'", "'kind::pang'")))).toEqual([
      "schemas/demo.ksy: /types/message/seq/5/type/cases/kind::pang refers to 'pang', which is not a member of enum 'kind' (line 33)",
    ]);
  });

  test('repeat-expr or size naming a field that does not exist, or comes later', () => {
    expect(problemsOf(one(GOOD.replace('repeat-expr: count', 'repeat-expr: counts')))).toEqual([
      "schemas/demo.ksy: /types/message/seq/2/repeat-expr refers to 'counts', which is not a field, param or instance of this type (line 22)",
    ]);
    expect(problemsOf(one(GOOD.replace('size: nlen', 'size: name_len * 2')))).toEqual([
      "schemas/demo.ksy: /types/message/seq/4/size refers to 'name_len', which is not a field, param or instance of this type (line 27)",
    ]);
    expect(problemsOf(one(GOOD.replace('repeat-expr: count', 'repeat-expr: nlen')))).toEqual([
      "schemas/demo.ksy: /types/message/seq/2/repeat-expr refers to 'nlen', which is not declared before this field (seq/3) (line 22)",
    ]);
    expect(problemsOf(one(GOOD.replace('switch-on: tag', 'switch-on: tags')))).toEqual([
      "schemas/demo.ksy: /types/message/seq/5/type/switch-on refers to 'tags', which is not a field, param or instance of this type (line 31)",
    ]);
  });

  test('a duplicate enum value, enum id or field id', () => {
    expect(problemsOf(one(GOOD.replace('0x79: pong', '0x78: pong')))).toEqual([
      'schemas/demo.ksy: /enums/kind/120 duplicate enum value 120 (first at line 39) (line 40)',
    ]);
    expect(problemsOf(one(GOOD.replace('0x79: pong', '0x79: ping')))).toEqual([
      "schemas/demo.ksy: /enums/kind/121 duplicate enum id 'ping' (also 120) (line 40)",
    ]);
    expect(problemsOf(one(GOOD.replace('- id: nlen', '- id: count')))).toContain(
      "schemas/demo.ksy: /types/message/seq/3/id duplicate id 'count' (also /types/message/seq/1/id) (line 23)",
    );
  });

  test('keys that do not go together', () => {
    expect(problemsOf(one(GOOD.replace('        type: u2', '        type: u2\n        size: 2')))).toEqual([
      'schemas/demo.ksy: /types/message/seq/1/size is not allowed with the fixed-size type u2 (line 19)',
    ]);
    expect(problemsOf(one(GOOD.replace('        encoding: UTF-8\n', '')))).toEqual([
      'schemas/demo.ksy: /types/message/seq/4/type str needs an encoding (here or in meta) (line 26)',
    ]);
    expect(problemsOf(one(GOOD.replace('        valid:\n          in-enum: true\n', '        valid:\n          in-enum: true\n        size-eos: true\n')))).toEqual([
      'schemas/demo.ksy: /types/message/seq/0/size-eos is not allowed with the fixed-size type u1 (line 17)',
    ]);
  });

  test('the -beamwire extension only where the emitters read it, with known values', () => {
    expect(problemsOf(one(GOOD.replace('    doc: Nothing.', '    doc: Nothing.\n    -beamwire: {codec: reference_only}')))).toEqual([
      'schemas/demo.ksy: /types/ping/-beamwire/codec must be one of "reference-only" (line 36)',
    ]);
    expect(problemsOf(one(GOOD.replace('      - id: count\n', '      - id: count\n        -beamwire: {codec: reference-only}\n')))).toEqual([
      'schemas/demo.ksy: /types/message/seq/1/-beamwire/codec is not an allowed key here (line 18)',
    ]);
    expect(validateSchemas(one(GOOD.replace('    doc: Nothing.', '    doc: Nothing.\n    -beamwire: {codec: reference-only}')))[0]!.ksy.types!['ping']!['-beamwire']).toEqual({
      codec: 'reference-only',
    });
  });

  test('meta: id must match the file name; imports must name a given schema', () => {
    expect(problemsOf(one(GOOD, 'schemas/other.ksy'))).toEqual(["schemas/other.ksy: /meta/id must equal the file name 'other' (got 'demo') (line 3)"]);
    expect(problemsOf(one(GOOD.replace('  endian: be', '  endian: be\n  imports: [missing]')))).toEqual([
      "schemas/demo.ksy: /meta/imports/0 imports 'missing', but schemas/missing.ksy is not among the schemas (line 5)",
    ]);
    expect(problemsOf(one(GOOD.replace('  endian: be\n', '')))).toEqual(["schemas/demo.ksy: /meta must have the key 'endian' (line 2)"]);
  });

  test('invalid YAML is reported with its line', () => {
    expect(problemsOf(one('meta: {id: demo\nseq: [')).join('\n')).toMatch(/^schemas\/demo\.ksy: \/ is not valid YAML: .* \(line \d+\)/);
  });

  test('problems of several files are reported together', () => {
    const problems = problemsOf([
      { path: 'schemas/demo.ksy', text: GOOD.replace('type: u2', 'type: u3') },
      { path: 'schemas/other.ksy', text: GOOD.replace('id: demo', 'id: other').replace('enum: kind', 'enum: kinds') },
    ]);
    expect(problems).toEqual([
      "schemas/demo.ksy: /types/message/seq/1/type refers to the unknown type 'u3' (line 18)",
      "schemas/other.ksy: /types/message/seq/0/enum refers to the unknown enum 'kinds' (line 14)",
    ]);
    let caught: unknown;
    try {
      validateSchemas([{ path: 'schemas/demo.ksy', text: GOOD.replace('type: u2', 'type: u3') }]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SchemaError);
    expect((caught as SchemaError).problems).toEqual([
      { file: 'schemas/demo.ksy', path: '/types/message/seq/1/type', message: "refers to the unknown type 'u3'", line: 18 },
    ]);
  });

  test('imports between schemas resolve, and an imported root type can be used', async () => {
    const base = `meta: {id: base, endian: be}\ndoc: b\ndoc-ref: r\nseq:\n  - id: x\n    type: u1\n`;
    const user = `meta: {id: user, endian: be, imports: [base]}\ndoc: u\ndoc-ref: r\nseq:\n  - id: b\n    type: base\n    repeat: eos\n`;
    const schemas = validateSchemas([
      { path: 'schemas/user.ksy', text: user },
      { path: 'schemas/base.ksy', text: base },
    ]);
    const out = await compileReference(schemas);
    expect([...out.keys()]).toEqual([`${REFERENCE_DIR}/Base.cjs`, `${REFERENCE_DIR}/User.cjs`]);
    expect(out.get(`${REFERENCE_DIR}/User.cjs`)).toContain("require('./Base.cjs')");
  });
});

describe('expressionNames', () => {
  test('finds the field names an expression uses', () => {
    expect(expressionNames('count')).toEqual(['count']);
    expect(expressionNames('len * 2 + other')).toEqual(['len', 'other']);
    expect(expressionNames('n == 0 ? 0 : n / 2 + 1')).toEqual(['n']);
    expect(expressionNames("_parent.flags[i / 2] >> 4 & 0xf != 0 and kind::ping == tag and not ok")).toEqual(['i', 'tag', 'ok']);
    expect(expressionNames("x.size + 'str'.length + sizeof<u4> + (y as<u2>)")).toEqual(['x', 'y']);
  });
});

describe('compileReference', () => {
  test('compiles every schema into generated/reference/<Class>.cjs with a DO NOT EDIT header', async () => {
    const schemas = validateSchemas(schemaFiles);
    const out = await compileReference(schemas);
    expect([...out.keys()]).toEqual(schemas.map((s) => `${REFERENCE_DIR}/${kaitaiClassName(s.id)}.cjs`).sort());
    for (const s of schemas) {
      const text = out.get(`${REFERENCE_DIR}/${kaitaiClassName(s.id)}.cjs`)!;
      expect(text.split('\n')[0]).toBe(
        `// Generated by codegen/kaitai.ts from ${s.path} with kaitai-struct-compiler 0.11.0. DO NOT EDIT; run \`npm run gen\`.`,
      );
      expect(text).toContain(`${kaitaiClassName(s.id)}_.${kaitaiClassName(s.id)} = ${kaitaiClassName(s.id)};`);
    }
  });

  test('is deterministic: twice, and in any input order, the same output', async () => {
    const schemas = validateSchemas(schemaFiles);
    const a = await compileReference(schemas);
    const b = await compileReference([...schemas].reverse());
    expect([...b.entries()]).toEqual([...a.entries()]);
  });

  test('leaves the validated schemas untouched', async () => {
    const schemas = validateSchemas(schemaFiles);
    const before = JSON.stringify(schemas.map((s) => s.ksy));
    await compileReference(schemas);
    expect(JSON.stringify(schemas.map((s) => s.ksy))).toBe(before);
  });

  test("reports the compiler's own rejections with the file and its path", async () => {
    const text = `meta: {id: demo, endian: be}\ndoc: d\ndoc-ref: r\nseq:\n  - id: len\n    type: u1\n  - id: data\n    size: len.frobnicate\n`;
    await expect(compileReference(validateSchemas(one(text)))).rejects.toThrow(
      /^schemas\/demo\.ksy: \/seq\/1\/size kaitai-struct-compiler: don't know how to call method 'frobnicate'/,
    );
  });
});
