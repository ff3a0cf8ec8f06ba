// The measured half of bench/burst-rss.ts (see there): one scenario in a
// process of its own. Plain JavaScript, so that a build of beamwire can be
// measured without tsx's loader in the process (`--beamwire dist/...`);
// with `node --import tsx` it loads the sources. Prints `RESULT {json}`.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const argv = process.argv.slice(2);
const opt = (name, dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const scenario = argv[0];
const N = Number(opt('--n', '1000000'));
const SECONDS = Number(opt('--seconds', '20'));
const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const bw = await import(pathToFileURL(resolve(ROOT, opt('--beamwire', 'runtime/index.ts'))).href);
const { atom, Node, on, P, tuple, Tuple } = bw;
const mb = (bytes) => Math.round(bytes / 1024 / 1024);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const beamDir = mkdtempSync(join(tmpdir(), 'beamwire-burst-'));
const erlc = spawnSync('erlc', ['-o', beamDir, join(ROOT, 'test', 'support', 'burst_sink.erl')], { encoding: 'utf8' });
if (erlc.status !== 0) throw new Error(`erlc burst_sink.erl failed: ${erlc.error?.message ?? erlc.stderr}`);
const epmdPort = 40_000 + Math.floor(Math.random() * 20_000);
const slowSink = scenario === 'slow' || scenario === 'slow-node';
const node = await Node.start({ name: `bwburst${process.pid}`, cookie: 'burst', epmd: { mode: 'embedded', port: epmdPort } });
const alive = `burst${process.pid}`;
const peer = `${alive}@${node.name.split('@')[1]}`;
// The sink starts with erl (-s), so burst-cold can send before anything connected.
const erl = spawn('erl', ['-sname', alive, '-setcookie', 'burst', '-start_epmd', 'false', '-noshell', '-pa', beamDir, '-s', 'burst_sink', 'start', slowSink ? '20' : '0', String(SECONDS + 5)], {
  env: { ...process.env, ERL_EPMD_PORT: String(epmdPort) },
  stdio: 'ignore',
});
process.once('exit', () => {
  erl.kill('SIGKILL');
  rmSync(beamDir, { recursive: true, force: true });
});
// Registered with our EPMD once it answers PORT_PLEASE; burst-cold must not connect before the burst.
for (const deadline = Date.now() + 20_000; ; await sleep(50)) {
  if (Date.now() > deadline) throw new Error(`erl ${alive} did not register`);
  if (scenario === 'burst-cold' ? await registered(alive) : (await node.ping(peer, 1000)) === 'pong') break;
}

const dest = tuple(atom('sink'), atom(peer));
const payload = tuple(atom('get'), 'user:1', [tuple(atom('timeout'), 5000), tuple(atom('retries'), 3)]);
const msg = (i) => tuple(atom('seq'), i, payload);
const baseMB = mb(process.memoryUsage.rss());
const t0 = performance.now();
let sent = 0;
if (scenario === 'burst' || scenario === 'burst-cold') {
  for (let i = 0; i < N; i++) node.send(['sink', peer], msg(i));
  sent = N;
} else if (scenario === 'burst-process') {
  await node.spawn((self) => {
    for (let i = 0; i < N; i++) self.send(dest, msg(i));
    sent = N;
  }).exited;
} else {
  const until = Date.now() + SECONDS * 1000;
  // On a timer, not after the loop: a sender suspended by the stopped peer only goes on once it runs again.
  if (scenario === 'stopped') {
    erl.kill('SIGSTOP');
    setTimeout(() => erl.kill('SIGCONT'), SECONDS * 1000);
  }
  if (scenario === 'slow-node') {
    while (Date.now() < until) {
      for (let k = 0; k < 1000; k++) node.send(['sink', peer], msg(sent++));
      if (typeof node.drain === 'function') await node.drain(peer);
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
}
const sendMs = Math.round(performance.now() - t0);
// An erpc call over the same connection, after every message: answered once the sink has taken them all.
const report = await node.rpc(peer, 'burst_sink', 'report', [], { timeout: 600_000 });
const deliverMs = Math.round(performance.now() - t0);
const peakMB = Math.round(process.resourceUsage().maxRSS / 1024);
const [arrived, next, gaps] = report instanceof Tuple ? report.elements.map(Number) : [-1, -1, -1];
await node.stop();
process.stdout.write(`RESULT ${JSON.stringify({ scenario, sent, arrived, inOrder: gaps === 0 && next === sent, baseMB, peakMB, sendMs, deliverMs })}\n`);
process.exit(0);

/** Whether `name` is registered with our EPMD (PORT_PLEASE2), without connecting to it. */
async function registered(name) {
  return Boolean(await new bw.EpmdClient({ port: epmdPort }).portPlease(name));
}
