/**
 * Interop tier, the package as a user meets it: `npm pack` in a copy of the
 * sources without dist/ (its prepack builds dist/), the tarball installed into a fresh project beside
 * typescript, an erl node running a module compiled here, then
 * `npx beamwire stubs` against it, `npx beamwire gen` (first without its
 * optional peers: it must say what to install), tsc over the stub and a
 * script that imports 'beamwire', and that script calling the module.
 * Also require('beamwire') from CommonJS (a .cjs file, and a .cts one through
 * tsc) and `npx beamwire --version`.
 * Nothing comes from this repository but the tarball (and the EPMD and erl
 * the test starts); the rest comes from the npm registry or its local cache.
 */
import { execFile, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EpmdServer } from '../../runtime/epmd/index.js';
import { requireErl, startErl, type ErlNode } from '../support/erl-node.js';
import { otp } from '../support/otp.js';
import { testPort } from '../support/net.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };
const epmdPort = testPort();
const COOKIE = 'pkgsecret';

const MODULE = `-module(bw_pkg).
-export([greet/1, add/2, tags/0]).
-type tag() :: red | green.
-spec greet(Name :: binary()) -> {ok, binary()}.
greet(Name) -> {ok, <<"hello ", Name/binary>>}.
-spec add(integer(), integer()) -> integer().
add(A, B) -> A + B.
-spec tags() -> [tag()].
tags() -> [red, green].
`;

// The user's code: the generated stub called through a node, compiled by the user's tsc.
const MAIN = `import { Node } from 'beamwire';
import { bwPkg, type Tag } from '../generated/services/bw_pkg.js';

const [peer, cookie, port] = process.argv.slice(2) as [string, string, string];
const node = await Node.start({ name: \`bw_user_\${process.pid}\`, cookie, hidden: true, epmd: { mode: 'external', port: Number(port) } });
const greet: ['ok', string] = await bwPkg.greet(node, peer, 'user');
const add: number = await bwPkg.add(node, peer, 2, 3);
const tags: Tag[] = await bwPkg.tags(node, peer);
console.log(JSON.stringify({ greet, add, tags }));
await node.stop();
process.exit(0);
`;

const CJS = `const bw = require('beamwire');
const v1 = require('beamwire/codegen/v1');
const term = bw.tuple(bw.atom('ok'), 1);
console.log(JSON.stringify({
  node: typeof bw.Node,
  roundtrip: bw.equals(bw.decode(bw.encode(term)), term),
  hex: Buffer.from(bw.encode(term)).toString('hex'),
  v1: typeof v1.fn,
  version: require('beamwire/package.json').version,
}));
`;

// A CommonJS TypeScript file: import = require of the ES module type-checks (TypeScript 5.8+ under NodeNext) and runs.
const CTS = `import bw = require('beamwire');
console.log(bw.format(bw.tuple(bw.atom('ok'), 1)));
`;

const TSCONFIG = {
  compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, skipLibCheck: true, outDir: 'build', rootDir: '.', types: ['node'] },
  include: ['src', 'generated'],
};

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

// npm run by vitest's parent npm passes npm_config_* down; a user's shell has none of them.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));

function run(cmd: string, args: string[], cwd: string, timeout = 120_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env, timeout, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
    });
  });
}

function mustRun(r: Run, what: string): Run {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

// `npx --no --`: the project's own bin, never a package of that name fetched from the registry; `--` keeps -v and -p for the command.
const beamwire = (args: string[]): Promise<Run> => run('npx', ['--no', '--', 'beamwire', ...args], project);
const connect = (): string[] => ['--cookie', COOKIE, '--epmd-port', String(epmdPort)];

let work: string;
let project: string;
let tarball: string;
let epmd: EpmdServer;
let peer: ErlNode;
const timings: Record<string, number> = {};

async function timed<T>(what: string, f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await f();
  } finally {
    timings[what] = Math.round(performance.now() - t0);
  }
}

beforeAll(async () => {
  requireErl();
  work = mkdtempSync(join(tmpdir(), 'bw-pkg-'));
  project = join(work, 'project');
  mkdirSync(join(project, 'src'), { recursive: true });
  const packed = join(work, 'packed');
  mkdirSync(packed);
  const ebin = join(work, 'ebin');
  mkdirSync(ebin);
  writeFileSync(join(ebin, 'bw_pkg.erl'), MODULE);
  const c = spawnSync(...otp('erlc', ['+debug_info', '-o', ebin, join(ebin, 'bw_pkg.erl')]), { encoding: 'utf8', timeout: 30_000 });
  if (c.status !== 0) throw new Error(`erlc bw_pkg.erl failed: ${c.error?.message ?? ''}${c.stdout}${c.stderr}`);
  epmd = await EpmdServer.start({ port: epmdPort, host: '0.0.0.0' });
  // npm pack in a copy of what a clean clone holds (no dist/), so its prepack builds dist/ there and leaves this
  // repository's dist/ alone while other test files run; packing and erl's start overlap.
  const clone = join(work, 'clone');
  for (const p of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'runtime', 'generated', 'codegen', 'schemas'])
    cpSync(join(root, p), join(clone, p), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(clone, 'node_modules'));
  const [, started] = await Promise.all([
    timed('npm pack', async () => mustRun(await run('npm', ['pack', '--pack-destination', packed], clone, 240_000), 'npm pack')),
    startErl('pkg_peer', COOKIE, epmdPort, ['-pa', ebin]),
  ]);
  peer = started;
  tarball = join(packed, readdirSync(packed).find((f) => f.endsWith('.tgz'))!);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'bw-user', version: '1.0.0', private: true, type: 'module' }, null, 2));
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
  writeFileSync(join(project, 'src', 'main.ts'), MAIN);
  writeFileSync(join(project, 'check.cjs'), CJS);
  writeFileSync(join(project, 'src', 'legacy.cts'), CTS);
  const deps = ['typescript', '@types/node'].map((d) => `${d}@${pkg.devDependencies[d]}`);
  await timed('npm install', async () => mustRun(await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, ...deps], project, 240_000), 'npm install'));
}, 300_000);

afterAll(async () => {
  await peer?.stop();
  await epmd?.close();
  if (work) rmSync(work, { recursive: true, force: true });
  console.log(`package test timings (ms): ${JSON.stringify(timings)}`);
});

describe('the packed tarball', () => {
  it('holds dist/ with the generator, and source maps that carry their sources', () => {
    const list = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).stdout.split('\n');
    for (const f of ['package/dist/runtime/index.js', 'package/dist/runtime/codegen/v1.d.ts', 'package/dist/codegen/gen-services.js', 'package/dist/runtime/cli/main.js', 'package/dist/runtime/context-main.js', 'package/CHANGELOG.md', 'package/schemas/service.schema.json'])
      expect(list, f).toContain(f);
    expect(list.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    const dist = join(project, 'node_modules', 'beamwire', 'dist');
    const maps = (readdirSync(dist, { recursive: true }) as string[]).filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(50);
    for (const m of maps) {
      const map = JSON.parse(readFileSync(join(dist, m), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
      expect(map.sourcesContent?.length, m).toBe(map.sources.length);
      expect(map.sourcesContent!.every((s) => typeof s === 'string' && s.length > 0), m).toBe(true);
    }
  });
});

describe('in a fresh project', () => {
  it('require("beamwire") works from a CommonJS file', async () => {
    const r = mustRun(await run(process.execPath, ['check.cjs'], project), 'node check.cjs');
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ node: 'function', roundtrip: true, hex: '8368027702' + '6f6b' + '6101', v1: 'function', version: pkg.version });
  });

  it('a context starts from the installed package (its dist/ bundled by the installed esbuild) and runs a module of the project', async () => {
    writeFileSync(join(project, 'work.mjs'), 'export const twice = (x) => x * 2;\nexport const where = () => process.pid;\n');
    writeFileSync(
      join(project, 'router.mjs'),
      [
        "import { Router } from 'beamwire';",
        'const router = await Router.start();',
        "const ctx = await router.local({ name: 'pkg' });",
        "const url = new URL('./work.mjs', import.meta.url);",
        "console.log(JSON.stringify({ twice: await ctx.call(url, 'twice', 21), other: (await ctx.call(url, 'where')) !== process.pid }));",
        'await router.stop();',
      ].join('\n'),
    );
    const r = mustRun(await timed('router from the package', () => run(process.execPath, ['router.mjs'], project)), 'node router.mjs');
    expect(JSON.parse(r.stdout)).toEqual({ twice: 42, other: true });
  });

  it('npx beamwire --version and -v print the package version', async () => {
    for (const flag of ['--version', '-v']) expect(mustRun(await beamwire([flag]), flag).stdout.trim()).toBe(pkg.version);
  });

  it('stubs, then gen (asking for its peers first), then tsc and a call through the stub (and a .cts that requires beamwire)', async () => {
    const stubs = mustRun(await timed('beamwire stubs', () => beamwire(['stubs', '--node', peer.name, '--module', 'bw_pkg', ...connect()])), 'beamwire stubs');
    expect(stubs.stdout).toMatch(/^wrote schemas\/services\/bw_pkg\.service\.yaml: 3 functions \(3 with a -spec\), 1 named types, from debug_info$/m);
    expect(stubs.stdout).toContain('next: review it, then `npx beamwire gen` writes generated/services/bw_pkg.ts');

    // The generator's dependencies are optional peers: gen says which and how, and import 'beamwire' never needed them.
    const bare = await beamwire(['gen']);
    expect(bare.code).toBe(1);
    expect(bare.stderr.trim()).toBe('beamwire: beamwire gen needs ts-morph, yaml, ajv (optional peer dependencies, not installed with beamwire): npm install --save-dev ts-morph@28 yaml@2 ajv@8');
    const peers = ['ts-morph', 'yaml', 'ajv'].map((d) => `${d}@${pkg.devDependencies[d]}`);
    await timed('npm install peers', async () => mustRun(await run('npm', ['install', '--save-dev', '--no-audit', '--no-fund', '--prefer-offline', ...peers], project, 240_000), 'npm install peers'));

    const gen = mustRun(await timed('beamwire gen', () => beamwire(['gen'])), 'beamwire gen');
    expect(gen.stdout).toContain('wrote generated/services/bw_pkg.ts');
    const stub = readFileSync(join(project, 'generated', 'services', 'bw_pkg.ts'), 'utf8');
    expect(new Set([...stub.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]))).toEqual(new Set(['beamwire/codegen/v1']));
    expect(mustRun(await beamwire(['gen', '--check']), 'beamwire gen --check').stdout).toContain('1 stubs, all current');

    const tsc = await timed('tsc', () => run('npx', ['--no', '--', 'tsc', '-p', '.'], project));
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);
    const call = mustRun(await timed('call', () => run(process.execPath, ['build/src/main.js', peer.name, COOKIE, String(epmdPort)], project, 30_000)), 'node build/src/main.js');
    expect(JSON.parse(call.stdout)).toEqual({ greet: ['ok', 'hello user'], add: 5, tags: ['red', 'green'] });
    expect(mustRun(await run(process.execPath, ['build/src/legacy.cjs'], project), 'node build/src/legacy.cjs').stdout).toBe('{ok,1}\n');
  }, 300_000);
});
