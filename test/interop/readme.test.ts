/**
 * Interop tier, the README as a user meets it: every ```ts, ```elixir and
 * ```erlang block of README.md (read from the file, so the README cannot drift) is run
 * as written against real nodes, and every ```ts block is type-checked.
 *
 * The user's project is a temporary directory with `"type": "module"`, the
 * repo's tsx and @types, and `beamwire` in its node_modules (see
 * linkPackage: the package's own `exports`, pointed at the sources). Each ts
 * block is a file there, run as `node --import tsx block.ts` in its own
 * process, and must exit with code 0 by itself within EXIT_MS of its last
 * line (a line the test appends marks that the program got there): a socket,
 * timer or process left behind by node.stop() fails it. What a block prints
 * (`// prints: ...`, see test/support/readme.ts) must appear on stdout in
 * order. Type-checking runs tsc once over all the files with the repo's
 * compiler options (strict, noUnused*), and names README lines.
 *
 * The nodes: the test's embedded EPMD on a random port (ERL_EPMD_PORT for
 * every program), and `erl -sname app -setcookie secret`, the README's
 * prerequisite. Elixir blocks run with `elixir` and the flags their first
 * line gives (`# elixir --sname ex --cookie secret calls.exs`); Erlang
 * blocks are typed into a fresh `erl` shell on stdin, which ends at the end
 * of input (the README says to type them into app's shell; app is busy
 * here as the peer of the ts blocks).
 * `<!-- readme-test: serves the next block -->` before a block marks a
 * program that stays up: it is started, its prints awaited, the next block
 * run against it, and then it gets Ctrl-C (SIGINT; a ts block must then exit
 * 0 by itself, as above; an Elixir one gets SIGTERM). `<!-- readme-test:
 * typecheck-only -->` would exempt a ts block from running; none needs it.
 * `<!-- readme-test: module hashes.ts -->` makes a ts block that file of the
 * project, for the blocks after it to import (a module a context runs).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EpmdServer } from '../../runtime/epmd/index.js';
import { requireElixir, requireErl, startErl, type ErlNode } from '../support/erl-node.js';
import { codeBlocks, inOrder, Program, type Block } from '../support/readme.js';
import { otp } from '../support/otp.js';
import { testPort } from '../support/net.js';

// Real paths: tsc --listFiles names files by them.
const root = realpathSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..'));
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const epmdPort = testPort();
/** "Exits by itself within a few seconds after its last line." */
const EXIT_MS = 3000;
const RUN_MS = 20_000;
const END = 'readme-test: the last line ran';

const blocks = codeBlocks(readFileSync(join(root, 'README.md'), 'utf8'));
const RUN = new Set(['ts', 'elixir', 'erlang']);
/** The README's cookie (`erl -sname app -setcookie secret`). */
const COOKIE = 'secret';
const NOT_RUN = new Set(['sh', '', 'yaml']);

let project: string;
let epmd: EpmdServer;
let app: ErlNode;
let typecheck: Promise<{ code: number | null; out: string }>;
const file = new Map<Block, string>();

/** Runs a command to its end: its exit code and everything it wrote. */
function run(cmd: string, args: string[], cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    c.on('exit', (code) => resolve({ code, out }));
  });
}

/**
 * The package as the project sees it: node_modules/beamwire with the repo's
 * package.json, whose `exports` (every subpath and condition) are rewritten
 * from the build's files to the sources they are built from
 * (`./dist/runtime/index.js` and `.d.ts` → `./runtime/index.ts`), and the
 * source folders linked in. A bare `import 'beamwire'` resolves as it does in
 * a user's project (node_modules, then `exports`); tsx compiles what it
 * reaches and tsc checks it, so no build runs here. The built tarball itself
 * is the package test's subject.
 */
function linkPackage(dir: string): void {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; type: string; exports: unknown };
  const toSource = (e: unknown): unknown => {
    if (typeof e === 'string') return e.replace(/^\.\/dist\//, './').replace(/(\.d\.ts|\.js)$/, '.ts');
    if (e === null || typeof e !== 'object') return e;
    return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, toSource(v)]));
  };
  const at = join(dir, 'node_modules', 'beamwire');
  mkdirSync(at, { recursive: true });
  writeFileSync(join(at, 'package.json'), JSON.stringify({ name: pkg.name, type: pkg.type, exports: toSource(pkg.exports) }, null, 2));
  for (const d of ['runtime', 'generated']) symlinkSync(join(root, d), join(at, d));
}

/** The user's project: package.json, tsconfig.json, node_modules/{beamwire, tsx, @types}. */
function makeProject(dir: string): void {
  linkPackage(dir);
  symlinkSync(join(root, 'node_modules', 'tsx'), join(dir, 'node_modules', 'tsx'));
  symlinkSync(join(root, 'node_modules', '@types'), join(dir, 'node_modules', '@types'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'readme-user', private: true, type: 'module' }));
  // The repo's compiler options, minus where it writes: the snippets are held to what the sources are held to.
  const { compilerOptions } = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> };
  for (const k of ['outDir', 'rootDir', 'declaration', 'sourceMap']) delete compilerOptions[k];
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...compilerOptions, noEmit: true }, include: ['*.ts'] }, null, 2));
}

/** Runs a block as its own program, in the project, against the test's EPMD. */
function start(b: Block): Program {
  const env = { ...process.env, ERL_EPMD_PORT: String(epmdPort) };
  const path = file.get(b)!;
  if (b.lang === 'ts') return new Program(process.execPath, ['--import', 'tsx', path], { cwd: project, env, mark: END });
  // Typed into a shell, as the README says; a fresh one (the test's `app` is the TS blocks' peer), which ends at the end of input.
  if (b.lang === 'erlang') return new Program(...otp('erl', ['-sname', 'readme_shell', '-setcookie', COOKIE, '-start_epmd', 'false'], project), { cwd: project, env, input: b.code });
  const flags = /^# elixir (.*) \S+\.exs$/.exec(b.code.split('\n')[0]!)?.[1];
  if (flags === undefined) throw new Error(`README.md:${b.line}: an elixir block starts with the command that runs it (# elixir --sname ... --cookie ... file.exs)`);
  // -start_epmd false: the test's EPMD is the one; never leave an epmd daemon behind.
  return new Program(...otp('elixir', [...flags.split(/\s+/), '--erl', '-start_epmd false', path], project), { cwd: project, env });
}

/** `<!-- readme-test: module tasks.ts -->`: the block is that file of the user's project. */
const moduleFile = (b: Block): string | undefined => /^module (\S+\.ts)$/.exec(b.directive ?? '')?.[1];

const where = (b: Block): string => `README.md:${b.line} (${b.section})`;
const output = (p: Program): string => `stdout:\n${p.stdout}\nstderr:\n${p.stderr}`;

/** The block ran to its end and printed what it says; a ts block exited by itself within EXIT_MS of its last line. */
function expectRan(b: Block, p: Program, r: { code: number | null; signal: NodeJS.Signals | null }): void {
  if (b.lang === 'ts') {
    expect(p.markedAt, `${where(b)} never reached its last line\n${output(p)}`).toBeDefined();
    const after = p.exitedAt! - p.markedAt!;
    expect(after, `${where(b)} was still running ${after} ms after its last line (${r.signal ?? `exit ${r.code}`})\n${output(p)}`).toBeLessThan(EXIT_MS);
  }
  expect(r, `${where(b)} exit\n${output(p)}`).toEqual({ code: 0, signal: null });
  // The Erlang shell prints its prompt, `(node@host)3> `, before each value.
  const stdout = b.lang === 'erlang' ? p.stdout.replace(/^(\(\S+\)\d+> )+/gm, '') : p.stdout;
  expect(inOrder(stdout, b.prints), `${where(b)} prints ${JSON.stringify(b.prints)}\n${output(p)}`).toBe(true);
}

beforeAll(async () => {
  requireErl();
  requireElixir();
  project = realpathSync(mkdtempSync(join(tmpdir(), 'beamwire-readme-')));
  makeProject(project);
  epmd = await EpmdServer.start({ port: epmdPort });
  app = await startErl('app', COOKIE, epmdPort);
  blocks.forEach((b, i) => {
    if (!RUN.has(b.lang)) return;
    // A module the next blocks import (a context runs its functions): written under its own name, type-checked, not run.
    const own = moduleFile(b);
    if (own !== undefined) {
      writeFileSync(join(project, own), b.code);
      return void file.set(b, join(project, own));
    }
    const name = join(project, `block${String(i).padStart(2, '0')}.${{ ts: 'ts', elixir: 'exs', erlang: 'erl' }[b.lang]}`);
    writeFileSync(name, b.lang === 'ts' ? `${b.code}process.stderr.write(${JSON.stringify(`${END}\n`)});\n` : b.code);
    file.set(b, name);
  });
  // One tsc for every block, in the background while the blocks run; awaited by the type-check cases.
  typecheck = run(process.execPath, [tsc, '-p', join(project, 'tsconfig.json'), '--pretty', 'false', '--listFiles'], project);
}, 120_000);

afterAll(async () => {
  await typecheck;
  await app?.stop();
  await epmd?.close();
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('README.md', () => {
  it('has only ts, elixir and erlang blocks that run, and sh / yaml / plain blocks that do not', () => {
    expect(blocks.filter((b) => RUN.has(b.lang)).length).toBeGreaterThanOrEqual(8);
    expect(blocks.filter((b) => !RUN.has(b.lang) && !NOT_RUN.has(b.lang)).map(where)).toEqual([]);
  });

  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    if (!RUN.has(b.lang) || b.directive === 'typecheck-only' || moduleFile(b) !== undefined) continue;
    if (b.directive === 'serves the next block') {
      const next = blocks.slice(i + 1).find((n) => RUN.has(n.lang));
      if (next === undefined) throw new Error(`${where(b)} serves a next block that is not there`);
      i = blocks.indexOf(next);
      it(`${where(b)} (${b.lang}) stays up and serves ${where(next)} (${next.lang})`, async () => {
        const server = start(b);
        try {
          await server.printed(b.prints, RUN_MS);
          const client = start(next);
          expectRan(next, client, await client.end(RUN_MS, EXIT_MS));
          expect(server.running, `${where(b)} ended while serving\n${output(server)}`).toBe(true);
        } finally {
          server.child.kill(b.lang === 'ts' ? 'SIGINT' : 'SIGTERM');
        }
        const r = await server.end(RUN_MS, EXIT_MS);
        if (b.lang === 'ts') expectRan(b, server, r);
      });
      continue;
    }
    if (b.directive !== undefined) throw new Error(`${where(b)}: unknown directive readme-test: ${b.directive}`);
    it(`${where(b)} (${b.lang}) runs against erl -sname app and exits by itself`, async () => {
      const p = start(b);
      expectRan(b, p, await p.end(RUN_MS, EXIT_MS));
    });
  }

  it('every block that runs says what it prints', () => {
    expect(blocks.filter((b) => RUN.has(b.lang) && moduleFile(b) === undefined && b.prints.length === 0).map(where)).toEqual([]);
  });

  it('tsc checked every ts block, with beamwire resolved to the package in node_modules, and failed only for errors in them', async () => {
    const { code, out } = await typecheck;
    const lines = out.split('\n').filter((l) => l.trim() !== '');
    const listed = lines.filter((l) => l.startsWith('/'));
    for (const [b, f] of file) if (b.lang === 'ts') expect(listed, where(b)).toContain(f);
    expect(listed).toContain(join(root, 'runtime', 'index.ts'));
    const names = [...file.values()].map((f) => f.slice(project.length + 1));
    const errors = lines.filter((l) => !l.startsWith('/') && !l.startsWith(' '));
    expect(errors.filter((l) => !names.some((n) => l.startsWith(`${n}(`)))).toEqual([]);
    expect(code).toBe(errors.length === 0 ? 0 : 2);
  });

  for (const b of blocks.filter((b) => b.lang === 'ts')) {
    it(`${where(b)} type-checks as written`, async () => {
      const name = file.get(b)!.slice(project.length + 1);
      const errors = (await typecheck).out
        .split('\n')
        .filter((l) => l.startsWith(`${name}(`))
        .map((l) => l.replace(/^\S+?\((\d+),(\d+)\)/, (_, line: string, col: string) => `README.md:${b.line + Number(line) - 1}:${col}`));
      expect(errors).toEqual([]);
    });
  }
});
