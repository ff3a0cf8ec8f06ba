/**
 * The scale benchmark (issue 14, point 4): how cost grows with the number of
 * processes on one node, beamwire beside Erlang measured in the same run.
 *
 *   idle     N processes (10k, 100k, 1M) spawned, each waiting in a receive:
 *            spawn rate (processes/s, timed until every one has started)
 *            and memory per idle process, after a full collection. beamwire:
 *            heapUsed + external delta ÷ N in a `node --expose-gc` child
 *            (bench/scale-child.mjs); Erlang: erlang:memory(total) delta ÷ N
 *            in an `erl +P 2000000` (bench/scale_bench.erl).
 *   ring     N processes (1, 100, 10k, 1M) in a ring, each forwarding an
 *            integer to the next, decremented; 100 tokens spread over the
 *            ring make H hops in all: messages/s = H ÷ elapsed. The same
 *            ring, tokens and hops in Erlang.
 *   peers    10 erl nodes each send M messages at once to one sink process:
 *            on a beamwire node, or (Erlang's figure, same topology) on an
 *            11th erl node. Messages/s = 10 M ÷ (first send order → sink
 *            counted all).
 *
 * Every measurement runs in a fresh OS process, beamwire and Erlang
 * interleaved round by round, with the 1-minute load average beside it;
 * ratios are medians of per-round pairs. Writes bench/results/scale-latest.json
 * and bench/results/scale-{spawn,memory,ring,peers}.svg (a partial run: *.tmp).
 *
 *   npm run bench -- --scale     only this benchmark (a full run makes it last)
 *   node --import tsx bench/scale.ts [--quick] [--rounds N] [--beamwire PATH]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startErl, type ErlNode } from '../test/support/erl-node.js';
import { otp } from '../test/support/otp.js';
import { codeVersion } from './dist.js';
import { otherPartAsked } from './parts.js';
import { barChart, lineChart } from './scale-svg.js';
import type { Node as NodeT } from '../runtime/index.js';

type Beamwire = typeof import('../runtime/index.js');

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(HERE);
const RESULTS_DIR = join(HERE, 'results');
const COOKIE = 'scalebench';
const PEERS = 10;
const TOKENS = 100;

interface ScaleOptions {
  quick: boolean;
  rounds: number;
  idleSizes: number[];
  ringSizes: number[];
  hops: number;
  perPeer: number;
  beamwire: string | null;
  partial: boolean;
}

function parseScaleOptions(argv: string[]): ScaleOptions {
  const quick = argv.includes('--quick');
  const o: ScaleOptions = {
    quick,
    rounds: quick ? 1 : 3,
    idleSizes: quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000],
    ringSizes: quick ? [1, 100, 10_000] : [1, 100, 10_000, 1_000_000],
    hops: quick ? 200_000 : 1_000_000,
    perPeer: quick ? 20_000 : 100_000,
    beamwire: null,
    partial: quick,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--rounds') {
      o.rounds = Number(argv[++i]);
      if (!Number.isInteger(o.rounds) || o.rounds <= 0) throw new Error('--rounds needs a positive integer');
      o.partial = true;
    } else if (a === '--beamwire') o.beamwire = argv[++i] ?? null;
  }
  return o;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1]!;
const log = (line: string): void => void process.stderr.write(`[scale bench] ${line}\n`);
const load1 = (): number => Number(loadavg()[0]!.toFixed(2));
const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmtN = (n: number): string => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

/** Runs a command to its end and returns the JSON after its `RESULT ` line. */
function result(cmd: string, args: string[], timeoutMs: number): Promise<Record<string, number>> {
  return new Promise((resolveP, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (line === undefined) reject(new Error(`${cmd} ${args.join(' ')} gave no result (exit ${code ?? signal}): ${out.slice(-2000)}`));
      else resolveP(JSON.parse(line.slice(7)) as Record<string, number>);
    });
  });
}

interface Pair {
  n: number;
  round: number;
  bw: Record<string, number>;
  erl: Record<string, number>;
  loadBw: number;
  loadErl: number;
}

export async function runScale(argv: string[]): Promise<void> {
  const opt = parseScaleOptions(argv);
  const loadAtStart = load1();
  const beamDir = mkdtempSync(join(tmpdir(), 'beamwire-scale-'));
  const erlc = spawnSync(...otp('erlc', ['-o', beamDir, join(HERE, 'scale_bench.erl')]), { encoding: 'utf8' });
  if (erlc.status !== 0) throw new Error(`erlc scale_bench.erl failed: ${erlc.error?.message ?? erlc.stderr}`);
  const childArgs = (mode: string, n: number, extra: string[] = []): string[] => [
    '--expose-gc',
    '--max-old-space-size=8192',
    ...(opt.beamwire === null ? ['--import', 'tsx'] : []),
    join(HERE, 'scale-child.mjs'),
    mode,
    String(n),
    ...extra,
    '--beamwire',
    opt.beamwire ?? 'runtime/index.ts',
  ];
  const erl = (expr: string): [string, string[]] => otp('erl', ['+P', '2000000', '-noshell', '-pa', beamDir, '-eval', expr]);
  const timeout = (n: number): number => 60_000 + n * 0.3;

  try {
    const idle: Pair[] = [];
    const ring: Pair[] = [];
    for (let round = 0; round < opt.rounds; round++) {
      for (const n of opt.idleSizes) {
        if (n >= 1_000_000 && round > 0) continue; // a million once per run: a minute each side on this machine
        const loadBw = load1();
        const bw = await result(process.execPath, childArgs('idle', n), timeout(n));
        const loadErl = load1();
        const e = await result(...erl(`scale_bench:idle(${n}).`), timeout(n));
        idle.push({ n, round, bw, erl: e, loadBw, loadErl });
        log(`idle ${fmtN(n)} (round ${round + 1}, load ${loadBw}/${loadErl}): spawn ${fmtInt(bw.spawnPerSec!)} vs ${fmtInt(e.spawnPerSec!)} /s; ${fmtInt(bw.bytesPerProcess!)} vs ${fmtInt(e.bytesPerProcess!)} bytes/process; alive ${fmtInt(bw.alive!)}`);
      }
      for (const n of opt.ringSizes) {
        if (n >= 1_000_000 && round > 0) continue;
        const extra = ['--hops', String(opt.hops), '--tokens', String(TOKENS)];
        const loadBw = load1();
        const bw = await result(process.execPath, childArgs('ring', n, extra), timeout(n) + 120_000);
        const loadErl = load1();
        const e = await result(...erl(`scale_bench:ring(${n}, ${opt.hops}, ${TOKENS}).`), timeout(n));
        ring.push({ n, round, bw, erl: e, loadBw, loadErl });
        log(`ring ${fmtN(n)} (round ${round + 1}, load ${loadBw}/${loadErl}): ${fmtInt(bw.msgsPerSec!)} vs ${fmtInt(e.msgsPerSec!)} msgs/s`);
      }
    }
    const peers = await runPeers(opt, beamDir);

    // ---- summaries: per size, the median over rounds and of per-round ratios
    const bySize = (pairs: Pair[], key: string) =>
      [...new Set(pairs.map((p) => p.n))].map((n) => {
        const ps = pairs.filter((p) => p.n === n);
        return {
          n,
          beamwire: median(ps.map((p) => p.bw[key]!)),
          erlang: median(ps.map((p) => p.erl[key]!)),
          ratio: median(ps.map((p) => p.bw[key]! / p.erl[key]!)),
          rounds: ps.length,
          load: ps.map((p) => [p.loadBw, p.loadErl]),
        };
      });
    const spawnRows = bySize(idle, 'spawnPerSec');
    const memRows = bySize(idle, 'bytesPerProcess');
    const ringRows = bySize(ring, 'msgsPerSec');
    const biggest = idle.filter((p) => p.n === Math.max(...opt.idleSizes));
    const million = idle.find((p) => p.n === 1_000_000);
    const memAtTop = memRows[memRows.length - 1]!;
    const spawnWorst = Math.min(...spawnRows.map((r) => r.ratio));
    const flat = ringRows.filter((r) => r.n <= 10_000);
    const flatness = (side: 'beamwire' | 'erlang'): number => Math.min(...flat.map((r) => r[side])) / Math.max(...flat.map((r) => r[side]));
    const targets = [
      {
        target: '1,000,000 processes alive in one beamwire node',
        ratio: million ? million.bw.alive! / 1_000_000 : biggest[0]!.bw.alive! / 1_000_000,
        met: million !== undefined && million.bw.alive === 1_000_000,
        note: million ? `${fmtInt(million.bw.alive!)} alive, rss ${fmtInt(million.bw.rss! / 2 ** 20)} MiB` : 'not run (--quick)',
      },
      { target: `memory per idle process ≤ Erlang's (at ${fmtN(memAtTop.n)}; beamwire ÷ Erlang ≤ 1)`, ratio: memAtTop.ratio, met: memAtTop.ratio <= 1, note: `${fmtInt(memAtTop.beamwire)} vs ${fmtInt(memAtTop.erlang)} bytes` },
      { target: "spawn rate ≥ 0.5× Erlang's (worst size)", ratio: spawnWorst, met: spawnWorst >= 0.5, note: spawnRows.map((r) => `${fmtN(r.n)}: ${r.ratio.toFixed(2)}×`).join(', ') },
      { target: 'ring throughput within 10 % from 1 to 10,000 processes (slowest ÷ fastest ≥ 0.9)', ratio: flatness('beamwire'), met: flatness('beamwire') >= 0.9, note: `Erlang's own: ${flatness('erlang').toFixed(2)}` },
    ];

    const md = [
      `| scale (median of rounds; ratio = median of per-round beamwire ÷ Erlang) | N | beamwire | Erlang | ratio |`,
      '|---|---:|---:|---:|---:|',
      ...spawnRows.map((r) => `| spawn rate, processes/s | ${fmtN(r.n)} | ${fmtInt(r.beamwire)} | ${fmtInt(r.erlang)} | ${r.ratio.toFixed(2)}× |`),
      ...memRows.map((r) => `| memory per idle process, bytes | ${fmtN(r.n)} | ${fmtInt(r.beamwire)} | ${fmtInt(r.erlang)} | ${r.ratio.toFixed(2)}× |`),
      ...ringRows.map((r) => `| ring, messages/s (${TOKENS} tokens, ${fmtN(opt.hops)} hops) | ${fmtN(r.n)} | ${fmtInt(r.beamwire)} | ${fmtInt(r.erlang)} | ${r.ratio.toFixed(2)}× |`),
      `| ${PEERS} peer nodes → one sink process, messages/s (${fmtN(opt.perPeer)} each) | ${PEERS} | ${fmtInt(peers.beamwire)} | ${fmtInt(peers.erlang)} | ${peers.ratio.toFixed(2)}× |`,
      '',
    ].join('\n');
    process.stdout.write(`\n${md}\n`);
    for (const t of targets) process.stdout.write(`${t.met ? 'MET   ' : 'MISSED'} ${t.target}: ${t.ratio.toFixed(2)}× (${t.note})\n`);

    const suffix = opt.partial ? '.tmp' : '';
    mkdirSync(RESULTS_DIR, { recursive: true });
    const svg = (name: string, text: string): void => writeFileSync(join(RESULTS_DIR, `scale-${name}${suffix === '' ? '.svg' : '.svg.tmp'}`), text);
    const series = (rows: { n: number; beamwire: number; erlang: number }[]) => [
      { name: 'beamwire', points: rows.map((r) => [r.n, r.beamwire] as [number, number]) },
      { name: 'Erlang/OTP', points: rows.map((r) => [r.n, r.erlang] as [number, number]) },
    ];
    svg('spawn', lineChart({ title: 'Spawn rate (processes/s) vs processes spawned', xLabel: 'processes', yLabel: 'processes/s', logY: false, series: series(spawnRows) }));
    svg('memory', lineChart({ title: 'Memory per idle process (bytes) vs live processes', xLabel: 'live processes', yLabel: 'bytes/process', logY: false, series: series(memRows) }));
    svg('ring', lineChart({ title: `Ring throughput (messages/s, ${TOKENS} tokens) vs processes in the ring`, xLabel: 'processes', yLabel: 'messages/s', logY: true, series: series(ringRows) }));
    svg('peers', barChart({ title: `${PEERS} peer nodes sending at once to one process (messages/s)`, bars: [{ name: 'beamwire sink', value: peers.beamwire }, { name: 'Erlang sink', value: peers.erlang }] }));

    const out = {
      generatedAt: new Date().toISOString(),
      beamwireModule: opt.beamwire ?? 'sources, through tsx',
      command: `npm run bench -- --scale${argv.length ? ` ${argv.join(' ')}` : ''}`,
      method: {
        rounds: opt.rounds,
        millionRounds: 1,
        tokens: TOKENS,
        hops: opt.hops,
        perPeer: opt.perPeer,
        peers: PEERS,
        beamwireChild: 'node --expose-gc --max-old-space-size=8192 bench/scale-child.mjs',
        erlang: 'erl +P 2000000 -noshell, bench/scale_bench.erl',
        peerErlFlags: '+sbwt none +sbwtdcpu none +sbwtdio none (11 erl nodes on 2 cores)',
        memory: 'beamwire: (heapUsed + external) after − before, both after gc() twice, ÷ N; Erlang: erlang:memory(total) after − before ÷ N',
      },
      machine: { nproc: availableParallelism(), cpu: cpus()[0]?.model ?? null, loadavg1mAtStart: loadAtStart, loadavg1mAtEnd: load1(), node: process.version },
      code: codeVersion(),
      idle,
      ring,
      peers,
      summary: { spawn: spawnRows, memory: memRows, ring: ringRows },
      targets,
    };
    const file = join(RESULTS_DIR, opt.partial ? 'scale-partial.json.tmp' : 'scale-latest.json');
    writeFileSync(`${file}.part`, `${JSON.stringify(out, null, 2)}\n`);
    renameSync(`${file}.part`, file);
    log(`results in ${relative(ROOT, file)} and ${relative(ROOT, RESULTS_DIR)}/scale-*.svg${suffix}`);
  } finally {
    rmSync(beamDir, { recursive: true, force: true });
  }
}

/** 10 erl nodes send at once to one sink: a beamwire process, then (same senders) a process on an 11th erl node. */
async function runPeers(opt: ScaleOptions, beamDir: string): Promise<{ beamwire: number; erlang: number; ratio: number; rounds: { bw: number; erl: number; load: number }[] }> {
  const bw = (opt.beamwire === null ? await import('../runtime/index.js') : await import(pathToFileURL(resolve(opt.beamwire)).href)) as Beamwire;
  const { atom, tuple, Node } = bw;
  const epmdPort = 40_000 + Math.floor(Math.random() * 20_000);
  const erls: ErlNode[] = [];
  let node: NodeT | undefined;
  const flags = ['-pa', beamDir, '+sbwt', 'none', '+sbwtdcpu', 'none', '+sbwtdio', 'none'];
  try {
    node = await Node.start({ name: 'scalebw', cookie: COOKIE, epmd: { mode: 'embedded', port: epmdPort }, logger: 'silent' });
    for (let i = 0; i < PEERS; i++) erls.push(await startErl(`scalepeer${i}`, COOKIE, epmdPort, flags));
    const sinkNode = await startErl('scalesink', COOKIE, epmdPort, flags);
    erls.push(sinkNode);
    const senders = erls.slice(0, PEERS);
    for (const e of erls) await node.connect(e.name);
    for (const e of senders) await node.rpc(e.name, 'net_kernel', 'connect_node', [atom(sinkNode.name)]);
    const total = PEERS * opt.perPeer;
    const SINK = atom('scale_sink');
    const blastAll = (dest: ReturnType<typeof tuple>, n: number): Promise<unknown> =>
      Promise.all(senders.map((e) => node!.rpc(e.name, 'scale_bench', 'blast', [dest, n], { timeout: 300_000 })));

    /** beamwire's sink: a registered process on this node counting every message. */
    const bwRound = async (n: number): Promise<number> => {
      const count = PEERS * n;
      let ready!: () => void;
      const isReady = new Promise<void>((r) => (ready = r));
      const sink = node!.spawn(async (self) => {
        self.register(SINK);
        ready();
        for (let i = 0; i < count; i++) await self.receive();
      });
      await isReady;
      const t0 = process.hrtime.bigint();
      await blastAll(tuple(SINK, atom(node!.name)), n);
      await sink.exited;
      return (count * 1e9) / Number(process.hrtime.bigint() - t0);
    };
    /** Erlang's sink on scalesink; it tells a waiting beamwire process when it has counted all. */
    const erlRound = async (n: number): Promise<number> => {
      const count = PEERS * n;
      let t0 = 0n;
      let started!: () => void;
      const isStarted = new Promise<void>((r) => (started = r));
      const waiter = node!.spawn(async (self) => {
        await node!.rpc(sinkNode.name, 'scale_bench', 'sink', [count, self.pid]);
        started();
        await self.receive();
      });
      await isStarted;
      t0 = process.hrtime.bigint();
      await blastAll(tuple(SINK, atom(sinkNode.name)), n);
      await waiter.exited;
      return (count * 1e9) / Number(process.hrtime.bigint() - t0);
    };
    await bwRound(Math.max(1000, opt.perPeer >> 3));
    await erlRound(Math.max(1000, opt.perPeer >> 3));
    const rounds: { bw: number; erl: number; load: number }[] = [];
    for (let r = 0; r < opt.rounds; r++) {
      const load = load1();
      const b = await bwRound(opt.perPeer);
      const e = await erlRound(opt.perPeer);
      rounds.push({ bw: b, erl: e, load });
      log(`peers round ${r + 1} (load ${load}): ${fmtInt(b)} vs ${fmtInt(e)} msgs/s (${fmtInt(total)} messages from ${PEERS} nodes)`);
    }
    return { beamwire: median(rounds.map((x) => x.bw)), erlang: median(rounds.map((x) => x.erl)), ratio: median(rounds.map((x) => x.bw / x.erl)), rounds };
  } finally {
    await Promise.race([Promise.all(erls.map((e) => e.stop())), new Promise((r) => setTimeout(r, 3000))]);
    for (const e of erls) e.kill9();
    await node?.stop().catch(() => undefined);
  }
}

/** For bench/run.ts: `--scale` runs only this benchmark; a full run (no part named) makes it last. */
export function withScale(inner: () => Promise<void>): () => Promise<void> {
  return async () => {
    const only = process.argv.includes('--scale');
    const others = otherPartAsked('--scale');
    process.argv = process.argv.filter((a) => a !== '--scale');
    if (!only || others) await inner();
    if (only || !others) await runScale(process.argv.slice(2));
  };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  runScale(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`scale bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
