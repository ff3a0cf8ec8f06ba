/**
 * How much memory a sender costs when it outruns the connection, and whether
 * what it sent arrives complete and in order (issue 8, point 5):
 *
 *   node --import tsx bench/burst-rss.ts                 every scenario
 *   node --import tsx bench/burst-rss.ts burst slow      some of them
 *   options: --n N (burst size, 1000000)  --seconds S (slow/stopped, 20)
 *
 * Each scenario runs in a child process of its own (so its peak RSS is its
 * own) against a real `erl` node loaded with test/support/burst_sink.erl, registered
 * with an embedded EPMD on a random port. The sink counts `{seq, I, _}` and
 * checks I = 0, 1, 2, ... Scenarios:
 *
 *   burst          connected first; N node.send calls in one synchronous loop
 *   burst-cold     the same before any connection exists (they wait for it)
 *   burst-process  N self.send calls in one process, no await between them
 *   slow           a process sends for S seconds, 1000 messages per event-loop
 *                  turn, with `receive after 0` between turns, to a sink that
 *                  sleeps 1 ms every 20 messages (for S + 5 s, then takes the
 *                  backlog at full speed, so delivery can be checked)
 *   slow-node      the same from outside any process with node.send, awaiting
 *                  node.drain(peer) between turns when the node has it
 *   stopped        as slow, to a sink whose erl is SIGSTOPped (SIGCONT after)
 *
 * Peak RSS is getrusage's maxRSS of the child (the true peak, also inside a
 * synchronous loop no timer can interrupt); `base` is the RSS before sending.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { atom, Node, on, P, tuple, Tuple, type Term } from '../runtime/index.js';
import { startErl, type ErlNode } from '../test/support/erl-node.js';
import { erlEval } from './erl-eval.js';
import * as bw from '../runtime/index.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SCENARIOS = ['burst', 'burst-cold', 'burst-process', 'slow', 'slow-node', 'stopped'] as const;
type Scenario = (typeof SCENARIOS)[number];

interface Result {
  scenario: Scenario;
  sent: number;
  arrived: number;
  inOrder: boolean;
  baseMB: number;
  peakMB: number;
  sendMs: number;
  deliverMs: number;
}

const argv = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const N = opt('--n', 1_000_000);
const SECONDS = opt('--seconds', 20);
const mb = (bytes: number): number => Math.round(bytes / 1024 / 1024);

if (argv[0] === '--child') {
  const r = await child(argv[1] as Scenario);
  process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
  process.exit(0);
} else {
  const picked = argv.filter((a) => (SCENARIOS as readonly string[]).includes(a)) as Scenario[];
  const run = picked.length > 0 ? picked : [...SCENARIOS];
  console.log(`burst-rss: n=${N}, seconds=${SECONDS}, node ${process.version}`);
  console.log('scenario        sent       arrived    in order  base MB  peak MB  send ms  deliver ms');
  for (const s of run) {
    const r = runChild(s);
    if (typeof r === 'string') {
      console.log(`${s.padEnd(15)} failed: ${r}`);
      continue;
    }
    console.log(
      `${s.padEnd(15)} ${String(r.sent).padEnd(10)} ${String(r.arrived).padEnd(10)} ${String(r.inOrder).padEnd(9)} ${String(r.baseMB).padEnd(8)} ${String(r.peakMB).padEnd(8)} ${String(r.sendMs).padEnd(8)} ${r.deliverMs}`,
    );
  }
}

function runChild(s: Scenario): Result | string {
  const c = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', s, '--n', String(N), '--seconds', String(SECONDS)], {
    encoding: 'utf8',
    timeout: (SECONDS + 600) * 1000,
  });
  const line = c.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) return `exit ${c.status ?? c.signal}: ${c.stderr.slice(-2000)}`;
  return JSON.parse(line.slice(7)) as Result;
}

async function child(s: Scenario): Promise<Result> {
  const beamDir = mkdtempSync(join(tmpdir(), 'beamwire-burst-'));
  const erlc = spawnSync('erlc', ['-o', beamDir, join(HERE, '..', 'test', 'support', 'burst_sink.erl')], { encoding: 'utf8' });
  if (erlc.status !== 0) throw new Error(`erlc burst_sink.erl failed: ${erlc.error?.message ?? erlc.stderr}`);
  const epmdPort = 40_000 + Math.floor(Math.random() * 20_000);
  let erl: ErlNode | undefined;
  process.once('exit', () => {
    erl?.child.kill('SIGKILL');
    rmSync(beamDir, { recursive: true, force: true });
  });
  const node = await Node.start({ name: `bwburst${process.pid}`, cookie: 'burst', epmd: { mode: 'embedded', port: epmdPort } });
  const slowSink = s === 'slow' || s === 'slow-node';
  // The sink starts with erl (-s), so burst-cold can send before anything connected.
  erl = await startErl(`burst${process.pid}`, 'burst', epmdPort, ['-pa', beamDir, '-s', 'burst_sink', 'start', slowSink ? '20' : '0', String(SECONDS + 5)]);
  const peer = erl.name;
  if (s !== 'burst-cold' && (await node.ping(peer)) !== 'pong') throw new Error(`${peer} does not answer ping`);
  const dest = tuple(atom('sink'), atom(peer));
  const payload = tuple(atom('get'), 'user:1', [tuple(atom('timeout'), 5000), tuple(atom('retries'), 3)]);
  const msg = (i: number): Term => tuple(atom('seq'), i, payload);
  global.gc?.();
  const baseMB = mb(process.memoryUsage.rss());
  const t0 = performance.now();
  let sent = 0;
  if (s === 'burst' || s === 'burst-cold') {
    for (let i = 0; i < N; i++) node.send(['sink', peer], msg(i));
    sent = N;
  } else if (s === 'burst-process') {
    await node.spawn((self) => {
      for (let i = 0; i < N; i++) self.send(dest, msg(i));
      sent = N;
    }).exited;
  } else {
    if (s === 'stopped') erl.child.kill('SIGSTOP');
    const until = Date.now() + SECONDS * 1000;
    if (s === 'slow-node') {
      const drain = (node as { drain?: (peer: string) => Promise<void> }).drain?.bind(node);
      while (Date.now() < until) {
        for (let k = 0; k < 1000; k++) node.send(['sink', peer], msg(sent++));
        if (drain) await drain(peer);
        await new Promise((r) => setImmediate(r));
      }
    } else {
      const never = on(P.tuple(atom('never')), () => undefined);
      await node.spawn(async (self) => {
        while (Date.now() < until) {
          for (let k = 0; k < 1000; k++) self.send(dest, msg(sent++));
          // Erlang's `receive after 0 -> ok end`: where a process waits for a busy connection.
          await self.receive([never], { timeout: 0, after: () => undefined });
          await new Promise((r) => setImmediate(r));
        }
      }).exited;
    }
    if (s === 'stopped') erl.child.kill('SIGCONT');
  }
  const sendMs = Math.round(performance.now() - t0);
  // Sent after every message, over the same connection: answered once the sink has taken them all.
  const report = await erlEval(bw, node, peer, 'burst_sink:report().', 600_000);
  const deliverMs = Math.round(performance.now() - t0);
  const peakMB = Math.round(process.resourceUsage().maxRSS / 1024);
  const [arrived, next, gaps] = report instanceof Tuple ? report.elements.map(Number) : [-1, -1, -1];
  await node.stop();
  await erl.stop();
  return { scenario: s, sent, arrived: arrived!, inOrder: gaps === 0 && next === sent, baseMB, peakMB, sendMs, deliverMs };
}
