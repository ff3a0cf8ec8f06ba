/**
 * The runtime a context boots from: beamwire itself with runtime/context-main.ts
 * as its entry, bundled into one CommonJS file by esbuild (loaded only here,
 * the first time a context starts) and brotli-compressed. A context keeps
 * the bytes its parent sent, so its own children boot from it, not from
 * the root.
 */
import { fileURLToPath } from 'node:url';
import { constants, brotliCompress } from 'node:zlib';
import { promisify } from 'node:util';

const compress = promisify(brotliCompress);

let cached: Promise<Uint8Array> | undefined;

/** In a context: the compressed runtime it booted from. */
export function adoptRuntime(compressed: Uint8Array): void {
  cached = Promise.resolve(compressed);
}

/** The compressed runtime: bundled once per process. */
export function runtimeBundle(): Promise<Uint8Array> {
  cached ??= build().catch((e: unknown) => {
    cached = undefined;
    throw e;
  });
  return cached;
}

async function build(): Promise<Uint8Array> {
  const here = fileURLToPath(import.meta.url);
  // runtime/context-main.ts, beside the package's index: from source (tsx) .ts, from dist/ .js; esbuild takes either.
  const entry = here.replace(/router[\\/]runtime-bundle\.(ts|js)$/, (_m, ext: string) => `context-main.${ext}`);
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    // Class and function names kept: stacks and messages in a context name what they name at the root.
    keepNames: true,
    write: false,
    logLevel: 'silent',
    // What only the root uses (bundling, the CA's X.509) stays out.
    external: ['esbuild', '@peculiar/x509', 'reflect-metadata'],
    define: { 'import.meta.url': '"beamwire:context"' },
  });
  const code = out.outputFiles[0]!.contents;
  return new Uint8Array(await compress(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_SIZE_HINT]: code.length } }));
}
