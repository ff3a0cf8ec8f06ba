/**
 * How much memory a sender costs when it outruns the connection, and whether
 * what it sent arrives complete and in order (issue 8, point 5):
 *
 *   node --import tsx bench/burst-rss.ts                 every scenario
 *   node --import tsx bench/burst-rss.ts burst slow      some of them
 *   options: --n N (burst size, 1000000)  --seconds S (slow/stopped, 20)
 *            --beamwire dist/runtime/index.js (measure a build, after
 *            `npm run build`, in plain node: no tsx loader in the process)
 *
 * Each scenario runs in a child process of its own, bench/burst-child.mjs
 * (so its peak RSS is its own), against a real `erl` node loaded with test/support/burst_sink.erl, registered
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
 *   stopped        as slow, to a sink whose erl is SIGSTOPped for S seconds
 *
 * The slow sink sleeps, but erl's distribution receiver takes messages into
 * its mailbox as fast as it can decode them, as between Erlang nodes: "slow"
 * is the erl node as a whole being slower than the sender, and with
 * back-pressure the backlog waits in the sink's mailbox, not in ours.
 *
 * Peak RSS is getrusage's maxRSS of the child (the true peak, also inside a
 * synchronous loop no timer can interrupt); `base` is the RSS before sending.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
const opt = (name: string, dflt: string): string => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : dflt);
const N = opt('--n', '1000000');
const SECONDS = opt('--seconds', '20');
const BEAMWIRE = opt('--beamwire', '');

const picked = argv.filter((a) => (SCENARIOS as readonly string[]).includes(a)) as Scenario[];
console.log(`burst-rss: n=${N}, seconds=${SECONDS}, node ${process.version}, beamwire ${BEAMWIRE || 'sources (tsx)'}`);
console.log('scenario        sent       arrived    in order  base MB  peak MB  send ms  deliver ms');
for (const s of picked.length > 0 ? picked : SCENARIOS) {
  const r = runChild(s);
  if (typeof r === 'string') console.log(`${s.padEnd(15)} failed: ${r}`);
  else
    console.log(
      `${s.padEnd(15)} ${String(r.sent).padEnd(10)} ${String(r.arrived).padEnd(10)} ${String(r.inOrder).padEnd(9)} ${String(r.baseMB).padEnd(8)} ${String(r.peakMB).padEnd(8)} ${String(r.sendMs).padEnd(8)} ${r.deliverMs}`,
    );
}

/** The sources need tsx in the child; a build runs in plain node, as a user's application would. */
function runChild(s: Scenario): Result | string {
  const loader = BEAMWIRE ? [] : ['--import', 'tsx'];
  const args = [...loader, join(HERE, 'burst-child.mjs'), s, '--n', N, '--seconds', SECONDS, ...(BEAMWIRE ? ['--beamwire', BEAMWIRE] : [])];
  const c = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: (Number(SECONDS) + 600) * 1000 });
  const line = c.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) return `exit ${c.status ?? c.signal}: ${c.stderr.slice(-2000)}`;
  return JSON.parse(line.slice(7)) as Result;
}
