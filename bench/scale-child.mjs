// The measured half of bench/scale.ts (see there): one measurement in a Node
// process of its own, run with --expose-gc so memory is read after a full
// collection. Plain JavaScript, so a build of beamwire is measured without
// tsx's loader in the process. Prints `RESULT {json}`.
//
//   node --expose-gc bench/scale-child.mjs idle N [--beamwire PATH]
//   node --expose-gc bench/scale-child.mjs ring N --hops H --tokens T [--beamwire PATH]
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const argv = process.argv.slice(2);
const opt = (name, dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const [mode, nText] = argv;
const N = Number(nText);
const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const bw = await import(pathToFileURL(resolve(ROOT, opt('--beamwire', 'runtime/index.ts'))).href);
const { ProcessTable, atom, silentLogger } = bw;
const table = new ProcessTable({ name: atom('scale@localhost'), creation: 1 }, { logger: silentLogger });
const full = () => {
  globalThis.gc();
  globalThis.gc();
};
const used = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

/** Spawns `n` processes that each run `body` up to their first receive; resolves once all have started. */
async function spawnAll(n, body) {
  let started = 0;
  let allStarted;
  const done = new Promise((r) => (allStarted = r));
  const t0 = process.hrtime.bigint();
  const procs = new Array(n);
  for (let i = 0; i < n; i++) {
    procs[i] = table.spawn(async (self) => {
      if (++started === n) allStarted();
      await body(self, i);
    });
  }
  await done;
  const ns = Number(process.hrtime.bigint() - t0);
  return { procs, seconds: ns / 1e9 };
}

if (mode === 'idle') {
  full();
  const before = used();
  const { procs, seconds } = await spawnAll(N, async (self) => {
    await self.receive();
  });
  full();
  const after = used();
  const m = process.memoryUsage();
  const result = { mode, n: N, alive: table.size, spawnPerSec: N / seconds, spawnSeconds: seconds, bytesPerProcess: (after - before) / N, heapUsed: m.heapUsed, external: m.external, rss: m.rss };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  if (procs.length !== N) throw new Error('lost processes');
  process.exit(0);
} else if (mode === 'ring') {
  // A ring of N processes: each first receives the pid of the next, then
  // forwards every integer it gets to the next, decremented; a token that
  // reaches 0 tells the collector. T tokens start spread over the ring, each
  // with H/T hops: messages per second = H / elapsed.
  const H = Number(opt('--hops', '1000000'));
  const T = Number(opt('--tokens', '100'));
  let finished = 0;
  let allDone;
  const done = new Promise((r) => (allDone = r));
  const { procs } = await spawnAll(N, async (self) => {
    const next = await self.receive();
    for (;;) {
      const k = await self.receive();
      if (k === 0) {
        if (++finished === T) allDone();
      } else self.send(next, k - 1);
    }
  });
  for (let i = 0; i < N; i++) table.send(procs[i].pid, procs[(i + 1) % N].pid);
  await new Promise((r) => setImmediate(r));
  full();
  const per = Math.floor(H / T);
  const t0 = process.hrtime.bigint();
  for (let t = 0; t < T; t++) table.send(procs[Math.floor((t * N) / T)].pid, per);
  await done;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const result = { mode, n: N, hops: per * T, tokens: T, seconds, msgsPerSec: (per * T) / seconds };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
} else {
  throw new Error(`unknown mode ${mode}`);
}
