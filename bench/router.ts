/**
 * The router benchmark: beamwire's Router and contexts beside mitogen 0.3.3
 * (Debian's python3-mitogen, bench/mitogen_bench.py), in one run, with the
 * same five measurements on both (issue 10, deliverable 9):
 *
 *   start-up    router.local() and router.local({ via: ctx }), until each
 *               can take a call (no call timed): ms, median of S samples
 *   round trip  N sequential calls of noop(i): direct, via one hop, via two
 *               hops (w1, w2 via w1, w3 via w2): mean µs, p50, p99
 *   in flight   F calls of noop(i) at once into w1 (Promise.all of ctx.call;
 *               mitogen: call_async + Select.all): calls / elapsed
 *   1 MiB echo  M sequential echo(<1 MiB of random bytes>) into w1, each
 *               result compared: M × 2^20 / elapsed / 1e6 (MB/s of payload,
 *               one direction per round trip)
 *
 *   npm run bench -- --router           only this benchmark; writes
 *                                       bench/results/router-latest.json
 *   npm run bench                       every benchmark, this one last
 *   node --import tsx bench/router.ts   this one directly; options:
 *   --quick  --rounds N  --beamwire PATH (load beamwire from a build)
 *   --python PATH (default /usr/bin/python3: the pyenv python3 on PATH has
 *   no mitogen)  --no-beamwire (mitogen's half alone, as JSON)
 *
 * mitogen runs in its own process (`mitogen_bench.py --serve`), which keeps
 * one Broker up and makes one round per line it reads; beamwire keeps one
 * Router here. After a warm-up round of each, the rounds interleave,
 * beamwire then mitogen, so outside load hits both alike; each pair of
 * rounds gives a ratio per measurement (beamwire ÷ mitogen: time for
 * start-up and round trips, rate for in flight and echo), and the reported
 * ratio is the median over the pairs. mitogen's echo is the better of plain
 * bytes and mitogen.core.Blob (see mitogen_bench.py). Targets: start-up and
 * round trips ≤ 0.3× mitogen's, in flight ≥ 10×, 1 MiB echo ≥ 5×.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { codeVersion } from './dist.js';
import { otherPartAsked, withoutParts } from './parts.js';

import type { Context as ContextT, Router as RouterT } from '../runtime/index.js';

type Beamwire = typeof import('../runtime/index.js');

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(HERE);
const RESULTS_DIR = join(HERE, 'results');
const TASKS = new URL('./router-tasks.ts', import.meta.url);
const MIB = 1 << 20;

interface RouterOptions {
  quick: boolean;
  rounds: number;
  beamwire: string | null;
  python: string;
  /** mitogen's half alone: no Router loaded, its rounds printed as JSON. */
  mitogenOnly: boolean;
  partial: boolean;
}

/** Options of this benchmark; others (the codec, dist and rpc benchmarks', via run.ts) are ignored when `lenient`. */
export function parseRouterOptions(argv: string[], lenient = false): RouterOptions {
  const quick = argv.includes('--quick');
  const o: RouterOptions = { quick, rounds: quick ? 1 : 5, beamwire: null, python: '/usr/bin/python3', mitogenOnly: false, partial: quick };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--rounds') {
      const n = Number(value());
      if (!Number.isInteger(n) || n <= 0) throw new Error('--rounds needs a positive integer');
      o.rounds = n;
      o.partial = true;
    } else if (a === '--beamwire') o.beamwire = value();
    else if (a === '--python') o.python = value();
    else if (a === '--no-beamwire') {
      o.mitogenOnly = true;
      o.partial = true;
    } else if (a === '--quick') continue;
    else if (!lenient) throw new Error(`unknown option ${a}`);
  }
  return o;
}

// ---------------------------------------------------------------- one round's shape (both sides)

interface Latency {
  n: number;
  meanUs: number;
  p50Us: number;
  p99Us: number;
}
interface Rate {
  calls: number;
  seconds: number;
  callsPerSec: number;
  inFlight: number;
}
interface Echo {
  bytes: number;
  calls: number;
  seconds: number;
  mbPerSec: number;
}
export interface RoundResult {
  startupLocalMs: number[];
  startupViaMs: number[];
  /** The first call into a fresh context (module shipped and loaded): for information, no target. */
  firstCallMs: number;
  roundTrip: { direct: Latency; hop1: Latency; hop2: Latency };
  inFlight: Rate;
  echo: Echo;
  /** mitogen only: the echo with mitogen.core.Blob. */
  echoBlob?: Echo;
}

interface Sizes {
  startups: number;
  calls: number;
  inFlight: number;
  batches: number;
  echoes: number;
}

/** The same sizes as mitogen_bench.py's sizes(): checked against what it reports. */
const sizes = (quick: boolean): Sizes =>
  quick ? { startups: 1, calls: 300, inFlight: 1000, batches: 1, echoes: 5 } : { startups: 3, calls: 2000, inFlight: 1000, batches: 3, echoes: 10 };

function latency(ns: number[]): Latency {
  const s = [...ns].sort((a, b) => a - b);
  const n = s.length;
  const pick = (q: number): number => s[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]! / 1000;
  return { n, meanUs: s.reduce((a, b) => a + b, 0) / n / 1000, p50Us: pick(0.5), p99Us: pick(0.99) };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const now = (): bigint => process.hrtime.bigint();
const msSince = (t: bigint): number => Number(now() - t) / 1e6;

// ---------------------------------------------------------------- beamwire's round

class BeamwireBench {
  #n = 0;
  constructor(
    readonly router: RouterT,
    readonly size: Sizes,
  ) {}

  #name(tag: string): string {
    return `${tag}${++this.#n}`;
  }

  async startup(): Promise<{ local: number[]; via: number[] }> {
    const local: number[] = [];
    const via: number[] = [];
    for (let i = 0; i < this.size.startups; i++) {
      const t0 = now();
      const ctx = await this.router.local({ name: this.#name('s') });
      const t1 = now();
      const hop = await this.router.local({ name: this.#name('s'), via: ctx });
      const t2 = now();
      await hop.shutdown({ wait: true });
      await ctx.shutdown({ wait: true });
      local.push(Number(t1 - t0) / 1e6);
      via.push(Number(t2 - t1) / 1e6);
    }
    return { local, via };
  }

  async sequential(ctx: ContextT, n: number): Promise<Latency> {
    const times = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const t0 = now();
      const v = await ctx.call(TASKS, 'noop', i);
      times[i] = Number(now() - t0);
      if (v !== i) throw new Error(`noop(${i}) in ${ctx.name} returned ${String(v)}`);
    }
    return latency(times);
  }

  async inFlight(ctx: ContextT): Promise<Rate> {
    const { inFlight: n, batches } = this.size;
    let ns = 0n;
    for (let b = 0; b < batches; b++) {
      const t0 = now();
      const got = await Promise.all(Array.from({ length: n }, (_, i) => ctx.call(TASKS, 'noop', i)));
      ns += now() - t0;
      if (got.some((v, i) => v !== i)) throw new Error('in-flight calls returned the wrong values');
    }
    const seconds = Number(ns) / 1e9;
    return { inFlight: n, calls: n * batches, seconds, callsPerSec: (n * batches) / seconds };
  }

  async echo(ctx: ContextT): Promise<Echo> {
    const payload = new Uint8Array(randomBytes(MIB));
    const check = (v: unknown): void => {
      if (!(v instanceof Uint8Array) || !Buffer.from(v.buffer, v.byteOffset, v.byteLength).equals(payload)) throw new Error('echo returned other bytes');
    };
    check(await ctx.call(TASKS, 'echo', payload)); // the first 1 MiB message grows the buffers: not timed
    const m = this.size.echoes;
    const t0 = now();
    for (let i = 0; i < m; i++) check(await ctx.call(TASKS, 'echo', payload));
    const seconds = msSince(t0) / 1000;
    return { bytes: MIB, calls: m, seconds, mbPerSec: (m * MIB) / seconds / 1e6 };
  }

  async round(): Promise<RoundResult> {
    const { local, via } = await this.startup();
    const ctx = await this.router.local({ name: this.#name('w') });
    const hop = await this.router.local({ name: this.#name('w'), via: ctx });
    const hop2 = await this.router.local({ name: this.#name('w'), via: hop });
    try {
      const t0 = now();
      await ctx.call(TASKS, 'noop', 0); // ships and loads router-tasks.ts
      const firstCallMs = msSince(t0);
      for (const c of [ctx, hop, hop2]) for (let i = 0; i < 50; i++) await c.call(TASKS, 'noop', i);
      return {
        startupLocalMs: local,
        startupViaMs: via,
        firstCallMs,
        roundTrip: {
          direct: await this.sequential(ctx, this.size.calls),
          hop1: await this.sequential(hop, this.size.calls),
          hop2: await this.sequential(hop2, this.size.calls),
        },
        inFlight: await this.inFlight(ctx),
        echo: await this.echo(ctx),
      };
    } finally {
      await hop2.shutdown({ wait: true });
      await hop.shutdown({ wait: true });
      await ctx.shutdown({ wait: true });
    }
  }
}

// ---------------------------------------------------------------- mitogen's process

interface MitogenInfo {
  mitogen: string;
  python: string;
  executable: string;
  sizes: Sizes;
}

class Mitogen {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;
  #stderr = '';

  constructor(python: string, quick: boolean) {
    this.#child = spawn(python, [join(HERE, 'mitogen_bench.py'), '--serve', ...(quick ? ['--quick'] : [])], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stderr.on('data', (d: Buffer) => (this.#stderr += d.toString()));
    this.#child.on('error', (e) => (this.#stderr += `spawn ${python}: ${e.message}\n`));
    this.#lines = createInterface({ input: this.#child.stdout })[Symbol.asyncIterator]();
  }

  async #next(what: string): Promise<unknown> {
    const r = await this.#lines.next();
    if (r.done) throw new Error(`mitogen_bench.py ended before ${what}; stderr:\n${this.#stderr}`);
    return JSON.parse(r.value) as unknown;
  }

  async ready(): Promise<MitogenInfo> {
    return ((await this.#next('it was ready')) as { ready: MitogenInfo }).ready;
  }

  async round(kind: 'warm' | 'round'): Promise<RoundResult> {
    this.#child.stdin.write(`${kind}\n`);
    return (await this.#next('a round')) as RoundResult;
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const gone = new Promise<void>((r) => this.#child.once('exit', () => r()));
    this.#child.stdin.end();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
  }

  kill(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
  }
}

// ---------------------------------------------------------------- ratios and targets

type Measure = 'startupLocal' | 'startupVia' | 'rttDirect' | 'rttHop1' | 'rttHop2' | 'inFlight' | 'echo';
const MEASURES: { key: Measure; label: string; unit: string; target: number; lowerIsBetter: boolean; get: (r: RoundResult) => number }[] = [
  { key: 'startupLocal', label: 'start-up, local', unit: 'ms', target: 0.3, lowerIsBetter: true, get: (r) => median(r.startupLocalMs) },
  { key: 'startupVia', label: 'start-up, via one hop', unit: 'ms', target: 0.3, lowerIsBetter: true, get: (r) => median(r.startupViaMs) },
  { key: 'rttDirect', label: 'round trip, direct', unit: 'µs', target: 0.3, lowerIsBetter: true, get: (r) => r.roundTrip.direct.meanUs },
  { key: 'rttHop1', label: 'round trip, via one hop', unit: 'µs', target: 0.3, lowerIsBetter: true, get: (r) => r.roundTrip.hop1.meanUs },
  { key: 'rttHop2', label: 'round trip, via two hops', unit: 'µs', target: 0.3, lowerIsBetter: true, get: (r) => r.roundTrip.hop2.meanUs },
  { key: 'inFlight', label: 'calls in flight', unit: 'calls/s', target: 10, lowerIsBetter: false, get: (r) => r.inFlight.callsPerSec },
  {
    key: 'echo',
    label: '1 MiB echo',
    unit: 'MB/s',
    target: 5,
    lowerIsBetter: false,
    get: (r) => Math.max(r.echo.mbPerSec, r.echoBlob?.mbPerSec ?? 0),
  },
];

interface Verdict {
  measure: Measure;
  target: string;
  beamwire: number;
  mitogen: number;
  ratio: number;
  perPair: number[];
  met: boolean;
}

function verdicts(bw: RoundResult[], mg: RoundResult[]): Verdict[] {
  return MEASURES.map((m) => {
    const perPair = bw.map((b, i) => m.get(b) / m.get(mg[i]!));
    const ratio = median(perPair);
    return {
      measure: m.key,
      target: `${m.label} ${m.lowerIsBetter ? '≤' : '≥'} ${m.target}× mitogen's`,
      beamwire: median(bw.map(m.get)),
      mitogen: median(mg.map(m.get)),
      ratio,
      perPair,
      met: m.lowerIsBetter ? ratio <= m.target : ratio >= m.target,
    };
  });
}

const fmt = (n: number): string => (n >= 1000 ? Math.round(n).toLocaleString('en-US') : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const fmtX = (n: number): string => `${n >= 10 ? n.toFixed(1) : n.toFixed(2)}×`;

function markdown(vs: Verdict[], bw: RoundResult[], mg: RoundResult[]): string {
  const unit = (k: Measure): string => MEASURES.find((m) => m.key === k)!.unit;
  const p = (rs: RoundResult[], f: (r: RoundResult) => number): string => fmt(median(rs.map(f)));
  return [
    '| measurement | beamwire | mitogen 0.3.3 | beamwire ÷ mitogen (median of pairs) | target | |',
    '|---|---:|---:|---:|---|---|',
    ...vs.map((v) => `| ${MEASURES.find((m) => m.key === v.measure)!.label} (${unit(v.measure)}) | ${fmt(v.beamwire)} | ${fmt(v.mitogen)} | ${fmtX(v.ratio)} | ${v.target.replace(/^.* ([≤≥])/, '$1')} | ${v.met ? 'met' : 'missed'} |`),
    '',
    '| round trip p50 / p99 µs | beamwire | mitogen |',
    '|---|---:|---:|',
    ...(['direct', 'hop1', 'hop2'] as const).map(
      (k) => `| ${k} | ${p(bw, (r) => r.roundTrip[k].p50Us)} / ${p(bw, (r) => r.roundTrip[k].p99Us)} | ${p(mg, (r) => r.roundTrip[k].p50Us)} / ${p(mg, (r) => r.roundTrip[k].p99Us)} |`,
    ),
    `| first call into a fresh context (ms, no target) | ${p(bw, (r) => r.firstCallMs)} | ${p(mg, (r) => r.firstCallMs)} |`,
    `| mitogen's echo as bytes / as Blob (MB/s) | | ${p(mg, (r) => r.echo.mbPerSec)} / ${p(mg, (r) => r.echoBlob?.mbPerSec ?? NaN)} |`,
    '',
  ].join('\n');
}

// ---------------------------------------------------------------- main

function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

const showRound = (r: RoundResult): string =>
  `start-up ${fmt(median(r.startupLocalMs))} / via ${fmt(median(r.startupViaMs))} ms; rtt ${fmt(r.roundTrip.direct.meanUs)} / ${fmt(r.roundTrip.hop1.meanUs)} / ${fmt(r.roundTrip.hop2.meanUs)} µs; ` +
  `${fmt(r.inFlight.callsPerSec)} calls/s in flight; echo ${fmt(Math.max(r.echo.mbPerSec, r.echoBlob?.mbPerSec ?? 0))} MB/s`;

export async function runRouter(argv: string[], lenient = false): Promise<void> {
  const opt = parseRouterOptions(argv, lenient);
  const started = performance.now();
  const loadAtStart = loadavg()[0]!;
  if (loadAtStart > 0.7) log(`warning: 1-minute load average is ${loadAtStart.toFixed(2)} before the run; results will be noisy`);
  const size = sizes(opt.quick);

  const mitogen = new Mitogen(opt.python, opt.quick);
  process.once('exit', () => mitogen.kill());
  let router: RouterT | undefined;
  try {
    const info = await mitogen.ready();
    if (JSON.stringify(info.sizes) !== JSON.stringify(size)) throw new Error(`mitogen_bench.py sizes ${JSON.stringify(info.sizes)} differ from bench/router.ts's ${JSON.stringify(size)}`);
    log(`router: mitogen ${info.mitogen} on Python ${info.python} (${info.executable}); ${opt.rounds} rounds after a warm-up; per round ${size.startups} start-ups, ${size.calls} calls per route, ${size.batches}×${size.inFlight} in flight, ${size.echoes} echoes`);

    if (opt.mitogenOnly) {
      await mitogen.round('warm');
      const rounds: RoundResult[] = [];
      for (let i = 0; i < opt.rounds; i++) {
        rounds.push(await mitogen.round('round'));
        log(`  mitogen  round ${i + 1}: ${showRound(rounds.at(-1)!)}`);
      }
      process.stdout.write(`${JSON.stringify({ mitogen: info, rounds }, null, 2)}\n`);
      return;
    }

    const bw = (opt.beamwire === null ? await import('../runtime/index.js') : await import(pathToFileURL(resolve(opt.beamwire)).href)) as Beamwire;
    if (typeof bw.Router?.start !== 'function') throw new Error(`${opt.beamwire ?? 'runtime/index.ts'} exports no Router`);
    router = await bw.Router.start();
    const bench = new BeamwireBench(router, size);

    await bench.round();
    await mitogen.round('warm');
    const bwRounds: RoundResult[] = [];
    const mgRounds: RoundResult[] = [];
    for (let i = 0; i < opt.rounds; i++) {
      bwRounds.push(await bench.round());
      log(`  beamwire round ${i + 1}: ${showRound(bwRounds.at(-1)!)}`);
      mgRounds.push(await mitogen.round('round'));
      log(`  mitogen  round ${i + 1}: ${showRound(mgRounds.at(-1)!)}`);
    }
    const vs = verdicts(bwRounds, mgRounds);
    const md = markdown(vs, bwRounds, mgRounds);
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(`\n${md}\n${vs.map((v) => `${v.met ? 'met' : 'missed'}: ${v.target}: ${fmtX(v.ratio)}`).join('\n')}\n\nrouter bench finished in ${seconds.toFixed(1)} s\n`);

    const rest = argv.filter((a) => a !== '--router');
    const cpu = cpus()[0];
    const result = {
      generatedAt: new Date().toISOString(),
      beamwireModule: opt.beamwire ?? 'sources, through tsx',
      command: `npm run bench -- --router${rest.length ? ` ${rest.join(' ')}` : ''}`,
      seconds,
      method: {
        sizes: size,
        rounds: opt.rounds,
        statistic: 'beamwire and mitogen rounds interleaved after one warm-up each; ratio per pair of rounds, median over pairs',
        startup: 'local() / local({ via }) until it resolves, no call; median of the samples of a round',
        echo: "MB/s = calls × 2^20 / elapsed / 1e6; mitogen's is the better of bytes and mitogen.core.Blob",
      },
      machine: {
        nproc: availableParallelism(),
        cpu: cpu?.model ?? null,
        memGiB: Math.round(totalmem() / 2 ** 30),
        kernel: release(),
        loadavg1mAtStart: Number(loadAtStart.toFixed(2)),
        loadavg1mAtEnd: Number(loadavg()[0]!.toFixed(2)),
        node: process.version,
        mitogen: info.mitogen,
        python: info.python,
      },
      code: codeVersion(),
      verdicts: vs,
      rounds: { beamwire: bwRounds, mitogen: mgRounds },
    };
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = join(RESULTS_DIR, opt.partial ? 'router-partial.json.tmp' : 'router-latest.json');
    writeFileSync(`${file}.part`, `${JSON.stringify(result, null, 2)}\n`);
    renameSync(`${file}.part`, file);
    log(`results in ${relative(ROOT, file)}`);
  } finally {
    await router?.stop().catch(() => undefined);
    await mitogen.stop().catch(() => mitogen.kill());
  }
}

/**
 * For bench/run.ts: `--router` runs this benchmark (alone, or after the ones
 * named by --codec / --dist / --tls / --rpc); with none of the flags, `inner`
 * (every other benchmark) runs first and this one after it.
 */
export function withRouter(inner: () => Promise<void>): () => Promise<void> {
  return async () => {
    const only = process.argv.includes('--router');
    const others = otherPartAsked('--router');
    process.argv = process.argv.filter((a) => a !== '--router');
    const argv = withoutParts(process.argv.slice(2));
    if (!only || others) await inner();
    if (only || !others) await runRouter(argv, true);
  };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  runRouter(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`router bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
