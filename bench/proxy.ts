/**
 * The remote-objects benchmark: beamwire's proxies beside capnweb 0.12
 * (over a loopback WebSocket with `ws`, as capnweb serves Node), in one
 * run, on the same object served from one other process
 * (bench/proxy-server.ts), with the measurements of issue 11, deliverable 8:
 *
 *   round trip   N sequential `await api.add(i, 1)`: mean µs (p50, p99)
 *   chain of 3   N/3 sequential `await api.user(i).profile().name()`, the
 *                three calls pipelined: mean µs per chain, and its ratio to
 *                one round trip of the same implementation
 *   in flight    F `api.add(i, 1)` at once (Promise.all): calls / s
 *   over rpc     beamwire's round trip ÷ node.rpc's of the same `add`
 *                (an RPC module on the same server node)
 *
 * After a warm-up round of each, rounds interleave (beamwire, then
 * capnweb), so outside load hits both alike; each pair gives a ratio per
 * measurement and the reported ratio is the median over the pairs.
 * Targets: round trip ≤ 0.5× capnweb's, chain of 3 ≤ 1.2× one round trip,
 * in flight ≥ 10× capnweb's, ≤ 1.1× node.rpc.
 *
 *   npm run bench -- --proxy             only this benchmark; writes
 *                                        bench/results/proxy-latest.json
 *   node --import tsx bench/proxy.ts     this one directly; --quick,
 *                                        --rounds N, --beamwire PATH
 */
import { newWebSocketRpcSession, type RpcStub } from 'capnweb';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { codeVersion } from './dist.js';
import { otherPartAsked } from './parts.js';
import type { Api } from './proxy-server.js';

type Beamwire = typeof import('../runtime/index.js');

const HERE = dirname(fileURLToPath(import.meta.url));
// capnweb reads WebSocket's constants from the global, which Node has only from 22 on.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

interface Sizes {
  readonly rtt: number;
  readonly chains: number;
  readonly inFlight: number;
}

interface Round {
  /** µs per call, sequential. */
  rtt: number;
  p50: number;
  p99: number;
  /** µs per chain of three pipelined calls. */
  chain: number;
  /** calls / s with F in flight. */
  inFlight: number;
}

/** What both implementations offer the measurements: one call, one chain. */
interface Client {
  add(a: number, b: number): Promise<number>;
  chain(i: number): Promise<string>;
}

async function sequential(n: number, f: (i: number) => Promise<unknown>): Promise<{ mean: number; p50: number; p99: number }> {
  const t: number[] = new Array(n);
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await f(i);
    t[i] = (performance.now() - s) * 1000;
  }
  const mean = ((performance.now() - start) * 1000) / n;
  t.sort((a, b) => a - b);
  return { mean, p50: t[Math.floor(n / 2)]!, p99: t[Math.floor(n * 0.99)]! };
}

async function round(c: Client, s: Sizes): Promise<Round> {
  const r = await sequential(s.rtt, (i) => c.add(i, 1));
  const ch = await sequential(s.chains, (i) => c.chain(i));
  const t0 = performance.now();
  const all = await Promise.all(Array.from({ length: s.inFlight }, (_, i) => c.add(i, 1)));
  const dt = (performance.now() - t0) / 1000;
  if (all[s.inFlight - 1] !== s.inFlight) throw new Error('in flight: wrong result');
  return { rtt: r.mean, p50: r.p50, p99: r.p99, chain: ch.mean, inFlight: s.inFlight / dt };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export async function runProxy(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const at = argv.indexOf('--rounds');
  const rounds = at >= 0 ? Math.max(1, Number(argv[at + 1])) : quick ? 2 : 5;
  const bAt = argv.indexOf('--beamwire');
  const modulePath = bAt >= 0 ? argv[bAt + 1]! : join(HERE, '../runtime/index.ts');
  const sizes: Sizes = quick ? { rtt: 500, chains: 200, inFlight: 2000 } : { rtt: 3000, chains: 1000, inFlight: 10_000 };
  const bw = (await import(resolve(modulePath).startsWith('/') ? `file://${resolve(modulePath)}` : modulePath)) as Beamwire;

  const client = await bw.Node.start({ name: `proxybench${process.pid}@127.0.0.1`, cookie: 'bench', epmd: { mode: 'embedded', port: 0 }, logger: 'silent' });
  const server = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'proxy-server.ts'), modulePath, String(client.epmdPort)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const ready = await new Promise<string>((res, rej) => {
    const rl = createInterface({ input: server.stdout! });
    rl.once('line', res);
    server.once('exit', (code) => rej(new Error(`proxy-server exited ${code}`)));
  });
  const [, wsPort, serverNode] = ready.split(' ') as [string, string, string];
  try {
    const api = await client.proxy<Api>('api', { node: serverNode });
    const beam: Client = { add: (a, b) => api.add(a, b), chain: (i) => api.user(i).profile().name() };
    const rpc: Client = { add: (a, b) => client.rpc(serverNode, 'bench_rpc', 'add', [a, b]) as Promise<number>, chain: () => Promise.resolve('') };
    const ws = new WebSocket(`ws://127.0.0.1:${wsPort}`);
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
    const stub = newWebSocketRpcSession<Api>(ws as never) as unknown as RpcStub<Api>;
    const capn: Client = { add: (a, b) => stub.add(a, b) as unknown as Promise<number>, chain: (i) => stub.user(i).profile().name() as unknown as Promise<string> };

    const warm: Sizes = { rtt: 300, chains: 100, inFlight: 1000 };
    await round(beam, warm);
    await round(capn, warm);
    await sequential(300, (i) => rpc.add(i, 1));
    const pairs: { b: Round; c: Round; rpc: number }[] = [];
    for (let i = 0; i < rounds; i++) {
      const b = await round(beam, sizes);
      const c = await round(capn, sizes);
      const r = (await sequential(sizes.rtt, (j) => rpc.add(j, 1))).mean;
      pairs.push({ b, c, rpc: r });
      process.stderr.write(`proxy round ${i + 1}/${rounds}: rtt ${b.rtt.toFixed(1)} vs ${c.rtt.toFixed(1)} µs (rpc ${r.toFixed(1)}), chain ${b.chain.toFixed(1)} vs ${c.chain.toFixed(1)} µs, in flight ${b.inFlight.toFixed(0)} vs ${c.inFlight.toFixed(0)}/s\n`);
    }
    ws.close();
    const ratio = {
      rtt: median(pairs.map((p) => p.b.rtt / p.c.rtt)),
      chainOverRtt: median(pairs.map((p) => p.b.chain / p.b.rtt)),
      inFlight: median(pairs.map((p) => p.b.inFlight / p.c.inFlight)),
      overRpc: median(pairs.map((p) => p.b.rtt / p.rpc)),
    };
    const spread = (f: (p: (typeof pairs)[number]) => number): [number, number] => [Math.min(...pairs.map(f)), Math.max(...pairs.map(f))];
    const verdicts = [
      { target: 'round trip ≤ 0.5× capnweb', value: ratio.rtt, met: ratio.rtt <= 0.5, spread: spread((p) => p.b.rtt / p.c.rtt) },
      { target: 'chain of 3 ≤ 1.2× one round trip', value: ratio.chainOverRtt, met: ratio.chainOverRtt <= 1.2, spread: spread((p) => p.b.chain / p.b.rtt) },
      { target: 'calls in flight ≥ 10× capnweb', value: ratio.inFlight, met: ratio.inFlight >= 10, spread: spread((p) => p.b.inFlight / p.c.inFlight) },
      { target: 'round trip ≤ 1.1× node.rpc', value: ratio.overRpc, met: ratio.overRpc <= 1.1, spread: spread((p) => p.b.rtt / p.rpc) },
    ];
    const med = (f: (p: (typeof pairs)[number]) => number): number => median(pairs.map(f));
    const table = [
      '| measurement | beamwire | capnweb | beamwire ÷ capnweb |',
      '|---|---:|---:|---:|',
      `| round trip, mean µs (p50 / p99) | ${med((p) => p.b.rtt).toFixed(1)} (${med((p) => p.b.p50).toFixed(1)} / ${med((p) => p.b.p99).toFixed(1)}) | ${med((p) => p.c.rtt).toFixed(1)} (${med((p) => p.c.p50).toFixed(1)} / ${med((p) => p.c.p99).toFixed(1)}) | ${ratio.rtt.toFixed(2)}× |`,
      `| chain of 3 pipelined, µs | ${med((p) => p.b.chain).toFixed(1)} | ${med((p) => p.c.chain).toFixed(1)} | ${median(pairs.map((p) => p.b.chain / p.c.chain)).toFixed(2)}× |`,
      `| calls in flight, calls/s | ${med((p) => p.b.inFlight).toFixed(0)} | ${med((p) => p.c.inFlight).toFixed(0)} | ${ratio.inFlight.toFixed(2)}× |`,
      `| node.rpc round trip, µs | ${med((p) => p.rpc).toFixed(1)} | | proxy ÷ rpc ${ratio.overRpc.toFixed(2)}× |`,
    ];
    process.stdout.write(`\nRemote objects beside capnweb 0.12 (${rounds} interleaved rounds, load ${loadavg()[0]!.toFixed(2)})\n${table.join('\n')}\n\n`);
    for (const v of verdicts) process.stdout.write(`${v.met ? 'MET   ' : 'MISSED'} ${v.target}: ${v.value.toFixed(2)}× (pairs ${v.spread[0].toFixed(2)}–${v.spread[1].toFixed(2)})\n`);
    const dir = join(HERE, 'results');
    mkdirSync(dir, { recursive: true });
    const result = { when: new Date().toISOString(), code: codeVersion(), machine: { cpus: availableParallelism(), model: cpus()[0]?.model, load: loadavg() }, sizes, rounds: pairs, ratio, verdicts };
    if (!quick) writeFileSync(join(dir, 'proxy-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    server.stdin!.end();
    server.kill();
    await client.stop();
  }
}

/** For bench/run.ts: `--proxy` runs only this benchmark; a full run makes it last. */
export function withProxy(inner: () => Promise<void>): () => Promise<void> {
  return async () => {
    const only = process.argv.includes('--proxy');
    const others = otherPartAsked('--proxy');
    process.argv = process.argv.filter((a) => a !== '--proxy');
    if (!only) await inner();
    if (only || !others) await runProxy(process.argv.slice(2));
  };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  runProxy(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`proxy bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
