/**
 * The RPC benchmark: sequential erpc calls, beamwire against Erlang itself,
 * in one run, all three with the same argument and result (the integer 1):
 *
 *   1. beamwire → Erlang: `await node.rpc(rpcA, 'erlang', 'abs', [1], { timeout: 5000 })`
 *   2. Erlang → beamwire: `erpc:call(bwrpc, bench, echo, [1], 5000)` in rpcA,
 *      into `node.expose('bench', { echo: (x) => x })`
 *   3. Erlang → Erlang:   `erpc:call(rpcB, erlang, abs, [1], 5000)` in rpcA
 *
 *   npm run bench -- --rpc              only this benchmark (~15 s); writes
 *                                       bench/results/rpc-latest.json
 *   npm run bench                       the codec benchmark, the distribution
 *                                       benchmark, then this one
 *   node --import tsx bench/rpc.ts      this one directly; options:
 *   --quick  --calls N  --rounds N  --no-timeout (node.rpc without a timeout,
 *   erpc:call/5 with infinity)  --beamwire PATH (load beamwire from a build)
 *   --erl-no-busy-wait (erl with +sbwt none, +sbwtdcpu none, +sbwtdio none)
 *   --only RUN[,RUN] (beamwireToErlang, erlangToBeamwire, erlangToErlang: for
 *   profiles; no table, no results file)
 *
 * Three nodes on this machine, on one embedded EPMD at a random high port:
 * beamwire (`bwrpc`, this process) and two `erl` nodes (`rpcA`, `rpcB`) with
 * bench/rpc_bench.erl loaded. Each call is timed on the caller's side
 * (process.hrtime.bigint around the awaited node.rpc; erlang:monotonic_time
 * around erpc:call inside rpc_bench:calls/7, driven through rpcA's `ctl`
 * process of test/support/erl-node.ts). Every run checks each result.
 * One warm-up of every run, then ROUNDS rounds of N calls, the three runs
 * interleaved within each round so that outside load hits them alike; the
 * median round by mean latency is reported, with its p50/p99 and CPU per call
 * (beamwire: process.cpuUsage(); erl: utime + stime of the whole VM, from
 * /proc). Every erl child is killed at the end, also on failure or Ctrl-C.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Node as NodeT, Term, Tuple } from '../runtime/index.js';
import { startErl, type ErlNode } from '../test/support/erl-node.js';
import { erlEval } from './erl-eval.js';
import { CLK_TCK, codeVersion, medianBy, procCpuUs, roundTrip, selfCpuUs, type RoundTrip } from './dist.js';
import { otp as otpCommand } from '../test/support/otp.js';

type Beamwire = typeof import('../runtime/index.js');
let bw: Beamwire;

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(HERE);
const RESULTS_DIR = join(HERE, 'results');
const COOKIE = 'rpcbench';
/** The ratio target of the issue: each direction's mean latency ≤ 1.3× Erlang → Erlang. */
const TARGET = 1.3;

type RunName = 'beamwireToErlang' | 'erlangToBeamwire' | 'erlangToErlang';
const RUNS: { name: RunName; label: string; call: string }[] = [
  { name: 'beamwireToErlang', label: 'beamwire → Erlang', call: "node.rpc(rpcA, 'erlang', 'abs', [1])" },
  { name: 'erlangToBeamwire', label: 'Erlang → beamwire', call: 'erpc:call(bwrpc, bench, echo, [1]) (node.expose)' },
  { name: 'erlangToErlang', label: 'Erlang → Erlang', call: 'erpc:call(rpcB, erlang, abs, [1])' },
];

interface RpcOptions {
  calls: number;
  rounds: number;
  /** erpc timeout in ms, or null for none (node.rpc without one, erpc:call/5 with infinity). */
  timeout: number | null;
  partial: boolean;
  beamwire: string | null;
  /** Only these runs (for profiles); then there is no table and no results file. */
  only: string[] | null;
  /** Turn erl's scheduler busy-waiting off (+sbwt none ...), for comparison; default: OTP's defaults. */
  noBusyWait: boolean;
}

/** Options of this benchmark; others (the codec and dist benchmarks', via run.ts) are ignored when `lenient`. */
export function parseRpcOptions(argv: string[], lenient = false): RpcOptions {
  const quick = argv.includes('--quick');
  const o: RpcOptions = { calls: quick ? 1000 : 5000, rounds: quick ? 1 : 3, timeout: 5000, partial: quick, beamwire: null, only: null, noBusyWait: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = (): number => {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n <= 0) throw new Error(`${a} needs a positive integer`);
      o.partial = true;
      return n;
    };
    if (a === '--calls') o.calls = num();
    else if (a === '--rounds') o.rounds = num();
    else if (a === '--no-timeout') {
      o.timeout = null;
      o.partial = true;
    } else if (a === '--beamwire') {
      o.beamwire = argv[++i] ?? null;
      if (o.beamwire === null) throw new Error('--beamwire needs a path');
    } else if (a === '--erl-no-busy-wait') {
      o.noBusyWait = true;
      o.partial = true;
    } else if (a === '--only') {
      const only = (argv[++i] ?? '').split(',').filter(Boolean);
      const bad = only.length === 0 || only.some((x) => !RUNS.some((r) => r.name === x));
      if (bad && !lenient) throw new Error(`--only takes ${RUNS.map((r) => r.name).join(',')}`);
      if (!bad) {
        o.only = only;
        o.partial = true;
      } // else: the codec benchmark's --only (via run.ts)
    } else if (a === '--quick') continue;
    else if (!lenient) throw new Error(`unknown option ${a}`);
  }
  return o;
}

// ---------------------------------------------------------------- the bench

class RpcBench {
  constructor(
    readonly node: NodeT,
    readonly a: ErlNode,
    readonly b: ErlNode,
    readonly timeout: number | null,
  ) {}

  /** Evaluates `src` in an erl node's ctl process (over distribution) and returns the value. */
  erl(target: ErlNode, src: string, timeout = 60_000): Promise<Term> {
    return erlEval(bw, this.node, target.name, src, timeout);
  }

  /** 1. beamwire → rpcA: N sequential node.rpc calls, timed here. */
  async bwToErl(n: number): Promise<RoundTrip> {
    const erlPid = this.a.child.pid!;
    const opts = this.timeout === null ? {} : { timeout: this.timeout };
    const peer = this.a.name;
    const times = new Array<number>(n);
    let total = 0;
    const c0 = selfCpuUs();
    const e0 = procCpuUs(erlPid);
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      const v = await this.node.rpc(peer, 'erlang', 'abs', [1], opts);
      const dt = Number(process.hrtime.bigint() - t0);
      if (v !== 1) throw new Error(`erlang:abs(1) on ${peer} returned ${bw.format(v)}`);
      times[i] = dt;
      total += dt;
    }
    const cpu = selfCpuUs() - c0;
    const erlCpu = procCpuUs(erlPid) - e0;
    times.sort((x, y) => x - y);
    return roundTrip(times, total, cpu, erlCpu);
  }

  /** 2. and 3.: N sequential erpc:call from rpcA (timed inside rpcA) to `target`. */
  private async fromErl(target: string, m: string, f: string, serverPid: number | null, n: number): Promise<RoundTrip> {
    const pa = this.a.child.pid!;
    const t = this.timeout === null ? 'infinity' : String(this.timeout);
    const a0 = procCpuUs(pa);
    const s0 = serverPid === null ? selfCpuUs() : procCpuUs(serverPid);
    const r = (await this.erl(this.a, `rpc_bench:calls('${target}', ${m}, ${f}, [1], 1, ${t}, ${n}).`)) as Tuple;
    const a1 = procCpuUs(pa);
    const s1 = serverPid === null ? selfCpuUs() : procCpuUs(serverPid);
    const sorted = (r.at(2) as number[]).map(Number);
    if (sorted.length !== n) throw new Error(`rpc_bench:calls returned ${sorted.length} times for ${n} calls`);
    // The caller's CPU includes sending the list of times back here: small next to N calls.
    return roundTrip(sorted, Number(r.at(1)), a1 - a0, s1 - s0);
  }

  erlToBw(n: number): Promise<RoundTrip> {
    return this.fromErl(this.node.name, 'bench', 'echo', null, n);
  }

  erlToErl(n: number): Promise<RoundTrip> {
    return this.fromErl(this.b.name, 'erlang', 'abs', this.b.child.pid!, n);
  }

  run(name: RunName, n: number): Promise<RoundTrip> {
    return name === 'beamwireToErlang' ? this.bwToErl(n) : name === 'erlangToBeamwire' ? this.erlToBw(n) : this.erlToErl(n);
  }
}

const f1 = (n: number): string => n.toFixed(1);
const fmtX = (n: number): string => `${n >= 10 ? n.toFixed(1) : n.toFixed(2)}×`;
const showRtt = (o: RoundTrip): string =>
  `mean ${f1(o.meanUs)} µs, p50 ${f1(o.p50Us)}, p99 ${f1(o.p99Us)}; cpu caller ${f1(o.callerCpuUsPerRt)} / server ${f1(o.echoCpuUsPerRt)} µs/call`;

function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

export async function runRpc(argv: string[], lenient = false): Promise<void> {
  const opt = parseRpcOptions(argv, lenient);
  bw = (opt.beamwire === null ? await import('../runtime/index.js') : await import(pathToFileURL(resolve(opt.beamwire)).href)) as Beamwire;
  const started = performance.now();
  const loadAtStart = loadavg()[0]!;
  if (loadAtStart > 0.7) log(`warning: 1-minute load average is ${loadAtStart.toFixed(2)} before the run; results will be noisy`);

  const beamDir = mkdtempSync(join(tmpdir(), 'beamwire-rpc-'));
  const erls: ErlNode[] = [];
  const killAll = (): void => {
    for (const e of erls) if (e.child.exitCode === null && e.child.signalCode === null) e.child.kill('SIGKILL');
    rmSync(beamDir, { recursive: true, force: true });
  };
  process.once('exit', killAll);
  const onSignal = (): void => {
    killAll();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let node: NodeT | undefined;
  try {
    const erlc = spawnSync(...otpCommand('erlc', ['-o', beamDir, join(HERE, 'rpc_bench.erl')]), { encoding: 'utf8' });
    if (erlc.status !== 0) throw new Error(`erlc rpc_bench.erl failed: ${erlc.error?.message ?? erlc.stderr}`);
    // A random high port, never the default 4369: no clash with a system epmd or another bench.
    const epmdPort = 40_000 + Math.floor(Math.random() * 20_000);
    log(`rpc: embedded EPMD on port ${epmdPort}, nodes bwrpc, rpcA, rpcB ...`);
    node = await bw.Node.start({ name: 'bwrpc', cookie: COOKIE, epmd: { mode: 'embedded', port: epmdPort } });
    node.expose('bench', { echo: (x) => x });
    const erlArgs = ['-pa', beamDir, ...(opt.noBusyWait ? ['+sbwt', 'none', '+sbwtdcpu', 'none', '+sbwtdio', 'none'] : [])];
    erls.push(await startErl('rpcA', COOKIE, epmdPort, erlArgs));
    erls.push(await startErl('rpcB', COOKIE, epmdPort, erlArgs));
    const bench = new RpcBench(node, erls[0]!, erls[1]!, opt.timeout);
    const { atom, fromCharlist } = bw;
    const otp = fromCharlist(await bench.erl(erls[0]!, 'erlang:system_info(otp_release).'));
    const erts = fromCharlist(await bench.erl(erls[0]!, 'erlang:system_info(version).'));
    // Connect every pair and load rpc_bench before timing anything.
    if ((await bench.erl(erls[0]!, `net_adm:ping('${erls[1]!.name}').`)) !== atom('pong')) throw new Error('rpcA cannot reach rpcB');
    const loaded = await bench.erl(erls[0]!, 'code:ensure_loaded(rpc_bench).');
    if (!(loaded instanceof bw.Tuple && loaded.at(0) === atom('module'))) throw new Error(`rpc_bench not loadable: ${bw.format(loaded)}`);

    const warmN = Math.max(1000, opt.calls >> 1);
    log(`rpc: ${opt.calls.toLocaleString('en-US')} sequential calls per run and round, ${opt.rounds} rounds after a warm-up of ${warmN}; timeout ${opt.timeout ?? 'none'}`);
    const runs = RUNS.filter((r) => opt.only === null || opt.only.includes(r.name));
    for (const r of runs) await bench.run(r.name, warmN);
    const rounds: Record<RunName, RoundTrip[]> = { beamwireToErlang: [], erlangToBeamwire: [], erlangToErlang: [] };
    for (let i = 0; i < opt.rounds; i++) {
      for (const r of runs) {
        const t = await bench.run(r.name, opt.calls);
        rounds[r.name].push(t);
        log(`  ${r.label.padEnd(18)} round ${i + 1}: ${showRtt(t)}`);
      }
    }
    if (opt.only !== null) {
      log(`--only: no table, no results file (${((performance.now() - started) / 1000).toFixed(1)} s)`);
      return;
    }
    const med = Object.fromEntries(RUNS.map((r) => [r.name, medianBy(rounds[r.name], (t) => t.meanUs)])) as Record<RunName, RoundTrip>;
    const e = med.erlangToErlang;
    const ratios = {
      beamwireToErlang: { mean: med.beamwireToErlang.meanUs / e.meanUs, p99: med.beamwireToErlang.p99Us / e.p99Us },
      erlangToBeamwire: { mean: med.erlangToBeamwire.meanUs / e.meanUs, p99: med.erlangToBeamwire.p99Us / e.p99Us },
    };
    const targets = [
      { target: `beamwire → Erlang mean latency ≤ ${TARGET}× Erlang → Erlang`, ratio: ratios.beamwireToErlang.mean, met: ratios.beamwireToErlang.mean <= TARGET },
      { target: `Erlang → beamwire mean latency ≤ ${TARGET}× Erlang → Erlang`, ratio: ratios.erlangToBeamwire.mean, met: ratios.erlangToBeamwire.mean <= TARGET },
    ];
    const row = (name: RunName): string => {
      const r = RUNS.find((x) => x.name === name)!;
      const t = med[name];
      const ratio = name === 'erlangToErlang' ? { mean: 1, p99: 1 } : ratios[name];
      return `| ${r.label}: \`${r.call}\` | ${f1(t.meanUs)} | ${f1(t.p50Us)} | ${f1(t.p99Us)} | ${f1(t.callerCpuUsPerRt)} | ${f1(t.echoCpuUsPerRt)} | ${fmtX(ratio.mean)} | ${fmtX(ratio.p99)} |`;
    };
    const md = [
      '| sequential erpc calls | mean µs | p50 µs | p99 µs | caller CPU µs/call | server CPU µs/call | mean ÷ Erlang | p99 ÷ Erlang |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      row('beamwireToErlang'),
      row('erlangToBeamwire'),
      row('erlangToErlang'),
      '',
      '| target | beamwire ÷ Erlang | |',
      '|---|---:|---|',
      ...targets.map((t) => `| ${t.target} | ${fmtX(t.ratio)} | ${t.met ? 'met' : 'missed'} |`),
      '',
    ].join('\n');
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(`\n${md}\nrpc bench finished in ${seconds.toFixed(1)} s\n`);

    const rest = argv.filter((a) => a !== '--rpc');
    const cpu = cpus()[0];
    const result = {
      generatedAt: new Date().toISOString(),
      beamwireModule: opt.beamwire ?? 'sources, through tsx',
      command: `npm run bench -- --rpc${rest.length ? ` ${rest.join(' ')}` : ''}`,
      seconds,
      calls: Object.fromEntries(RUNS.map((r) => [r.name, r.call])),
      method: {
        calls: opt.calls,
        warmUpCalls: warmN,
        rounds: opt.rounds,
        timeoutMs: opt.timeout,
        statistic: 'median round by mean latency; rounds interleave the three runs; each call timed on the caller side',
        cpu: 'beamwire: process.cpuUsage() of this process; Erlang: utime+stime of the erl OS process (whole VM) from /proc, per call',
      },
      machine: {
        nproc: availableParallelism(),
        cpu: cpu?.model ?? null,
        memGiB: Math.round(totalmem() / 2 ** 30),
        kernel: release(),
        loadavg1mAtStart: Number(loadAtStart.toFixed(2)),
        loadavg1mAtEnd: Number(loadavg()[0]!.toFixed(2)),
        node: process.version,
        v8: process.versions.v8,
        otp,
        erts,
        clkTck: CLK_TCK,
        erlFlags: opt.noBusyWait ? '+sbwt none +sbwtdcpu none +sbwtdio none' : 'OTP defaults',
      },
      code: codeVersion(),
      median: med,
      rounds,
      ratios,
      targets,
    };
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = join(RESULTS_DIR, opt.partial ? 'rpc-partial.json.tmp' : 'rpc-latest.json');
    writeFileSync(`${file}.part`, `${JSON.stringify(result, null, 2)}\n`);
    renameSync(`${file}.part`, file);
    log(`results in ${relative(ROOT, file)}`);
  } finally {
    await Promise.race([Promise.all(erls.map((x) => x.stop())), new Promise((r) => setTimeout(r, 3000))]);
    killAll();
    await node?.stop().catch(() => undefined);
    process.off('exit', killAll);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * For bench/run.ts: `--rpc` runs this benchmark (alone, or after the ones
 * named by --codec / --dist); with none of the three flags, `inner` (codec,
 * then dist) runs first and this one after it.
 */
export function withRpc(inner: () => Promise<void>): () => Promise<void> {
  return async () => {
    const rpc = process.argv.includes('--rpc');
    const others = process.argv.includes('--dist') || process.argv.includes('--codec') || process.argv.includes('--tls');
    process.argv = process.argv.filter((a) => a !== '--rpc');
    if (!rpc || others) await inner();
    if (rpc || !others) await runRpc(process.argv.slice(2).filter((a) => a !== '--dist' && a !== '--codec' && a !== '--tls'), true);
  };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  runRpc(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`rpc bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
