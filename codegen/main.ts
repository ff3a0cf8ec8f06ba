/**
 * `npm run gen`: schemas/*.ksy and *.terms.yaml → generated/. Validates every schema, emits
 * the TypeScript codecs and the Kaitai reference parsers, then writes only
 * what changed and deletes what no schema produces any more.
 * `npm run gen:check` writes nothing and fails if generated/ is not exactly
 * what the schemas give (new and stale files included).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { emitTermCodec } from './emit-term.js';
import { emitServices } from './emit-services.js';
import { emitShapes } from './emit-shapes.js';
import { emitStructCodec } from './emit-struct.js';
import { printFile } from './emit.js';
import { compileReference } from './kaitai.js';
import type { Schema } from './ksy.js';
import { validateServices } from './services.js';
import { validateShapes } from './shapes.js';
import { validateSchemas } from './validate.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Every file generated/ should hold, by repository path, from the schemas under `base`. */
export async function generate(base = root): Promise<Map<string, string>> {
  const files = readdirSync(join(base, 'schemas'))
    .filter((f) => f.endsWith('.ksy'))
    .sort()
    .map((f) => ({ path: `schemas/${f}`, text: readFileSync(join(base, 'schemas', f), 'utf8') }));
  const schemas = validateSchemas(files) as unknown as Schema[];
  const flags = new Set(Object.values(schemas.find((s) => s.ksy.meta.id === 'handshake')?.ksy.enums?.['dflag'] ?? {}).map((v) => (typeof v === 'string' ? v : v.id)));
  const shapeFiles = readdirSync(join(base, 'schemas'))
    .filter((f) => f.endsWith('.terms.yaml'))
    .sort()
    .map((f) => ({ path: `schemas/${f}`, text: readFileSync(join(base, 'schemas', f), 'utf8') }));
  const out = new Map<string, string>();
  for (const s of schemas) {
    const target = `generated/${s.ksy.meta.id}.ts`;
    const mode = s.ksy.meta['-beamwire']?.mode ?? 'struct';
    out.set(target, printFile(target, s.path, mode === 'term' ? emitTermCodec(s) : emitStructCodec(s)));
  }
  for (const v of validateShapes(shapeFiles, flags)) {
    const target = `generated/${v.shapes.meta.id}.ts`;
    out.set(target, printFile(target, v.path, emitShapes(v)));
  }
  const serviceDir = join(base, 'schemas', 'services');
  const serviceFiles = (existsSync(serviceDir) ? readdirSync(serviceDir) : [])
    .filter((f) => f.endsWith('.service.yaml'))
    .sort()
    .map((f) => ({ path: `schemas/services/${f}`, text: readFileSync(join(serviceDir, f), 'utf8') }));
  for (const v of validateServices(serviceFiles)) {
    const target = `generated/services/${v.service.module}.ts`;
    out.set(target, printFile(target, v.path, emitServices(v)));
  }
  for (const [name, text] of await compileReference(schemas as never)) out.set(name, text);
  return out;
}

function listFiles(base: string, dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? listFiles(base, join(dir, d.name)) : [relative(base, join(dir, d.name))],
  );
}

/** What differs between `want` and the generated/ folder under `base`: files to write and files no schema makes. */
export function plan(want: Map<string, string>, base = root): { changed: string[]; stale: string[] } {
  const have = new Set(listFiles(base, join(base, 'generated')));
  const changed = [...want].filter(([p, text]) => !have.has(p) || readFileSync(join(base, p), 'utf8') !== text).map(([p]) => p);
  const stale = [...have].filter((p) => !want.has(p));
  return { changed, stale };
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const t0 = performance.now();
  const want = await generate();
  const { changed, stale } = plan(want);
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

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
