/**
 * Foreign clients: a beamwire node run by whichever runtime runs this script
 * (Node, Bun, Deno), and a real Erlang node and a real Elixir node that run
 * checks against it (test/runtimes/foreign_client.erl and .exs): ping, sends
 * both ways (names, pids, a 1 MiB binary, terms of every kind), erpc/rpc
 * both ways, spawn/4, links, monitors and exit signals both ways,
 * gen_server:call/cast and sys:get_state to a node.serve server, node.call to
 * an Erlang gen_server, nodedown. vitest does not run on Bun and Deno, so
 * this is the interop subset they run (.ci/runtimes); Node runs it too.
 *
 *   node --import tsx test/runtimes/foreign-clients.ts
 *   bun test/runtimes/foreign-clients.ts --beamwire dist/runtime/index.js
 *   deno run -A test/runtimes/foreign-clients.ts --beamwire dist/runtime/index.js
 *
 * `--beamwire` is the module under test (default: the source,
 * runtime/index.ts); dist/ is the package as installed, which Deno loads
 * without --sloppy-imports. Erlang and Elixir come from test/support/otp.ts
 * (BEAMWIRE_OTP picks the release). Prints one line per check and
 * `N passed, M failed`; exits 1 when a check failed or did not run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

type Beamwire = typeof import('../../runtime/index.js');
type Atom = import('../../runtime/index.js').Atom;
type Pid = import('../../runtime/index.js').Pid;
type Otp = typeof import('../support/otp.js');

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = resolve(here, '../..');
const COOKIE = 'fc_cookie';
/** The checks each client runs; a client that stops early fails the ones it did not print. */
const ERL_CHECKS = 26;
const ELIXIR_CHECKS = 4;

function option(name: string): string | undefined {
  const argv = process.argv.slice(2);
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

function runtime(): string {
  const g = globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string } } };
  if (g.Bun) return `bun ${g.Bun.version}`;
  if (g.Deno) return `deno ${g.Deno.version.deno}`;
  return `node ${process.version}`;
}

/** Runs a program to its end; resolves with its exit code and everything it printed. */
function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const c = spawn(file, args, { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.on('error', (e) => (out += `\n${file}: ${e.message}`));
    c.on('close', (code) => {
      clearTimeout(timer);
      done({ code, out });
    });
  });
}

let passed = 0;
let failed = 0;
function report(client: string, ok: boolean, what: string): void {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${client}: ${what}`);
}

/** Counts a client's `ok`/`FAIL` lines; `expected` minus what it printed are failures too. */
function tally(client: string, r: { code: number | null; out: string }, expected: number): void {
  let seen = 0;
  for (const line of r.out.split('\n')) {
    const m = /^(ok|FAIL) (.*)$/.exec(line);
    if (!m) continue;
    seen++;
    report(client, m[1] === 'ok', m[2]!);
  }
  if (seen !== expected || !r.out.includes('\ndone') || r.code !== 0)
    report(client, false, `ran ${seen} of ${expected} checks and exited ${r.code}; it printed:\n${r.out}`);
}

async function main(): Promise<void> {
  const entry = option('--beamwire');
  const bw = (await import(entry ? pathToFileURL(resolve(entry)).href : new URL('../../runtime/index.ts', import.meta.url).href)) as Beamwire;
  // A .ts specifier in a string: Deno takes it without --sloppy-imports, tsx and Bun too.
  const { otp } = (await import(new URL('../support/otp.ts', import.meta.url).href)) as Otp;
  const { atom, tuple, Tuple, Node } = bw;
  console.log(`beamwire ${entry ?? 'runtime/index.ts'} on ${runtime()}`);

  const dir = mkdtempSync(join(tmpdir(), 'bw-fc-'));
  const epmdPort = 20000 + Math.floor(Math.random() * 12000); // below Linux's ephemeral range (test/support/net.ts testPort)
  const env = { ERL_EPMD_PORT: String(epmdPort) };
  const node = await Node.start({ name: 'fc_bw', cookie: COOKIE, epmd: { mode: 'embedded', port: epmdPort }, logger: 'silent' });
  try {
    const erlc = await run(...otp('erlc', ['-o', dir, join(here, 'foreign_client.erl')], repo), {}, 60_000);
    if (erlc.code !== 0) throw new Error(`erlc foreign_client.erl failed: ${erlc.out}`);

    const echo = node.spawn(async (self) => {
      for (;;) {
        const m = await self.receive();
        if (m instanceof Tuple && m.elements.length === 2 && m.elements[0] instanceof bw.Pid) self.send(m.elements[0], tuple(atom('echo'), m.elements[1]!, self.pid));
      }
    });
    node.register('echo', echo.pid);
    await node.serve<number>('counter', {
      init: () => 0,
      handleCall: (req, _from, n) => (req === atom('bump') ? { reply: n + 1, state: n + 1 } : { reply: n, state: n }),
      handleCast: (req, n) => ({ state: req === atom('reset') ? 0 : n }),
    });
    const pid = (t: unknown) => t as Pid;
    const name = (t: unknown) => (t as Atom).name;
    node.expose('bw_fc', {
      add: (a, b) => (a as number) + (b as number),
      fail: () => {
        throw new Error('failed on purpose');
      },
      notify: (to) => node.send(pid(to), tuple(atom('notified'), atom(node.name))),
      victim: () =>
        node.spawn(async (self) => {
          for (;;) {
            const m = await self.receive();
            if (m instanceof Tuple && m.elements[0] === atom('die')) self.exit(m.elements[1]!);
          }
        }).pid,
      // Resolves once the link is sent, so it reaches the Erlang process before the erpc reply does.
      link_to: async (to) => {
        let linked!: () => void;
        const ready = new Promise<void>((r) => (linked = r));
        const p = node.spawn(async (self) => {
          self.link(pid(to));
          linked();
          await self.receive();
        });
        await ready;
        return p.pid;
      },
      rpc_back: (peer) => node.rpc(name(peer), 'lists', 'reverse', [[1, 2, 3]]),
      send_back: (peer) => node.send(['fc_inbox', name(peer)], tuple(atom('from_bw'), atom(node.name))),
      call_back: (peer) => node.call(['fc_server', name(peer)], tuple(atom('add'), 2, 3)),
      watch: (target, replyTo) => {
        void node.monitor(pid(target)).down.then((reason) => node.send(pid(replyTo), tuple(atom('watched_down'), reason)));
      },
    });
    const downs: string[] = [];
    node.on('nodedown', (n) => downs.push(n));

    const erl = await run(...otp('erl', ['-sname', 'fc_erl', '-setcookie', COOKIE, '-start_epmd', 'false', '-noshell', '-pa', dir, '-eval', `foreign_client:main(["${node.name}"])`], repo), env, 60_000);
    tally('erl', erl, ERL_CHECKS);
    report('beamwire', downs.some((n) => n.startsWith('fc_erl@')), `nodedown for fc_erl (seen: ${downs.join(', ') || 'none'})`);

    const ex = await run(...otp('elixir', ['--sname', 'fc_ex', '--cookie', COOKIE, '--erl', '-start_epmd false', join(here, 'foreign_client.exs'), node.name], repo), env, 60_000);
    tally('elixir', ex, ELIXIR_CHECKS);
  } finally {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => {
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed === 0 ? 0 : 1);
  },
  (e: unknown) => {
    console.error(`foreign-clients: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    console.log(`${passed} passed, ${failed + 1} failed`);
    process.exit(1);
  },
);
