/**
 * `npm run gen`: schemas/*.ksy → generated/. Validates every schema, emits
 * the TypeScript codecs and the Kaitai reference parsers, then writes only
 * what changed and deletes what no schema produces any more.
 * `npm run gen:check` writes nothing and fails if generated/ is not exactly
 * what the schemas give (new and stale files included).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitTermCodec } from './emit-term.js';
import { emitStructCodec } from './emit-struct.js';
import { printFile } from './emit.js';
import { compileReference } from './kaitai.js';
import type { Schema } from './ksy.js';
import { validateSchemas } from './validate.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'generated');

export async function generate(): Promise<Map<string, string>> {
  const files = readdirSync(join(root, 'schemas'))
    .filter((f) => f.endsWith('.ksy'))
    .sort()
    .map((f) => ({ path: `schemas/${f}`, text: readFileSync(join(root, 'schemas', f), 'utf8') }));
  const schemas = validateSchemas(files) as unknown as Schema[];
  const out = new Map<string, string>();
  for (const s of schemas) {
    const target = `generated/${s.ksy.meta.id}.ts`;
    const mode = s.ksy.meta['-beamwire']?.mode ?? 'struct';
    out.set(target, printFile(target, s.path, mode === 'term' ? emitTermCodec(s) : emitStructCodec(s)));
  }
  for (const [name, text] of await compileReference(schemas as never)) out.set(name, text);
  return out;
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? listFiles(join(dir, d.name)) : [relative(root, join(dir, d.name))],
  );
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const t0 = performance.now();
  const want = await generate();
  const have = new Set(listFiles(outDir));
  const changed = [...want].filter(([p, text]) => !have.has(p) || readFileSync(join(root, p), 'utf8') !== text).map(([p]) => p);
  const stale = [...have].filter((p) => !want.has(p));
  const ms = Math.round(performance.now() - t0);
  if (check) {
    if (changed.length || stale.length) {
      for (const p of changed) console.error(`  differs: ${p}`);
      for (const p of stale) console.error(`  stale:   ${p}`);
      console.error('generated/ is out of date with schemas/: run `npm run gen` and commit the result.');
      process.exit(1);
    }
    console.log(`generated/ is current (${want.size} files, ${ms} ms)`);
    return;
  }
  for (const p of changed) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), want.get(p)!);
  }
  for (const p of stale) rmSync(join(root, p));
  console.log(`${want.size} files, ${changed.length} written, ${stale.length} removed (${ms} ms)`);
}

await main();
