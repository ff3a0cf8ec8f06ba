/**
 * How long global:sync() takes on an Erlang node once a new node joins it:
 * an erl node (the reference) against a beamwire node, and node.global.sync()
 * on the beamwire side. Each round starts fresh nodes (global's connect runs
 * once per pair) and times, from the connect, the first global:sync() that
 * returns on the Erlang node, and a name registered on one side seen on the
 * other (global:register_name to whereis_name).
 *
 *   node --import tsx bench/global-sync.ts [--rounds 5]
 *
 * Each figure is the median over the rounds (min..max beside it).
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Node, type Pid, type Term } from '../runtime/index.js';
import { evalIn, startErl, type ErlNode } from '../test/support/erl-node.js';
import { freePort } from '../test/support/net.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const rounds = Number(values.rounds);
const SYNC_MS = `T0 = erlang:monotonic_time(microsecond), ok = global:sync(), erlang:monotonic_time(microsecond) - T0.`;

const median = (xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[Math.floor(s.length / 2)]!.toFixed(0)} ms (${s[0]!.toFixed(0)}..${s[s.length - 1]!.toFixed(0)})`;
};

const port = await freePort();
const probe = await Node.start({ name: 'gsprobe', cookie: 'bench', hidden: true, epmd: { mode: 'embedded', port }, logger: 'silent' });
const erl = (on: ErlNode, src: string): Promise<Term> => evalIn(probe, on.name, src, 30_000);
const results = { erlang: [] as number[], beamwire: [] as number[], beamwireSelf: [] as number[], nameErl: [] as number[], nameBw: [] as number[] };

for (let i = 0; i < rounds; i++) {
  // The reference: two erl nodes.
  const a = await startErl(`gsa${i}`, 'bench', port);
  const b = await startErl(`gsb${i}`, 'bench', port);
  let t0 = performance.now();
  await erl(a, `true = net_kernel:connect_node('${b.name}').`);
  await erl(a, SYNC_MS);
  results.erlang.push(performance.now() - t0);
  await erl(a, `yes = global:register_name(gs_ref, self()).`);
  t0 = performance.now();
  await erl(b, `W = fun W() -> case global:whereis_name(gs_ref) of undefined -> timer:sleep(1), W(); P -> P end end, W().`);
  results.nameErl.push(performance.now() - t0);
  await b.stop();

  // A beamwire node joining the erl node.
  const node = await Node.start({ name: `gsbw${i}`, cookie: 'bench', epmd: { mode: 'external', port }, logger: 'silent' });
  t0 = performance.now();
  await node.connect(a.name);
  await erl(a, SYNC_MS);
  results.beamwire.push(performance.now() - t0);
  const t1 = performance.now();
  await node.global.sync();
  results.beamwireSelf.push(performance.now() - t1);
  const pid: Pid = node.spawn(async (self) => void (await self.receive())).pid;
  t0 = performance.now();
  await node.global.register('gs_bw', pid);
  await erl(a, `W = fun W() -> case global:whereis_name(gs_bw) of undefined -> timer:sleep(1), W(); P -> P end end, W().`);
  results.nameBw.push(performance.now() - t0);
  await node.stop();
  await a.stop();
}
await probe.stop();

console.log(`global:sync() on erl after connecting to another erl node:  ${median(results.erlang)}`);
console.log(`global:sync() on erl after a beamwire node connects to it:   ${median(results.beamwire)}`);
console.log(`node.global.sync() right after (already synced):             ${median(results.beamwireSelf)}`);
console.log(`global:register_name on erl -> whereis_name on the other erl: ${median(results.nameErl)}`);
console.log(`node.global.register -> global:whereis_name on erl:           ${median(results.nameBw)}`);

