/**
 * The pg benchmark (issue 12, deliverable 5): beamwire's pg scope beside
 * Erlang's, in one run, on one cluster: a beamwire node `pgbw` and three erl
 * nodes (`pgsub1`, `pgsub2`, `pgpub`, kernel's default scope started,
 * bench/pg_bench.erl loaded).
 *
 *   fan-out       100 subscribers in group `fanout`, 50 on each of pgsub1
 *                 and pgsub2. A publisher makes B broadcasts, each one
 *                 message to every member its pg gives at that moment (as
 *                 Phoenix.PubSub's PG2 adapter does per broadcast), timed
 *                 from the first send until every subscriber has counted all
 *                 B: messages delivered per second = 100 × B / elapsed.
 *                 beamwire publishing from pgbw vs Erlang publishing from
 *                 pgpub (pg_bench:publish/2), the same subscribers.
 *   propagation   a joiner process on pgbw (beamwire's pg) or on pgpub
 *                 (Erlang's) is told to join, then leave, group `prop`;
 *                 pg_bench:propagation/3 on pgsub1 times each from its
 *                 request until pgsub1's pg:monitor reports it: the request's
 *                 trip plus the join's or leave's propagation. Median of J.
 *                 Beside it, for reading the figures (no target): the bare
 *                 round trip pgsub1 → echo process → pgsub1 on each side.
 *
 * Rounds interleave (beamwire, then Erlang) after a warm-up of each, so
 * outside load hits both alike; each pair gives a ratio (beamwire ÷ Erlang
 * for rates, Erlang ÷ beamwire for times: above 1 is better for beamwire),
 * and the reported ratio is the median over the pairs. Targets: at least
 * Erlang's (ratio ≥ 1).
 *
 *   npm run bench -- --pg        only this benchmark; bench/results/pg-latest.json
 *   node --import tsx bench/pg.ts [--quick] [--rounds N] [--broadcasts B] [--joins J]
 *                                [--beamwire PATH] [--no-busy-wait]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startErl, type ErlNode } from '../test/support/erl-node.js';
import { otp } from '../test/support/otp.js';
import { codeVersion } from './dist.js';
import { otherPartAsked } from './parts.js';
import type { Node as NodeT, Pid as PidT, Term } from '../runtime/index.js';

type Beamwire = typeof import('../runtime/index.js');

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(HERE);
const RESULTS_DIR = join(HERE, 'results');
const COOKIE = 'pgbench';
const SUBSCRIBERS_PER_NODE = 50;

interface PgOptions {
  quick: boolean;
  rounds: number;
  broadcasts: number;
  joins: number;
  beamwire: string | null;
  /** erl without scheduler busy-waiting (+sbwt none ...), as bench/dist.ts's --no-busy-wait. */
  noBusyWait: boolean;
  partial: boolean;
}

function parsePgOptions(argv: string[]): PgOptions {
  const quick = argv.includes('--quick');
  const o: PgOptions = { quick, rounds: quick ? 2 : 7, broadcasts: quick ? 50 : 300, joins: quick ? 20 : 100, beamwire: null, noBusyWait: argv.includes('--no-busy-wait'), partial: quick || argv.includes('--no-busy-wait') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const int = (): number => {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n <= 0) throw new Error(`${a} needs a positive integer`);
      o.partial = true;
      return n;
    };
    if (a === '--rounds') o.rounds = int();
    else if (a === '--broadcasts') o.broadcasts = int();
    else if (a === '--joins') o.joins = int();
    else if (a === '--beamwire') o.beamwire = argv[++i] ?? null;
  }
  return o;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1]!;
const log = (line: string): void => void process.stderr.write(`[pg bench] ${line}\n`);

export async function runPg(argv: string[]): Promise<void> {
  const opt = parsePgOptions(argv);
  const bw = (opt.beamwire === null ? await import('../runtime/index.js') : await import(pathToFileURL(resolve(opt.beamwire)).href)) as Beamwire;
  const { atom, tuple, on, P, Node } = bw;
  const loadAtStart = loadavg()[0]!;
  const beamDir = mkdtempSync(join(tmpdir(), 'beamwire-pg-'));
  const erlc = spawnSync(...otp('erlc', ['-o', beamDir, join(HERE, 'pg_bench.erl')]), { encoding: 'utf8' });
  if (erlc.status !== 0) throw new Error(`erlc pg_bench.erl failed: ${erlc.error?.message ?? erlc.stderr}`);
  const epmdPort = 40_000 + Math.floor(Math.random() * 20_000);
  const erls: ErlNode[] = [];
  let node: NodeT | undefined;
  try {
    node = await Node.start({ name: 'pgbw', cookie: COOKIE, epmd: { mode: 'embedded', port: epmdPort }, logger: 'silent' });
    for (const n of ['pgsub1', 'pgsub2', 'pgpub']) erls.push(await startErl(n, COOKIE, epmdPort, ['-pa', beamDir, '-kernel', 'start_pg', 'true', ...(opt.noBusyWait ? ['+sbwt', 'none', '+sbwtdcpu', 'none', '+sbwtdio', 'none'] : [])]));
    const [sub1, sub2, pub] = erls as [ErlNode, ErlNode, ErlNode];
    for (const e of erls) await node.connect(e.name);
    for (const e of [sub2, pub]) await node.rpc(sub1.name, 'net_kernel', 'connect_node', [atom(e.name)]);
    const pg = node.pg();
    const FANOUT = atom('fanout');
    const PROP = atom('prop');
    for (const e of [sub1, sub2]) await node.rpc(e.name, 'pg_bench', 'subscribers', [FANOUT, SUBSCRIBERS_PER_NODE]);
    const total = 2 * SUBSCRIBERS_PER_NODE;
    await waitFor('100 subscribers seen by both publishers', async () => pg.members(FANOUT).length === total && ((await node!.rpc(pub.name, 'pg', 'get_members', [FANOUT])) as Term[]).length === total);
    log(`cluster up: ${node.name}, ${erls.map((e) => e.name).join(', ')}; ${total} subscribers; ${opt.broadcasts} broadcasts per round, ${opt.rounds} rounds`);

    const GO = atom('go');
    const MSG = atom('msg');
    const DONE = atom('done');
    /** beamwire publishes from pgbw: messages delivered per second. */
    const bwFanout = async (b: number): Promise<number> => {
      let us = 0;
      const p = node!.spawn(async (self) => {
        const first = pg.members(FANOUT);
        for (const m of first) self.send(m, tuple(GO, b, self.pid));
        const t0 = process.hrtime.bigint();
        for (let k = b; k > 0; k--) {
          const msg = tuple(MSG, k);
          for (const m of pg.members(FANOUT)) self.send(m, msg);
        }
        for (let i = 0; i < first.length; i++) await self.receive([on(P.tuple(DONE, P.any), () => undefined)], { timeout: 60_000 });
        us = Number(process.hrtime.bigint() - t0) / 1000;
      });
      const why = await p.exited;
      if (why !== atom('normal')) throw new Error(`beamwire publisher failed: ${bw.format(why)}`);
      return (total * b * 1e6) / us;
    };
    /** Erlang publishes from pgpub. */
    const erlFanout = async (b: number): Promise<number> => (total * b * 1e6) / ((await node!.rpc(pub.name, 'pg_bench', 'publish', [FANOUT, b], { timeout: 120_000 })) as number);

    // The joiners: one on each side, the same messages.
    const JOIN = atom('join');
    const bwJoiner = node.spawn(async (self) => {
      for (;;) {
        const m = await self.receive();
        if (m === JOIN) pg.join(PROP, self.pid);
        else pg.leave(PROP, self.pid);
      }
    }).pid;
    const erlJoiner = (await node.rpc(pub.name, 'pg_bench', 'joiner', [PROP])) as PidT;
    const PONG = atom('pong');
    const bwEcho = node.spawn(async (self) => {
      for (;;) {
        const m = await self.receive();
        if (m instanceof bw.Tuple && m.elements[0] instanceof bw.Pid) self.send(m.elements[0], PONG);
      }
    }).pid;
    const erlEcho = (await node.rpc(pub.name, 'pg_bench', 'echo', [])) as PidT;
    const rtt = async (echo: PidT, j: number): Promise<number> => median((await node!.rpc(sub1.name, 'pg_bench', 'rtt', [echo, j], { timeout: 120_000 })) as number[]);
    const propagation = async (joiner: PidT, j: number): Promise<{ join: number; leave: number }> => {
      const r = (await node!.rpc(sub1.name, 'pg_bench', 'propagation', [joiner, PROP, j], { timeout: 120_000 })) as InstanceType<Beamwire['Tuple']>;
      return { join: median(r.elements[0] as number[]), leave: median(r.elements[1] as number[]) };
    };

    // Warm-up of each, then interleaved rounds.
    await bwFanout(Math.max(10, opt.broadcasts >> 2));
    await erlFanout(Math.max(10, opt.broadcasts >> 2));
    await propagation(bwJoiner, 10);
    await propagation(erlJoiner, 10);
    const rounds: { bw: number; erl: number; bwJoin: number; erlJoin: number; bwLeave: number; erlLeave: number; bwRtt: number; erlRtt: number }[] = [];
    for (let r = 0; r < opt.rounds; r++) {
      const bwRate = await bwFanout(opt.broadcasts);
      const erlRate = await erlFanout(opt.broadcasts);
      const bwP = await propagation(bwJoiner, opt.joins);
      const erlP = await propagation(erlJoiner, opt.joins);
      const bwRtt = await rtt(bwEcho, opt.joins);
      const erlRtt = await rtt(erlEcho, opt.joins);
      rounds.push({ bw: bwRate, erl: erlRate, bwJoin: bwP.join, erlJoin: erlP.join, bwLeave: bwP.leave, erlLeave: erlP.leave, bwRtt, erlRtt });
      log(`round ${r + 1}: fan-out ${fmtInt(bwRate)} vs ${fmtInt(erlRate)} msgs/s; join ${bwP.join} vs ${erlP.join} µs; leave ${bwP.leave} vs ${erlP.leave} µs; bare round trip ${bwRtt} vs ${erlRtt} µs`);
    }
    const ratios = {
      fanout: median(rounds.map((x) => x.bw / x.erl)),
      join: median(rounds.map((x) => x.erlJoin / x.bwJoin)),
      leave: median(rounds.map((x) => x.erlLeave / x.bwLeave)),
    };
    const med = {
      bwFanout: median(rounds.map((x) => x.bw)),
      erlFanout: median(rounds.map((x) => x.erl)),
      bwJoin: median(rounds.map((x) => x.bwJoin)),
      erlJoin: median(rounds.map((x) => x.erlJoin)),
      bwLeave: median(rounds.map((x) => x.bwLeave)),
      erlLeave: median(rounds.map((x) => x.erlLeave)),
      bwRtt: median(rounds.map((x) => x.bwRtt)),
      erlRtt: median(rounds.map((x) => x.erlRtt)),
    };
    const targets = [
      { target: 'fan-out: messages delivered/s, beamwire publishing ≥ Erlang publishing', ratio: ratios.fanout, met: ratios.fanout >= 1 },
      { target: 'join propagation time ≤ Erlang’s', ratio: ratios.join, met: ratios.join >= 1 },
      { target: 'leave propagation time ≤ Erlang’s', ratio: ratios.leave, met: ratios.leave >= 1 },
    ];
    const md = [
      `| pg (${total} subscribers on 2 Erlang nodes; median of ${opt.rounds} rounds) | beamwire | Erlang | ratio (median of pairs) |`,
      '|---|---:|---:|---:|',
      `| fan-out, messages delivered/s (${opt.broadcasts} broadcasts) | ${fmtInt(med.bwFanout)} | ${fmtInt(med.erlFanout)} | ${ratios.fanout.toFixed(2)}× |`,
      `| join → seen by pg:monitor on another node, µs (median of ${opt.joins}) | ${med.bwJoin} | ${med.erlJoin} | ${ratios.join.toFixed(2)}× |`,
      `| leave → seen by pg:monitor on another node, µs | ${med.bwLeave} | ${med.erlLeave} | ${ratios.leave.toFixed(2)}× |`,
      `| (no target) bare round trip pgsub1 → echo → pgsub1, µs | ${med.bwRtt} | ${med.erlRtt} | ${(median(rounds.map((x) => x.erlRtt / x.bwRtt))).toFixed(2)}× |`,
      '',
    ].join('\n');
    process.stdout.write(`\n${md}\n`);
    for (const t of targets) process.stdout.write(`${t.met ? 'MET   ' : 'MISSED'} ${t.target}: ${t.ratio.toFixed(2)}×\n`);

    const result = {
      generatedAt: new Date().toISOString(),
      beamwireModule: opt.beamwire ?? 'sources, through tsx',
      command: `npm run bench -- --pg${argv.length ? ` ${argv.join(' ')}` : ''}`,
      method: {
        subscribers: `${SUBSCRIBERS_PER_NODE} on each of 2 erl nodes, group fanout, default scope`,
        broadcasts: opt.broadcasts,
        joins: opt.joins,
        rounds: opt.rounds,
        erlFlags: opt.noBusyWait ? '+sbwt none +sbwtdcpu none +sbwtdio none' : 'OTP defaults',
        statistic: 'per round: fan-out rate over all broadcasts, propagation median of the joins; reported: median over rounds, and median of per-round ratios (beamwire ÷ Erlang for rates, Erlang ÷ beamwire for times)',
      },
      machine: { nproc: availableParallelism(), cpu: cpus()[0]?.model ?? null, loadavg1mAtStart: Number(loadAtStart.toFixed(2)), loadavg1mAtEnd: Number(loadavg()[0]!.toFixed(2)), node: process.version },
      code: codeVersion(),
      rounds,
      medians: med,
      ratios,
      targets,
    };
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = join(RESULTS_DIR, opt.partial ? 'pg-partial.json.tmp' : 'pg-latest.json');
    writeFileSync(`${file}.part`, `${JSON.stringify(result, null, 2)}\n`);
    renameSync(`${file}.part`, file);
    log(`results in ${relative(ROOT, file)}`);
  } finally {
    await Promise.race([Promise.all(erls.map((e) => e.stop())), new Promise((r) => setTimeout(r, 3000))]);
    for (const e of erls) e.kill9();
    await node?.stop().catch(() => undefined);
    rmSync(beamDir, { recursive: true, force: true });
  }
}

async function waitFor(what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** For bench/run.ts: `--pg` runs only this benchmark; a full run (no part named) makes it last. */
export function withPg(inner: () => Promise<void>): () => Promise<void> {
  return async () => {
    const only = process.argv.includes('--pg');
    const others = otherPartAsked('--pg');
    process.argv = process.argv.filter((a) => a !== '--pg');
    if (!only || others) await inner();
    // Options this benchmark does not know (the others') are ignored by parsePgOptions.
    if (only || !others) await runPg(process.argv.slice(2));
  };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  runPg(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`pg bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
