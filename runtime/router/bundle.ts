/**
 * The parent side of module forwarding: a module and its whole dependency
 * closure become one CommonJS bundle (esbuild), compressed and named by the
 * hash of its bytes. Node's loader hooks cannot await the network, so instead
 * of mitogen's GET_MODULE per import, the root ships everything a module
 * needs at once, and every hop caches it by hash.
 *
 * `beamwire` stays external: a context supplies its own runtime. Builtins are
 * external (platform 'node'). Identifiers are not minified, so stack frames
 * keep the user's function names; the source map travels at the end of the
 * code (see `SOURCE_MAP_MARKER`) and the context maps stacks through it.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { brotliCompressSync, constants } from 'node:zlib';
import type { BuildFailure, BuildResult, Message, Plugin } from 'esbuild';
import { ModuleBundleError, type BundleMessage } from './module-errors.js';

/** A module ready to ship: what `ModuleHost.add` takes. */
export interface ModuleBundle {
  /** sha256 (hex) of `code`, the compressed bytes as shipped: any hop verifies them without inflating. */
  readonly hash: string;
  /** The module's file URL at the root: names it in errors, and is its `import.meta.url` in a context. */
  readonly url: string;
  /** The CommonJS source, brotli-compressed; its last line carries the source map. */
  readonly code: Uint8Array;
  /** Bytes of the inflated source: the context inflates no more than this. */
  readonly size: number;
}

export interface BundleOptions {
  /** esbuild's target; default the running Node's major (`node20`). Pass the context's: it reports its version. */
  readonly target?: string;
  /** Ship the source map so stacks in a context name the user's files (default true). */
  readonly sourcemap?: boolean;
}

/** The line that carries the source map (JSON, one line) at the end of a bundle's source. */
export const SOURCE_MAP_MARKER = '\n//# beamwire.sourceMap=';

/** Parameter names of the wrapper a context evaluates a bundle in, in order. */
export const WRAPPER_PARAMS = ['exports', 'require', 'module', '__filename', '__dirname', '__beamwire_import_meta_url'] as const;

const BROTLI_QUALITY = 6; // 1.4 MB of JS: 276 kB in ~60 ms; quality 11 saves 11 % more in 30x the time

interface Cached {
  readonly bundle: ModuleBundle;
  /** Every input of the build (absolute path) and its mtime and size when the build began. */
  readonly inputs: readonly (readonly [string, bigint, bigint])[];
}

const cache = new Map<string, Cached>();
const building = new Map<string, Promise<ModuleBundle>>();

/**
 * Bundles the module at `url` (a file URL or an absolute path, TS or JS) for a
 * context. Cached per process by url and options: a later call restats the
 * build's inputs and returns the same bundle while none changed.
 */
export async function bundleModule(url: URL | string, options: BundleOptions = {}): Promise<ModuleBundle> {
  const file = toPath(url);
  const target = options.target ?? `node${process.versions.node.split('.')[0]}`;
  const sourcemap = options.sourcemap ?? true;
  const key = `${file}\0${target}\0${sourcemap}`;
  const pending = building.get(key);
  if (pending !== undefined) return pending;
  const build = (async () => {
    const hit = cache.get(key);
    if (hit !== undefined && unchanged(hit.inputs)) return hit.bundle;
    const started = wallClockNs();
    const result = await runEsbuild(file, target, sourcemap);
    const inputs = stats(Object.keys(result.metafile.inputs).map((p) => resolve(dirname(file), p)));
    const bundle = pack(file, result, sourcemap);
    // An input written during the build may not be in it: do not trust its mtime.
    if (inputs.every(([, mtime]) => mtime < started)) cache.set(key, { bundle, inputs });
    else cache.delete(key);
    return bundle;
  })().finally(() => building.delete(key));
  building.set(key, build);
  return build;
}

function wallClockNs(): bigint {
  return BigInt(Math.floor((performance.timeOrigin + performance.now()) * 1e6));
}

function toPath(url: URL | string): string {
  try {
    if (url instanceof URL || url.startsWith('file:')) return fileURLToPath(url);
  } catch (e) {
    throw new ModuleBundleError('MODULE_BUNDLE', String(url), [{ text: 'not a file URL' }], { cause: e });
  }
  if (!isAbsolute(url)) throw new ModuleBundleError('MODULE_BUNDLE', url, [{ text: 'needs a file URL or an absolute path' }]);
  return url;
}

type Esbuild = typeof import('esbuild');
let esbuild: Promise<Esbuild> | undefined;

// Lazy: `import 'beamwire'` must not load a bundler that only the root uses.
async function loadEsbuild(file: string): Promise<Esbuild> {
  esbuild ??= import('esbuild');
  try {
    return await esbuild;
  } catch (e) {
    esbuild = undefined;
    throw new ModuleBundleError('NO_BUNDLER', file, [{ text: 'esbuild is not installed (npm install esbuild)' }], { cause: e });
  }
}

const NATIVE_ADDONS = 'beamwire-native-addons';

const nativeAddons: Plugin = {
  name: NATIVE_ADDONS,
  setup(build) {
    build.onResolve({ filter: /\.node$/ }, (args) => ({
      errors: [{ text: `native addon ${args.path} cannot travel in a bundle; install it where the context runs, or keep it out of this module` }],
    }));
  },
};

type Built = BuildResult<{ write: false; metafile: true }>;

async function runEsbuild(file: string, target: string, sourcemap: boolean): Promise<Built> {
  const lib = await loadEsbuild(file);
  try {
    await stat(file);
  } catch (e) {
    throw new ModuleBundleError('MODULE_BUNDLE', file, [{ text: 'no such file' }], { cause: e });
  }
  try {
    return await lib.build({
      entryPoints: [file],
      absWorkingDir: dirname(file),
      outdir: dirname(file),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target,
      write: false,
      metafile: true,
      minifyWhitespace: true,
      minifySyntax: true,
      sourcemap: sourcemap ? 'external' : false,
      sourcesContent: false,
      external: ['beamwire', 'beamwire/*'],
      // import() of a builtin or of beamwire becomes require(), which the context's wrapper provides.
      supported: { 'dynamic-import': false },
      define: {
        'import.meta.url': WRAPPER_PARAMS[5],
        'import.meta.filename': '__filename',
        'import.meta.dirname': '__dirname',
      },
      plugins: [nativeAddons],
      logLevel: 'silent',
    });
  } catch (e) {
    const failure = e as Partial<BuildFailure>;
    if (!Array.isArray(failure.errors)) throw new ModuleBundleError('MODULE_BUNDLE', file, [{ text: String(e) }], { cause: e });
    const native = failure.errors.some((m) => m.pluginName === NATIVE_ADDONS);
    throw new ModuleBundleError(native ? 'NATIVE_ADDON' : 'MODULE_BUNDLE', file, failure.errors.map((m) => toMessage(m, file)), { cause: e });
  }
}

function toMessage(m: Message, file: string): BundleMessage {
  if (m.location === null) return { text: m.text };
  return { text: m.text, file: resolve(dirname(file), m.location.file), line: m.location.line, column: m.location.column };
}

function pack(file: string, result: Built, sourcemap: boolean): ModuleBundle {
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  if (js === undefined) throw new ModuleBundleError('MODULE_BUNDLE', file, [{ text: 'esbuild produced no JavaScript' }]);
  let source = js.text;
  const mapFile = sourcemap ? result.outputFiles.find((f) => f.path.endsWith('.js.map')) : undefined;
  if (mapFile !== undefined) {
    const map = JSON.parse(mapFile.text) as { sources: string[] };
    // esbuild writes sources relative to the output; a context is elsewhere, so make them absolute.
    map.sources = map.sources.map((s) => (s.includes(':') ? s : resolve(dirname(mapFile.path), s)));
    source += `${SOURCE_MAP_MARKER}${JSON.stringify(map)}\n`;
  }
  const raw = Buffer.from(source, 'utf8');
  const code = brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
  return { hash: hashOf(code), url: pathToFileURL(file).href, code: new Uint8Array(code.buffer, code.byteOffset, code.length), size: raw.length };
}

/** The hash a bundle's `code` must have. */
export function hashOf(code: Uint8Array): string {
  return createHash('sha256').update(code).digest('hex');
}

// Synchronous on purpose: a few hundred stats take well under a millisecond, fewer than the thread pool's round trips.
function stats(paths: readonly string[]): (readonly [string, bigint, bigint])[] {
  return paths.map((p) => {
    const s = statSync(p, { bigint: true, throwIfNoEntry: false });
    return [p, s?.mtimeNs ?? -1n, s?.size ?? -1n] as const;
  });
}

function unchanged(inputs: Cached['inputs']): boolean {
  const now = stats(inputs.map(([p]) => p));
  return now.every(([, mtime, size], i) => mtime === inputs[i]![1] && size === inputs[i]![2]);
}
