// PLACEHOLDER until helper C's bundle.ts lands.
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { brotliCompressSync } from 'node:zlib';
export interface ModuleBundle { readonly hash: string; readonly url: string; readonly code: Uint8Array; readonly size: number }
export async function bundleModule(url: URL | string): Promise<ModuleBundle> {
  const esbuild = await import('esbuild');
  const path = new URL(url).pathname;
  await readFile(path);
  const out = await esbuild.build({ entryPoints: [path], bundle: true, platform: 'node', format: 'cjs', write: false, external: ['beamwire'] });
  const code = out.outputFiles[0]!.contents;
  return { hash: createHash('sha256').update(code).digest('hex'), url: String(url), code: brotliCompressSync(code), size: code.length };
}
