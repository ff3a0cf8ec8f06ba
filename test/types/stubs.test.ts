/**
 * Compiles test/types/stubs.ts with the TypeScript compiler API and the
 * repo's tsconfig.json and demands zero diagnostics: the stubs accept what
 * they should, and every `@ts-expect-error` there marks a real error (an
 * unused one is itself a diagnostic). Then shows the check has teeth: the same
 * file with one directive removed, or one stub argument changed, fails.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { printFile } from '../../codegen/emit.js';
import { emitServices } from '../../codegen/emit-services.js';
import { validateServices } from '../../codegen/services.js';
import { diagnostics } from '../support/typecheck.js';

const root = resolve(import.meta.dirname, '../..');
const file = resolve(root, 'test/types/stubs.ts');
const source = readFileSync(file, 'utf8');

/** The diagnostics of `files` (path → text, on top of the disk; the first is the root), as `line: message`. */
const diagnose = (text: string, files: ReadonlyMap<string, string> = new Map([[file, text]])): string[] => diagnostics(files);

describe('test/types/stubs.ts under tsc', () => {
  it('has zero diagnostics: right calls compile, every @ts-expect-error is a real error', () => {
    expect(diagnose(source)).toEqual([]);
  }, 120_000);

  it('fails when a directive is removed, and when a directive has nothing left to excuse', () => {
    const directive = "  // @ts-expect-error a string is not an integer\n";
    expect(source).toContain(directive);
    const bare = diagnose(source.replace(directive, ''));
    expect(bare.join('\n')).toMatch(/Argument of type 'string' is not assignable to parameter of type 'number'/);
    const fixed = diagnose(source.replace("lists.seq(caller, 'erl@h', '1', 10)", "lists.seq(caller, 'erl@h', 1, 10)"));
    expect(fixed.join('\n')).toMatch(/Unused '@ts-expect-error' directive/);
  }, 120_000);
});

/** Every compound type and an optional key, which the shipped schemas do not all use. */
const DEMO = `
module: demo
doc: Every type of the vocabulary.
types:
  point:
    type: {record: {name: point, fields: [{name: x, type: integer}, {name: y, type: float}]}}
  shape:
    type: {map: [{name: kind, type: {atoms: [circle, square]}}, {name: at, type: {ref: point}}, {name: label, type: binary, optional: true}]}
  everything:
    type:
      tuple: [atom, bigint, number, boolean, bytes, charlist, pid, reference, term, {map_of: [atom, {list: {ref: shape}}]}, {map: []}, {tuple: []}]
functions:
  - name: area
    doc: The area.
    args: [{name: shape, type: {ref: shape}}, {name: all, type: {ref: everything}}]
    result: {list: {ref: point}}
`;

describe('a generated file using every type of the vocabulary', () => {
  it('compiles under the repo tsconfig: each converter has exactly the TS type written beside it', () => {
    const [v] = validateServices([{ path: 'schemas/services/demo.service.yaml', text: DEMO }]);
    const text = printFile('generated/services/demo.ts', v!.path, emitServices(v!));
    const use = `
import { demo, exposeDemo, type Shape } from './demo.js';
import type { RpcCaller } from '../../runtime/stubs/index.js';
declare const caller: RpcCaller;
const s: Shape = { kind: 'circle', at: { x: 1, y: 0.5 } };
export const p: Promise<{ x: number; y: number }[]> = demo.area(caller, 'n@h', s, ['a', 1n, 1, true, new Uint8Array(), '', null!, null!, 1, new Map(), {}, []]);
// @ts-expect-error kind is circle or square
export const bad: Shape = { kind: 'triangle', at: { x: 1, y: 2 } };
export const server = exposeDemo({ area: (shape) => [shape.at] });
`;
    const files = new Map([
      [resolve(root, 'generated/services/demo.ts'), text],
      [resolve(root, 'generated/services/demo-use.ts'), use],
    ]);
    expect(diagnose('', files)).toEqual([]);
    expect(diagnose('', new Map([...files].map(([p, t]) => [p, t.replace('// @ts-expect-error kind is circle or square\n', '')])))).toEqual([
      expect.stringMatching(/^generated\/services\/demo-use\.ts:\d+: Type '"triangle"' is not assignable to type '"circle" \| "square"'/),
    ]);
  }, 120_000);
});
