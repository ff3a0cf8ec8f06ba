/**
 * A real Erlang node for interop tests: `erl -sname` started against a given
 * EPMD port, with a registered `ctl` process that evaluates Erlang
 * expressions sent to it over distribution ({From, Ref, <<"Expr.">>} → From !
 * {Ref, Result}), so a test drives Erlang through the very link it tests.
 * Fails loudly when erl is missing; never skipped.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { atom, format, tuple, type Term } from '../../runtime/index.js';
import type { Node } from '../../runtime/node/node.js';
import { shortHost } from '../../runtime/node/names.js';
import { P, on } from '../../runtime/process/index.js';
import { otp } from './otp.js';

const CTL = `
  register(ctl, self()),
  io:format("ready~n"),
  Loop = fun Loop() ->
    receive
      {From, Ref, Src} when is_binary(Src) ->
        R = try
              {ok, Toks, _} = erl_scan:string(binary_to_list(Src)),
              {ok, Exprs} = erl_parse:parse_exprs(Toks),
              {value, V, _} = erl_eval:exprs(Exprs, [{'Ctl', From}]),
              V
            catch C:E -> {caught, C, E} end,
        From ! {Ref, R},
        Loop();
      stop -> halt()
    end
  end,
  Loop().`;

export interface ErlNode {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything erl printed. */
  output(): string;
  /** kill -9: the node vanishes without closing anything. */
  kill9(): void;
  stop(): Promise<void>;
}

export function requireErl(): void {
  const r = spawnSync(...otp('erl', ['-noshell', '-eval', 'halt().']), { timeout: 20_000 });
  if (r.error || r.status !== 0) throw new Error(`interop tests need Erlang/OTP: cannot run erl (${r.error?.message ?? `exit ${r.status}`}); install erlang-nox`);
}

/** Elixir is part of the interop tier (.ci/run installs Debian's elixir): without it an Elixir case fails, never skips. */
export function requireElixir(): void {
  const r = spawnSync(...otp('elixir', ['--version']), { timeout: 20_000 });
  if (r.error || r.status !== 0) throw new Error(`the Elixir interop case needs elixir: ${r.error?.message ?? `exit ${r.status}`}; install Debian's elixir`);
}

/** Runs a program (erl_call, elixir; on the release BEAMWIRE_OTP selects) against the EPMD on `epmdPort`; resolves with its exit code and output. */
export function runAgainst(epmdPort: number, cmd: string, args: string[], timeoutMs = 30_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(...otp(cmd, args), { env: { ...process.env, ERL_EPMD_PORT: String(epmdPort) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** `alive` starts a short-named node (-sname); `alive@host` a long-named one (-name). */
export async function startErl(alive: string, cookie: string, epmdPort: number, args: string[] = []): Promise<ErlNode> {
  const long = alive.includes('@');
  const child = spawn(...otp('erl', [long ? '-name' : '-sname', alive, '-setcookie', cookie, '-start_epmd', 'false', '-noshell', ...args, '-eval', CTL]), {
    env: { ...process.env, ERL_EPMD_PORT: String(epmdPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 20_000;
  while (!out.includes('ready')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`erl ${alive} did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    name: long ? alive : `${alive}@${shortHost()}`,
    child,
    output: () => out,
    kill9: () => child.kill('SIGKILL'),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Evaluates `src` in the ctl process of the Erlang node `target`, from a process of `via`, and returns the value. */
export async function evalIn(via: Node, target: string, src: string, timeout = 8000): Promise<Term> {
  let value: Term = atom('no_reply');
  const p = via.spawn(async (self) => {
    const ref = self.makeRef();
    self.send(tuple(atom('ctl'), atom(target)), tuple(self.pid, ref, src));
    value = (await self.receive([on(P.tuple(P.ref(ref), P.bind('v')), ({ v }) => v)], { timeout })) as Term;
  });
  const reason = await p.exited;
  if (reason !== atom('normal')) throw new Error(`erl(${src}) failed: ${format(reason)}`);
  return value;
}
