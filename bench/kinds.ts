/**
 * paragram's kinds on this machine: N CPU-bound processes run as 'local'
 * processes (one event loop: they take turns), as 'thread' processes and as
 * 'os' processes (pooled contexts, os.availableParallelism() per kind):
 * the wall time of a round; then the restart latency of a thread and an os
 * child under a Supervisor (its crash to its replacement's `start` resolved).
 *
 *   node --import tsx bench/kinds.ts [--n 4] [--work 100000000] [--rounds 7] [--warmup 4] [--restarts 20]
 *
 * The pools are warmed first (their start-up is printed apart), so the
 * times compare running, not booting. Each process answers `[from, work]`
 * with `[hash]` after `work` iterations of an integer hash; a round gives
 * every process its work at once and ends with the last answer; `rounds`
 * rounds on the same processes after `warmup` uncounted ones (a context's
 * V8 tiers the loop up over three or four rounds, local in one), best and median printed: the
 * machine is shared, and a round another program's load slowed shows in
 * the median more than in the best.
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { atom, Node, Pid, Supervisor, type ProcessContext, type ProcessKind } from '../runtime/index.js';

const { values } = parseArgs({ options: { n: { type: 'string', default: '4' }, work: { type: 'string', default: '100000000' }, rounds: { type: 'string', default: '7' }, warmup: { type: 'string', default: '4' }, restarts: { type: 'string', default: '20' } } });
const n = Number(values.n);
const work = Number(values.work);
const rounds = Number(values.rounds);
/** Rounds run first and not counted: a context's V8 takes three or four rounds to tier the loop up (local: one). */
const warmup = Number(values.warmup);
const restartRounds = Number(values.restarts);

// Self-contained: it is shipped as its source.
const crunch = async (self: ProcessContext): Promise<void> => {
  for (;;) {
    const [from, count] = (await self.receive()) as [Pid, number];
    let h = 0;
    for (let i = 0; i < count; i++) h = (Math.imul(h, 31) + i) | 0;
    self.send(from, [h]);
  }
};

const node = await Node.start({ name: 'kinds_bench', cookie: 'bench', epmd: { mode: 'embedded', port: 0 }, logger: 'silent' });

/** The wall time of each round: every process given `work` at once, until the last answer. */
async function run(kind: ProcessKind): Promise<number[]> {
  return new Promise<number[]>((resolve, reject) => {
    node.spawn(async (self) => {
      const procs = await Promise.all(Array.from({ length: n }, () => node.spawn(crunch, { kind })));
      const walls: number[] = [];
      for (let r = 0; r < warmup + rounds; r++) {
        const t0 = performance.now();
        for (const p of procs) self.send(p.pid, [self.pid, work]);
        for (let i = 0; i < n; i++) await self.receive(undefined, { timeout: 600_000 });
        if (r >= warmup) walls.push(performance.now() - t0);
      }
      for (const p of procs) node.exit(p.pid, atom('kill'));
      resolve(walls.sort((a, b) => a - b));
    }).exited.then((r) => r !== atom('normal') && reject(new Error(`bench process ended ${String(r)}`)));
  });
}

async function warm(kind: 'thread' | 'os'): Promise<number> {
  const t0 = performance.now();
  const procs = await Promise.all(Array.from({ length: availableParallelism() }, () => node.spawn((self) => self.receive(), { kind })));
  const ms = performance.now() - t0;
  for (const p of procs) node.exit(p.pid, atom('kill'));
  await Promise.all(procs.map((p) => p.exited));
  return ms;
}

async function restarts(kind: 'thread' | 'os'): Promise<number[]> {
  let restarted: (() => void) | undefined;
  const sup = await Supervisor.start(node, {
    intensity: restartRounds + 1,
    period: 3600,
    children: [{ id: 'w', start: async (s: Pid) => {
      const p = await node.spawnLink(s, (self) => self.receive(), { kind });
      restarted?.();
      return p;
    } }],
  });
  const times: number[] = [];
  let last: Pid | undefined;
  for (let i = 0; i < restartRounds; i++) {
    // The supervisor records the new pid once `start` has returned it.
    let pid: Pid | undefined;
    while (!((pid = sup.whichChildren()[0]?.pid as Pid | undefined) instanceof Pid) || pid === last) await new Promise((r) => setTimeout(r, 1));
    last = pid;
    const done = new Promise<void>((r) => (restarted = r));
    const t0 = performance.now();
    node.exit(pid, atom('boom'));
    await done;
    times.push(performance.now() - t0);
  }
  await sup.stop();
  return times.sort((a, b) => a - b);
}

console.log(`${n} CPU-bound processes x ${work} iterations, ${availableParallelism()} cores; pools of ${availableParallelism()} contexts per kind`);
for (const kind of ['thread', 'os'] as const) console.log(`  ${kind} pool start-up: ${(await warm(kind)).toFixed(0)} ms`);
const stats = (w: number[]): string => `best ${w[0]!.toFixed(0).padStart(5)} ms, median ${w[Math.floor(w.length / 2)]!.toFixed(0).padStart(5)} ms`;
const local = await run('local');
console.log(`  local   ${stats(local)}`);
for (const kind of ['thread', 'os'] as const) {
  const w = await run(kind);
  console.log(`  ${kind.padEnd(7)} ${stats(w)}  (best ${(w[0]! / local[0]!).toFixed(2)}, median ${(w[Math.floor(w.length / 2)]! / local[Math.floor(local.length / 2)]!).toFixed(2)} of local)`);
}
for (const kind of ['thread', 'os'] as const) {
  const t = await restarts(kind);
  const q = (f: number) => t[Math.min(t.length - 1, Math.floor(f * t.length))]!.toFixed(2);
  console.log(`  restart of a ${kind} child (crash to new start): median ${q(0.5)} ms, p90 ${q(0.9)} ms, max ${q(1)} ms over ${restartRounds}`);
}
await node.stop();
