/**
 * The distribution benchmark: beamwire as an Erlang node against Erlang
 * itself, in one run, with one message,
 * `{'$gen_call', {request, 1}, {get, <<"user:1">>, [{timeout, 5000}, {retries, 3}]}}`.
 *
 *   npm run bench -- --dist             only this benchmark (~40 s); writes
 *                                       bench/results/dist-latest.json
 *   npm run bench -- --dist --otp 29    the same against OTP 29 peers (a
 *                                       Debian chroot, test/support/otp.ts);
 *                                       writes dist-otp29-latest.json
 *   npm run bench                       the codec benchmark, then this one
 *   npm run bench -- --codec            only the codec benchmark
 *   node --import tsx bench/dist.ts     this one directly; options:
 *   --quick  --n N (one-way messages)  --rtt N (round trips)  --rounds N
 *   --beamwire PATH (load beamwire from a build, as in bench/run.ts)
 *   --erl-no-busy-wait (erl with +sbwt none, +sbwtdcpu none, +sbwtdio none)
 *   --tls (every node over TLS: beamwire with `tls`, erl with -proto_dist
 *         inet_tls and an ssl_dist_optfile; certificates from
 *         test/support/tls-certs.ts; writes bench/results/tls-latest.json)
 *   npm run bench -- --tls              only the TLS run
 *
 * Three nodes on this machine, registered with one embedded EPMD on a random
 * high port: beamwire (`bwbench`, this process) and two `erl` nodes (`distA`,
 * `distB`) loaded with bench/dist_bench.erl. The same runs are made
 * beamwire ↔ distA and distA ↔ distB:
 *
 *   one-way:    the sender notes the time, sends N messages to the other
 *               node's registered `counter`, then {done, self()}; the counter
 *               answers {count, Count}; elapsed = until that answer arrives.
 *               beamwire sends in chunks of 1000, yielding to the event loop
 *               between chunks (setImmediate), so its batched writes go out.
 *   round trip: the other node's registered `echo`, bound to the caller,
 *               returns every message; N sequential send → reply pairs, each
 *               timed on the caller's side (process.hrtime.bigint /
 *               erlang:monotonic_time).
 *   CPU:        beamwire: process.cpuUsage() over a run, ÷ messages; erl:
 *               utime + stime of the erl OS process from /proc/PID/stat (the
 *               whole VM, at clock-tick resolution), ÷ messages.
 *
 * Each run is made once as a warm-up (N/4), then ROUNDS times; the median
 * round (by throughput, or by mean latency) is reported. Erlang-side timings
 * are taken inside Erlang by dist_bench.erl, called through the erl nodes'
 * `ctl` process (test/support/erl-node.ts). Every erl child is killed at the
 * end, also on failure.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Pid, Term, Tuple as TupleT, Node as NodeT } from '../runtime/index.js';
import { startErl, type ErlNode } from '../test/support/erl-node.js';
import { makeClusterCerts } from '../test/support/tls-certs.js';
import { erlEval } from './erl-eval.js';
import { otp, selectedRelease } from '../test/support/otp.js';

type Beamwire = typeof import('../runtime/index.js');
type Node = NodeT;
type Tuple = TupleT;
/** The beamwire module measured: the sources (through tsx), or a build given with --beamwire. */
let bw: Beamwire;

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(HERE);
const RESULTS_DIR = join(HERE, 'results');
const COOKIE = 'distbench';
const CHUNK = 1000;

/** The benchmark message; `<<"user:1">>` is a JS string, which beamwire encodes as a binary. */
let MSG: Term;
let DONE: Term;
let COUNT: Term;
// Short local names for the loaded module's functions (set in loadBeamwire).
let atom: Beamwire['atom'];
let tuple: Beamwire['tuple'];
let format: Beamwire['format'];
let P: Beamwire['P'];
let on: Beamwire['on'];
let TupleC: Beamwire['Tuple'];

async function loadBeamwire(path: string | null): Promise<void> {
  bw = (path === null ? await import('../runtime/index.js') : await import(pathToFileURL(path).href)) as Beamwire;
  ({ atom, tuple, format, P, on, Tuple: TupleC } = bw);
  MSG = tuple(atom('$gen_call'), tuple(atom('request'), 1), tuple(atom('get'), 'user:1', [tuple(atom('timeout'), 5000), tuple(atom('retries'), 3)]));
  DONE = atom('done');
  COUNT = atom('count');
}

// ---------------------------------------------------------------- options

interface DistOptions {
  n: number;
  rtt: number;
  rounds: number;
  partial: boolean;
  /** Module to load beamwire from (e.g. a tsc build, for line-accurate profiles); default the sources. */
  beamwire: string | null;
  /** Turn erl's scheduler busy-waiting off (+sbwt none ...), for comparison; default: OTP's defaults. */
  noBusyWait: boolean;
  /** Every node over TLS (inet_tls_dist), mutual authentication. */
  tls: boolean;
}

/** Options of this benchmark; others (the codec benchmark's, via run.ts) are ignored when `lenient`. */
export function parseDistOptions(argv: string[], lenient = false): DistOptions {
  const quick = argv.includes('--quick');
  const o: DistOptions = { n: quick ? 40_000 : 200_000, rtt: quick ? 4_000 : 20_000, rounds: quick ? 1 : 3, partial: quick, beamwire: null, noBusyWait: false, tls: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = (): number => {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n <= 0) throw new Error(`${a} needs a positive integer`);
      o.partial = true;
      return n;
    };
    if (a === '--n') o.n = num();
    else if (a === '--rtt') o.rtt = num();
    else if (a === '--rounds') o.rounds = num();
    else if (a === '--beamwire') {
      o.beamwire = argv[++i] ?? null;
      if (o.beamwire === null) throw new Error('--beamwire needs a path');
    } else if (a === '--erl-no-busy-wait') {
      o.noBusyWait = true;
      o.partial = true;
    } else if (a === '--tls') o.tls = true;
    else if (a === '--otp') {
      // The Erlang peers' release (test/support/otp.ts): every erl, erlc and escript below goes through otp().
      const release = argv[++i];
      if (release === undefined) throw new Error('--otp needs a release: 27 or 29 (a Debian chroot), or system');
      selectedRelease({ BEAMWIRE_OTP: release });
      process.env['BEAMWIRE_OTP'] = release;
    } else if (a === '--quick') continue;
    else if (!lenient) throw new Error(`unknown option ${a}`);
  }
  return o;
}

// ---------------------------------------------------------------- CPU

export const CLK_TCK = ((): number => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/** CPU microseconds (user + system, all threads) the OS process has used. */
export function procCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state); utime and stime are fields 14 and 15.
  return ((Number(f[11]) + Number(f[12])) * 1e6) / CLK_TCK;
}

export const selfCpuUs = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

// ---------------------------------------------------------------- results

interface OneWay {
  count: number;
  us: number;
  msgsPerSec: number;
  /** CPU µs per message of the sending node / the receiving node. */
  senderCpuUsPerMsg: number;
  receiverCpuUsPerMsg: number;
}
export interface RoundTrip {
  n: number;
  meanUs: number;
  p50Us: number;
  p99Us: number;
  /** CPU µs per round trip of the calling node / the echoing node. */
  callerCpuUsPerRt: number;
  echoCpuUsPerRt: number;
}

export function roundTrip(sortedNs: number[], totalNs: number, cpuCaller: number, cpuEcho: number): RoundTrip {
  const n = sortedNs.length;
  const pick = (q: number): number => sortedNs[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]! / 1000;
  return { n, meanUs: totalNs / n / 1000, p50Us: pick(0.5), p99Us: pick(0.99), callerCpuUsPerRt: cpuCaller / n, echoCpuUsPerRt: cpuEcho / n };
}

export const medianBy = <T>(xs: T[], key: (x: T) => number): T => [...xs].sort((a, b) => key(a) - key(b))[(xs.length - 1) >> 1]!;

// ---------------------------------------------------------------- the bench

class Bench {
  constructor(
    readonly node: Node,
    readonly a: ErlNode,
    readonly b: ErlNode,
  ) {}

  /** Evaluates `src` in an erl node's ctl process (over distribution) and returns the value. */
  erl(target: ErlNode, src: string, timeout = 60_000): Promise<Term> {
    return erlEval(bw, this.node, target.name, src, timeout);
  }

  /** 1. beamwire → distA: a beamwire process sends, distA's counter counts. */
  async bwToErl(n: number): Promise<OneWay> {
    const erlPid = this.a.child.pid!;
    let out: OneWay | undefined;
    const p = this.node.spawn(async (self) => {
      const dest = tuple(atom('counter'), atom(this.a.name)) as never;
      const c0 = selfCpuUs();
      const e0 = procCpuUs(erlPid);
      const t0 = process.hrtime.bigint();
      for (let sent = 0; sent < n; ) {
        const end = Math.min(n, sent + CHUNK);
        for (; sent < end; sent++) self.send(dest, MSG);
        await new Promise(setImmediate);
      }
      self.send(dest, tuple(DONE, self.pid));
      const count = (await self.receive([on(P.tuple(COUNT, P.bind('c')), ({ c }) => c)], { timeout: 60_000 })) as number;
      const us = Number(process.hrtime.bigint() - t0) / 1000;
      const cpu = selfCpuUs() - c0;
      const erlCpu = procCpuUs(erlPid) - e0;
      out = { count, us, msgsPerSec: (count / us) * 1e6, senderCpuUsPerMsg: cpu / n, receiverCpuUsPerMsg: erlCpu / n };
    });
    const reason = await p.exited;
    if (out === undefined) throw new Error(`beamwire → erl run failed: ${format(reason)}`);
    return out;
  }

  /** 2. distA → beamwire: distA's ctl sends (timed in Erlang), beamwire's registered counter counts. */
  async erlToBw(n: number): Promise<OneWay> {
    const erlPid = this.a.child.pid!;
    const c0 = selfCpuUs();
    const e0 = procCpuUs(erlPid);
    const r = (await this.erl(this.a, `dist_bench:send({counter, '${this.node.name}'}, ${n}, dist_bench:msg()).`)) as Tuple;
    const cpu = selfCpuUs() - c0;
    const erlCpu = procCpuUs(erlPid) - e0;
    const count = r.at(0) as number;
    const us = r.at(1) as number;
    return { count, us, msgsPerSec: (count / us) * 1e6, senderCpuUsPerMsg: erlCpu / n, receiverCpuUsPerMsg: cpu / n };
  }

  /** 3. beamwire ↔ distA: sequential round trips through distA's echo, timed here. */
  async bwRtt(n: number): Promise<RoundTrip> {
    const erlPid = this.a.child.pid!;
    const times = new Array<number>(n);
    let total = 0;
    let cpu = 0;
    let erlCpu = 0;
    const p = this.node.spawn(async (self) => {
      const dest = tuple(atom('echo'), atom(this.a.name)) as never;
      self.send(dest, tuple(atom('bind'), self.pid));
      const c0 = selfCpuUs();
      const e0 = procCpuUs(erlPid);
      for (let i = 0; i < n; i++) {
        const t0 = process.hrtime.bigint();
        self.send(dest, MSG);
        await self.receive();
        const dt = Number(process.hrtime.bigint() - t0);
        times[i] = dt;
        total += dt;
      }
      cpu = selfCpuUs() - c0;
      erlCpu = procCpuUs(erlPid) - e0;
    });
    const reason = await p.exited;
    if (reason !== atom('normal')) throw new Error(`beamwire round trips failed: ${format(reason)}`);
    times.sort((x, y) => x - y);
    return roundTrip(times, total, cpu, erlCpu);
  }

  /** 4a. distA → distB one-way, timed inside distA. */
  async erlToErl(n: number): Promise<OneWay> {
    const pa = this.a.child.pid!;
    const pb = this.b.child.pid!;
    const a0 = procCpuUs(pa);
    const b0 = procCpuUs(pb);
    const r = (await this.erl(this.a, `dist_bench:send({counter, '${this.b.name}'}, ${n}, dist_bench:msg()).`)) as Tuple;
    const a1 = procCpuUs(pa);
    const b1 = procCpuUs(pb);
    const count = r.at(0) as number;
    const us = r.at(1) as number;
    return { count, us, msgsPerSec: (count / us) * 1e6, senderCpuUsPerMsg: (a1 - a0) / n, receiverCpuUsPerMsg: (b1 - b0) / n };
  }

  /** 4b. distA ↔ distB round trips, timed inside distA. */
  async erlRtt(n: number): Promise<RoundTrip> {
    const pa = this.a.child.pid!;
    const pb = this.b.child.pid!;
    const a0 = procCpuUs(pa);
    const b0 = procCpuUs(pb);
    const r = (await this.erl(this.a, `dist_bench:rtt({echo, '${this.b.name}'}, ${n}).`)) as Tuple;
    const a1 = procCpuUs(pa);
    const b1 = procCpuUs(pb);
    const sorted = (r.at(2) as number[]).map(Number);
    // (a1 - a0) includes returning the list of times to this node: small next to N round trips.
    return roundTrip(sorted, Number(r.at(1)), a1 - a0, b1 - b0);
  }
}

/** Registers a counting process on the beamwire node: the receiver of run 2. */
function startCounter(node: Node): void {
  const proc = node.spawn(async (self) => {
    let n = 0;
    for (;;) {
      const m = await self.receive();
      if (m instanceof TupleC && m.size === 2 && m.elements[0] === DONE) {
        self.send(m.elements[1] as Pid, tuple(COUNT, n));
        n = 0;
      } else n++;
    }
  });
  node.register('counter', proc.pid);
}

async function measure<T>(label: string, rounds: number, warm: () => Promise<T>, run: () => Promise<T>, key: (t: T) => number, show: (t: T) => string): Promise<{ median: T; rounds: T[] }> {
  await warm();
  const all: T[] = [];
  for (let r = 0; r < rounds; r++) {
    const t = await run();
    all.push(t);
    log(`  ${label.padEnd(26)} round ${r + 1}: ${show(t)}`);
  }
  return { median: medianBy(all, key), rounds: all };
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmtX = (n: number): string => `${n >= 10 ? n.toFixed(1) : n.toFixed(2)}×`;
const f1 = (n: number): string => n.toFixed(1);
const f2 = (n: number): string => n.toFixed(2);
const showOneWay = (o: OneWay): string =>
  `${fmtInt(o.msgsPerSec)} msgs/s (${o.count} in ${f1(o.us / 1000)} ms), cpu ${f2(o.senderCpuUsPerMsg)} / ${f2(o.receiverCpuUsPerMsg)} µs/msg`;
const showRtt = (o: RoundTrip): string => `mean ${f1(o.meanUs)} µs, p50 ${f1(o.p50Us)}, p99 ${f1(o.p99Us)}`;

function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

export async function runDist(argv: string[], lenient = false): Promise<void> {
  const opt = parseDistOptions(argv, lenient);
  await loadBeamwire(opt.beamwire === null ? null : resolve(opt.beamwire));
  const started = performance.now();
  const loadAtStart = loadavg()[0]!;
  if (loadAtStart > 0.7) log(`warning: 1-minute load average is ${loadAtStart.toFixed(2)} before the run; results will be noisy`);

  const beamDir = mkdtempSync(join(tmpdir(), 'beamwire-dist-'));
  const erlc = spawnSync(...otp('erlc', ['-o', beamDir, join(HERE, 'dist_bench.erl')]), { encoding: 'utf8' });
  if (erlc.status !== 0) throw new Error(`erlc dist_bench.erl failed: ${erlc.error?.message ?? erlc.stderr}`);

  const epmdPort = 40_000 + Math.floor(Math.random() * 20_000);
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
  let node: Node | undefined;
  try {
    log(`distribution${opt.tls ? ' over TLS' : ''}: embedded EPMD on port ${epmdPort}, nodes bwbench, distA, distB ...`);
    // Over TLS: one CA, one certificate per node, mutual authentication as the interop test sets it up.
    const host = (await import('../runtime/node/names.js')).shortHost();
    const certs = opt.tls ? await makeClusterCerts(join(beamDir, 'certs'), ['bwbench', 'distA', 'distB'].map((n) => `${n}@${host}`)) : undefined;
    const tlsArgs = (alive: string): string[] => {
      if (certs === undefined) return [];
      const f = certs.nodes[`${alive}@${host}`]!;
      const ssl = `{certfile, "${f.cert}"}, {keyfile, "${f.key}"}, {cacertfile, "${certs.ca}"}, {verify, verify_peer}, {secure_renegotiate, true}`;
      const file = join(beamDir, `${alive}.optfile`);
      writeFileSync(file, `[{server, [${ssl}, {fail_if_no_peer_cert, true}]}, {client, [${ssl}]}].\n`);
      return ['-proto_dist', 'inet_tls', '-ssl_dist_optfile', file];
    };
    node = await bw.Node.start({
      name: 'bwbench',
      cookie: COOKIE,
      epmd: { mode: 'embedded', port: epmdPort },
      ...(certs === undefined ? {} : { tls: { ...certs.nodes[`bwbench@${host}`]!, ca: certs.ca } }),
    });
    // erl runs with OTP's defaults, scheduler busy-waiting included: in this
    // run's measurements that gave Erlang the lower CPU per message (spinning
    // costs less than futex sleeps and wake-ups). --erl-no-busy-wait compares.
    const args = ['-pa', beamDir, ...(opt.noBusyWait ? ['+sbwt', 'none', '+sbwtdcpu', 'none', '+sbwtdio', 'none'] : [])];
    erls.push(await startErl('distA', COOKIE, epmdPort, [...args, ...tlsArgs('distA')]));
    erls.push(await startErl('distB', COOKIE, epmdPort, [...args, ...tlsArgs('distB')]));
    const bench = new Bench(node, erls[0]!, erls[1]!);
    for (const e of erls) if ((await bench.erl(e, 'dist_bench:start().')) !== atom('ok')) throw new Error(`dist_bench:start() failed on ${e.name}`);
    startCounter(node);
    const otp = bw.fromCharlist(await bench.erl(erls[0]!, 'erlang:system_info(otp_release).'));
    const erts = bw.fromCharlist(await bench.erl(erls[0]!, 'erlang:system_info(version).'));
    // Connect distA ↔ distB before timing anything.
    if ((await bench.erl(erls[0]!, `net_adm:ping('${erls[1]!.name}').`)) !== atom('pong')) throw new Error('distA cannot reach distB');

    const warmN = Math.max(1000, opt.n >> 2);
    const warmR = Math.max(100, opt.rtt >> 2);
    const thr = (o: OneWay): number => o.msgsPerSec;
    const lat = (o: RoundTrip): number => o.meanUs;
    log(`one-way: ${fmtInt(opt.n)} messages per round; round trips: ${fmtInt(opt.rtt)}; ${opt.rounds} rounds after a warm-up`);
    const bwSend = await measure('beamwire → Erlang', opt.rounds, () => bench.bwToErl(warmN), () => bench.bwToErl(opt.n), thr, showOneWay);
    const bwRecv = await measure('Erlang → beamwire', opt.rounds, () => bench.erlToBw(warmN), () => bench.erlToBw(opt.n), thr, showOneWay);
    const bwRtt = await measure('beamwire ↔ Erlang', opt.rounds, () => bench.bwRtt(warmR), () => bench.bwRtt(opt.rtt), lat, showRtt);
    const eOne = await measure('Erlang → Erlang', opt.rounds, () => bench.erlToErl(warmN), () => bench.erlToErl(opt.n), thr, showOneWay);
    const eRtt = await measure('Erlang ↔ Erlang', opt.rounds, () => bench.erlRtt(warmR), () => bench.erlRtt(opt.rtt), lat, showRtt);
    for (const [label, r] of [['beamwire → Erlang', bwSend], ['Erlang → beamwire', bwRecv], ['Erlang → Erlang', eOne]] as const) {
      for (const o of r.rounds) if (o.count !== opt.n) throw new Error(`${label}: counted ${o.count} of ${opt.n}`);
    }

    const s = bwSend.median;
    const rcv = bwRecv.median;
    const rt = bwRtt.median;
    const e = eOne.median;
    const ert = eRtt.median;
    const ratios = {
      sendThroughput: s.msgsPerSec / e.msgsPerSec,
      receiveThroughput: rcv.msgsPerSec / e.msgsPerSec,
      rttMean: rt.meanUs / ert.meanUs,
      rttP99: rt.p99Us / ert.p99Us,
      sendCpu: s.senderCpuUsPerMsg / e.senderCpuUsPerMsg,
      receiveCpu: rcv.receiverCpuUsPerMsg / e.receiverCpuUsPerMsg,
    };
    const met = (ok: boolean): string => (ok ? 'met' : 'missed');
    const targets = [
      { target: 'one-way beamwire → Erlang ≥ 1.0× Erlang → Erlang', ratio: ratios.sendThroughput, met: ratios.sendThroughput >= 1 },
      { target: 'one-way Erlang → beamwire ≥ 1.0× Erlang → Erlang', ratio: ratios.receiveThroughput, met: ratios.receiveThroughput >= 1 },
      { target: 'round trip (mean) ≤ 1.2× Erlang ↔ Erlang', ratio: ratios.rttMean, met: ratios.rttMean <= 1.2 },
      { target: 'CPU per message sent ≤ Erlang (whole erl VM)', ratio: ratios.sendCpu, met: ratios.sendCpu <= 1 },
      { target: 'CPU per message received ≤ Erlang (whole erl VM)', ratio: ratios.receiveCpu, met: ratios.receiveCpu <= 1 },
    ];
    const md = [
      '| run | beamwire | Erlang → Erlang | beamwire ÷ Erlang |',
      '|---|---:|---:|---:|',
      `| one-way send, msgs/s (beamwire → Erlang) | ${fmtInt(s.msgsPerSec)} | ${fmtInt(e.msgsPerSec)} | ${fmtX(ratios.sendThroughput)} |`,
      `| one-way receive, msgs/s (Erlang → beamwire) | ${fmtInt(rcv.msgsPerSec)} | ${fmtInt(e.msgsPerSec)} | ${fmtX(ratios.receiveThroughput)} |`,
      `| round trip mean, µs | ${f1(rt.meanUs)} | ${f1(ert.meanUs)} | ${fmtX(ratios.rttMean)} |`,
      `| round trip p99, µs | ${f1(rt.p99Us)} | ${f1(ert.p99Us)} | ${fmtX(ratios.rttP99)} |`,
      `| CPU per message sent, µs | ${f2(s.senderCpuUsPerMsg)} | ${f2(e.senderCpuUsPerMsg)} | ${fmtX(ratios.sendCpu)} |`,
      `| CPU per message received, µs | ${f2(rcv.receiverCpuUsPerMsg)} | ${f2(e.receiverCpuUsPerMsg)} | ${fmtX(ratios.receiveCpu)} |`,
      '',
      '| target | beamwire ÷ Erlang | |',
      '|---|---:|---|',
      ...targets.map((t) => `| ${t.target} | ${fmtX(t.ratio)} | ${met(t.met)} |`),
      '',
    ].join('\n');
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(`\n${opt.tls ? 'over TLS (inet_tls_dist on both sides):\n' : ''}${md}\ndistribution bench${opt.tls ? ' (TLS)' : ''} finished in ${seconds.toFixed(1)} s\n`);

    const cpu = cpus()[0];
    const result = {
      generatedAt: new Date().toISOString(),
      beamwireModule: opt.beamwire ?? 'sources, through tsx',
      command: `npm run bench -- ${opt.tls ? '--tls' : '--dist'}${argv.filter((a) => a !== '--dist' && a !== '--tls').length ? ` ${argv.filter((a) => a !== '--dist' && a !== '--tls').join(' ')}` : ''}`,
      transport: opt.tls ? 'TLS (beamwire TlsCarrier; erl -proto_dist inet_tls, verify_peer + fail_if_no_peer_cert)' : 'TCP',
      seconds,
      message: "{'$gen_call', {request, 1}, {get, <<\"user:1\">>, [{timeout, 5000}, {retries, 3}]}}",
      method: {
        oneWayMessages: opt.n,
        roundTrips: opt.rtt,
        rounds: opt.rounds,
        chunk: CHUNK,
        statistic: 'median round (throughput for one-way, mean latency for round trips), after one warm-up run of a quarter size',
        oneWay: 'sender time from the first send until the receiver has answered {done, From} with its count',
        cpu: 'beamwire: process.cpuUsage() of this process; Erlang: utime+stime of the erl OS process (whole VM) from /proc, per message',
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
      beamwireToErlang: bwSend,
      erlangToBeamwire: bwRecv,
      beamwireRoundTrip: bwRtt,
      erlangToErlang: eOne,
      erlangRoundTrip: eRtt,
      ratios,
      targets,
    };
    mkdirSync(RESULTS_DIR, { recursive: true });
    // A run against another release's peers keeps its own file, beside the system's.
    const peers = selectedRelease();
    const stem = `${opt.tls ? 'tls' : 'dist'}${peers === undefined ? '' : `-otp${peers}`}`;
    const file = join(RESULTS_DIR, opt.partial ? `${stem}-partial.json.tmp` : `${stem}-latest.json`);
    writeFileSync(`${file}.part`, `${JSON.stringify(result, null, 2)}\n`);
    renameSync(`${file}.part`, file);
    log(`results in ${relative(ROOT, file)}`);
  } finally {
    await Promise.race([Promise.all(erls.map((e) => e.stop())), new Promise((r) => setTimeout(r, 3000))]);
    killAll();
    await node?.stop().catch(() => undefined);
    rmSync(beamDir, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The commit measured, and whether runtime/ or generated/ differ from it. */
export function codeVersion(): { commit: string | null; runtimeDirty: boolean | null } {
  const git = (...args: string[]): string | null => {
    const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : null;
  };
  const dirty = git('status', '--porcelain', '--', 'runtime', 'generated');
  return { commit: git('rev-parse', 'HEAD'), runtimeDirty: dirty === null ? null : dirty !== '' };
}

/**
 * For bench/run.ts: `--dist` runs only this benchmark, `--codec` only the
 * codec one, neither both (codec first). The two flags are taken out of
 * process.argv before the codec benchmark parses it.
 */
export function withDist(codec: () => Promise<void>): () => Promise<void> {
  return async () => {
    const dist = process.argv.includes('--dist');
    const tlsOnly = process.argv.includes('--tls');
    const codecOnly = process.argv.includes('--codec');
    process.argv = process.argv.filter((a) => a !== '--dist' && a !== '--codec' && a !== '--tls');
    // --otp N: every benchmark's Erlang (peers, corpora, the codec's erl) on release N, as BEAMWIRE_OTP=N does.
    const at = process.argv.indexOf('--otp');
    if (at >= 0) {
      parseDistOptions(process.argv.slice(at, at + 2));
      process.argv.splice(at, 2);
    }
    if (tlsOnly) return runDist([...process.argv.slice(2), '--tls'], true);
    if (!dist) await codec();
    if (!codecOnly) {
      await runDist(process.argv.slice(2), true);
      // The same runs over TLS (issue 9), beamwire ↔ Erlang beside Erlang ↔ Erlang.
      if (!dist) await runDist([...process.argv.slice(2), '--tls'], true);
    }
  };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  runDist(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`dist bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
