/**
 * How long a beamwire node is not findable through EPMD when EPMD goes away.
 *
 *   node --import tsx bench/epmd-recovery.ts [--rounds 5]
 *
 * Kill: `epmd -port N` is killed with -9 and started again at once; an
 * EpmdPresence in 'external' mode registers again. Printed per round, from
 * the kill: epmd answering again (the restart itself, not beamwire's), the
 * presence registered again, an Erlang watcher (a running erl polling
 * net_adm:names/0 every 2 ms) listing the name again, and a NEW erl node
 * (-sname, started once epmd answers) listing it (erl's boot included).
 *
 * Take-over: three presences in 'auto' mode on one port, the first running
 * the embedded EPMD, which then closes: from its close() to both others
 * registered again and to the watcher listing both.
 *
 * Each figure is the median over the rounds (min..max beside it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { EpmdPresence, findEpmd, type PresenceInfo } from '../runtime/epmd/index.js';
import { otp } from '../test/support/otp.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const rounds = Number(values.rounds);
const children = new Set<ChildProcess>();
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

function run(cmd: string, args: string[], port: number, onLine: (line: string) => void = () => {}): { child: ChildProcess; exited: Promise<void> } {
  const child = spawn(...otp(cmd, args), { env: { ...process.env, ERL_EPMD_PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  let rest = '';
  child.stdout!.on('data', (d: Buffer) => {
    const lines = (rest + d.toString()).split('\n');
    rest = lines.pop()!;
    lines.forEach(onLine);
  });
  return { child, exited: new Promise((r) => child.on('close', () => (children.delete(child), r()))) };
}

async function epmd(port: number): Promise<ChildProcess> {
  const { child } = run('epmd', ['-port', String(port)], port);
  while (!(await findEpmd(port, { timeout: 200 }))) await new Promise((r) => setTimeout(r, 2));
  return child;
}

/** erl polling net_adm:names/0 (no distribution of its own): prints `names a,b` on every change. */
function watcher(port: number, onNames: (names: string[]) => void): ChildProcess {
  const src = `Loop = fun L(Prev) ->
      Ns = case net_adm:names() of {ok, L0} -> lists:sort([N || {N, _} <- L0]); _ -> [] end,
      Ns =/= Prev andalso io:format("names ~s~n", [lists:join(",", Ns)]),
      timer:sleep(2), L(Ns) end, Loop(none).`;
  return run('erl', ['-noshell', '-eval', src], port, (l) => l.startsWith('names') && onNames(l.slice(6).split(',').filter(Boolean))).child;
}

/** Resolves at the first time `ok(names)` holds for what the watcher printed. */
function watch(names: () => string[], ok: (n: string[]) => boolean, listeners: Set<() => void>): Promise<number> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (ok(names())) {
        listeners.delete(check);
        resolve(performance.now());
      }
    };
    listeners.add(check);
    check();
  });
}

function newErlFinds(port: number, name: string): Promise<number> {
  const src = `Loop = fun L() -> case net_adm:names() of {ok, Ns} -> case lists:keymember("${name}", 1, Ns) of true -> io:format("found~n"), halt(); _ -> timer:sleep(2), L() end; _ -> timer:sleep(2), L() end end, Loop().`;
  return new Promise((resolve) => run('erl', ['-sname', `probe${process.pid}${Math.floor(Math.random() * 1e6)}`, '-start_epmd', 'false', '-noshell', '-eval', src], port, (l) => l === 'found' && resolve(performance.now())));
}

const registered = (p: EpmdPresence): Promise<number> => new Promise((r) => p.once('registered', (_: PresenceInfo) => r(performance.now())));

function stats(label: string, xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `${label.padEnd(56)} median ${s[Math.floor(s.length / 2)]!.toFixed(0).padStart(5)} ms   (${s[0]!.toFixed(0)}..${s.at(-1)!.toFixed(0)})`;
}

async function killRounds(): Promise<void> {
  const port = 46000 + Math.floor(Math.random() * 10000);
  let current: string[] = [];
  const listeners = new Set<() => void>();
  let daemon = await epmd(port);
  const w = watcher(port, (n) => ((current = n), listeners.forEach((f) => f())));
  const p = await EpmdPresence.start({ name: 'bwbench', port: 40001, epmdPort: port, mode: 'external' });
  const t = { epmd: [] as number[], registered: [] as number[], watcher: [] as number[], newErl: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    await watch(() => current, (n) => n.includes('bwbench'), listeners);
    const gone = watch(() => current, (n) => !n.includes('bwbench'), listeners);
    const again = registered(p);
    const t0 = performance.now();
    daemon.kill('SIGKILL');
    await gone;
    const seen = watch(() => current, (n) => n.includes('bwbench'), listeners);
    daemon = await epmd(port);
    const tEpmd = performance.now();
    const erl = newErlFinds(port, 'bwbench');
    t.epmd.push(tEpmd - t0);
    t.registered.push((await again) - t0);
    t.watcher.push((await seen) - t0);
    t.newErl.push((await erl) - t0);
    console.log(`kill round ${i + 1}: epmd ${t.epmd[i]!.toFixed(0)} ms, registered ${t.registered[i]!.toFixed(0)} ms, watcher ${t.watcher[i]!.toFixed(0)} ms, new erl ${t.newErl[i]!.toFixed(0)} ms`);
  }
  await p.close();
  w.kill('SIGKILL');
  daemon.kill('SIGKILL');
  console.log(stats('kill -9 epmd -> epmd -port N answering again', t.epmd));
  console.log(stats('kill -9 epmd -> presence registered again', t.registered));
  console.log(stats('kill -9 epmd -> running erl lists it (net_adm:names/0)', t.watcher));
  console.log(stats('kill -9 epmd -> new erl node lists it (boot included)', t.newErl));
}

async function takeoverRounds(): Promise<void> {
  const t = { registered: [] as number[], watcher: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    const port = 46000 + Math.floor(Math.random() * 10000);
    const owner = await EpmdPresence.start({ name: 'bwa', port: 40001, epmdPort: port, mode: 'auto' });
    const others = [await EpmdPresence.start({ name: 'bwb', port: 40002, epmdPort: port }), await EpmdPresence.start({ name: 'bwc', port: 40003, epmdPort: port })];
    let current: string[] = [];
    const listeners = new Set<() => void>();
    const w = watcher(port, (n) => ((current = n), listeners.forEach((f) => f())));
    await watch(() => current, (n) => n.length === 3, listeners);
    // The watcher may poll too seldom to see the moment nothing answers; the end state is what it must see.
    const seen = watch(() => current, (n) => n.join() === 'bwb,bwc', listeners);
    const again = Promise.all(others.map(registered));
    const t0 = performance.now();
    await owner.close();
    t.registered.push(Math.max(...(await again)) - t0);
    t.watcher.push((await seen) - t0);
    console.log(`take-over round ${i + 1}: registered ${t.registered[i]!.toFixed(0)} ms, watcher ${t.watcher[i]!.toFixed(0)} ms`);
    w.kill('SIGKILL');
    for (const o of others) await o.close();
  }
  console.log(stats('owner closes -> both others registered again', t.registered));
  console.log(stats('owner closes -> running erl lists both again', t.watcher));
}

await killRounds();
await takeoverRounds();
