// The structure written in README.md ("Layers of runtime/") holds for every import in runtime/ and generated/:
// no import from a higher layer or a sibling folder of the same layer, folders with an index.ts entered only
// through it, no cycle inside a folder. The README line is the source: change the order there, not here.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** `a → b | c → d` as layer numbers: { a: 0, b: 1, c: 1, d: 2 }. */
function layersFromReadme(): Map<string, number> {
  const line = /<!-- layers -->`([^`]+)`/.exec(readFileSync(join(root, 'README.md'), 'utf8'));
  if (line === null) throw new Error('README.md has no <!-- layers --> line');
  const layers = new Map<string, number>();
  line[1]!.split('→').forEach((level, i) => level.split('|').forEach((f) => layers.set(f.trim(), i)));
  return layers;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : p.endsWith('.ts') ? [p] : [];
  });
}

interface Import {
  readonly from: string;
  readonly to: string;
  /** `import type` / `export type`: erased, yet still structure. */
  readonly typeOnly: boolean;
}

/** Every relative import and re-export, static or dynamic, with the target resolved to a .ts file. */
function importsOf(file: string): Import[] {
  const src = readFileSync(file, 'utf8');
  const out: Import[] = [];
  const re = /(?:^|\n)\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
  for (const m of src.matchAll(re)) {
    const spec = m[3] ?? m[4]!;
    out.push({ from: file, to: resolve(dirname(file), spec).replace(/\.js$/, '.ts'), typeOnly: m[2] !== undefined });
  }
  return out;
}

/**
 * `runtime/process/table.ts` → 'process'; `generated/x.ts` → 'generated', `generated/services/x.ts` →
 * 'generated/services'; `runtime/index.ts` → 'index'; anything outside runtime/ and generated/ → 'outside'.
 */
function folderOf(file: string): string {
  const [top, second] = relative(root, file).split('/');
  if (top === 'generated') return second === 'services' ? 'generated/services' : 'generated';
  if (top !== 'runtime') return 'outside';
  return second!.endsWith('.ts') ? 'index' : second!;
}

const files = [...filesUnder(join(root, 'runtime')), ...filesUnder(join(root, 'generated'))];
const imports = files.flatMap(importsOf);
const layers = layersFromReadme();

/** Imports that go up a layer or sideways to a sibling folder. */
function against(list: Import[]): string[] {
  return list
    .filter((i) => folderOf(i.from) !== 'index')
    .filter((i) => {
      const a = folderOf(i.from);
      const b = folderOf(i.to);
      if (b === 'index') return true; // the package's facade is for users, not for layers
      if (b === 'outside') return a !== 'cli'; // the CLI's `gen` loads the generator in codegen/
      return a !== b && layers.get(b)! >= layers.get(a)!;
    })
    .map((i) => `${relative(root, i.from)} imports ${relative(root, i.to)}`);
}

/** Import cycles among the files of one folder, each as `a → b → a`. */
function cyclesIn(list: Import[]): string[] {
  const graph = new Map<string, string[]>();
  for (const i of list) if (folderOf(i.from) === folderOf(i.to)) graph.set(i.from, [...(graph.get(i.from) ?? []), i.to]);
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (f: string, path: string[]): void => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') return void cycles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(root, p)).join(' → '));
    state.set(f, 'open');
    for (const t of graph.get(f) ?? []) visit(t, [...path, f]);
    state.set(f, 'done');
  };
  for (const f of graph.keys()) visit(f, []);
  return cycles;
}

describe('the layers README.md writes down', () => {
  it('name every folder of runtime/', () => {
    const folders = new Set(files.map(folderOf).filter((f) => f !== 'index'));
    expect(folders.has('process') && folders.has('generated/services')).toBe(true);
    expect([...folders].filter((f) => !layers.has(f))).toEqual([]);
  });

  it('hold for every import: down or within a folder, never up or sideways', () => {
    expect(against(imports)).toEqual([]);
  });

  it('enter a folder that has an index.ts only through it', () => {
    const withIndex = new Set(files.filter((f) => f.endsWith('/index.ts')).map(folderOf).filter((f) => f !== 'index'));
    const wrong = imports
      .filter((i) => folderOf(i.from) !== folderOf(i.to) && withIndex.has(folderOf(i.to)) && !i.to.endsWith('/index.ts'))
      .map((i) => `${relative(root, i.from)} imports ${relative(root, i.to)}`);
    expect(wrong).toEqual([]);
  });

  it('leave no import cycle inside a folder (type-only imports count)', () => {
    expect(cyclesIn(imports)).toEqual([]);
  });

  it('catch what they forbid: a planted upward import, a sideways one, and a cycle', () => {
    const at = (p: string): string => join(root, p);
    const planted: Import[] = [
      { from: at('runtime/process/table.ts'), to: at('runtime/node/node.ts'), typeOnly: true },
      { from: at('runtime/rpc/calls.ts'), to: at('runtime/stubs/index.ts'), typeOnly: false },
      { from: at('runtime/node/node.ts'), to: at('runtime/process/table.ts'), typeOnly: false },
      { from: at('runtime/process/table.ts'), to: at('runtime/process/context.ts'), typeOnly: false },
      { from: at('runtime/process/context.ts'), to: at('runtime/process/table.ts'), typeOnly: true },
    ];
    expect(against(planted)).toEqual(['runtime/process/table.ts imports runtime/node/node.ts', 'runtime/rpc/calls.ts imports runtime/stubs/index.ts']);
    expect(cyclesIn(planted)).toEqual(['runtime/process/table.ts → runtime/process/context.ts → runtime/process/table.ts']);
    // The scanner sees real imports, type-only ones included.
    expect(importsOf(at('runtime/process/context.ts')).some((i) => i.typeOnly && i.to.endsWith('/process/links.ts'))).toBe(true);
  });
});
