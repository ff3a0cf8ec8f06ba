/**
 * Restart latency of a beamwire Supervisor: from the exit signal that ends a
 * child to its replacement started (the child's `start` has returned its pid).
 *
 *   node --import tsx bench/supervisor-restart.ts [--rounds 2000]
 *
 * Cases, each on one in-memory node (no network): a plain process child
 * (`node.spawnLink(sup, fn)`) under one_for_one; a GenServer child (its init
 * awaited) under one_for_one; the first of 5 plain children under
 * one_for_all (4 shut down in reverse order, 5 started). Printed: median,
 * p99 and max in microseconds.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { atom, GenServer, MemoryCarrier, Node, Supervisor, type InitResult, type Pid } from '../runtime/index.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '2000' } } });
const rounds = Number(values.rounds);
const BOOM = atom('boom');

class Idle extends GenServer<number> {
  init(): InitResult<number> {
    return { state: 0 };
  }
}

async function measure(label: string, strategy: 'one_for_one' | 'one_for_all', children: number, kind: 'process' | 'genserver'): Promise<void> {
  const node = await Node.start({ name: `bench${label.length}@mem`, cookie: 'c', transport: new MemoryCarrier(), epmd: 'none', logger: 'silent' });
  let restarted: (() => void) | undefined;
  const start = async (sup: Pid, i: number) => {
    const pid = kind === 'process' ? node.spawnLink(sup, (self) => self.receive()).pid : (await Idle.start(node, undefined, { link: sup })).pid;
    if (i === children - 1) restarted?.();
    return pid;
  };
  const sup = await Supervisor.start(node, {
    strategy,
    intensity: rounds + 1,
    period: 3600,
    children: Array.from({ length: children }, (_, i) => ({ id: `c${i}`, start: (s: Pid) => start(s, i) })),
  });
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // The supervisor records the new pid once `start` has returned: let it.
    while (!sup.whichChildren().every((c) => c.pid !== undefined && c.pid !== 'restarting')) await new Promise((r) => setImmediate(r));
    const victim = sup.whichChildren()[0]!.pid as Pid;
    const done = new Promise<void>((resolve) => (restarted = resolve));
    const t0 = performance.now();
    node.exit(victim, BOOM);
    await done;
    samples.push((performance.now() - t0) * 1000);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!.toFixed(0);
  console.log(`${label.padEnd(44)} median ${at(0.5).padStart(5)} µs  p99 ${at(0.99).padStart(5)} µs  max ${samples.at(-1)!.toFixed(0).padStart(6)} µs  (${rounds} restarts)`);
  await sup.stop();
  await node.stop();
}

await measure('process child, one_for_one', 'one_for_one', 1, 'process');
await measure('GenServer child, one_for_one', 'one_for_one', 1, 'genserver');
await measure('5 process children, one_for_all (first dies)', 'one_for_all', 5, 'process');
