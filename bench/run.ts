/**
 * `npm run bench` — beamwire against erlpack, erlang_js and Erlang itself, on
 * corpora that Erlang produced (bench/corpora.escript), in one run.
 *
 *   npm run bench                       full run (~1.5 s per cell), writes
 *                                       bench/results/latest.json and .md
 *   npm run bench -- --quick            short rounds, for smoke runs
 *   npm run bench -- --dist | --rpc     only the distribution (bench/dist.ts)
 *                                       or RPC (bench/rpc.ts) benchmark; with
 *                                       neither (nor --codec), all three run
 *   npm run bench -- --router           only the router benchmark beside
 *                                       mitogen (bench/router.ts); a full
 *                                       run makes it last
 *   npm run bench -- --pg               only the pg benchmark beside Erlang's
 *                                       pg (bench/pg.ts); a full run makes it
 *                                       last
 *   npm run bench -- --proxy            only the remote-objects benchmark
 *                                       beside capnweb (bench/proxy.ts); a
 *                                       full run makes it last
 *   npm run bench -- --scale            only the scale benchmark beside Erlang
 *                                       (bench/scale.ts: spawn rate, memory per
 *                                       process, ring throughput to 1M
 *                                       processes, 10 peers); a full run makes
 *                                       it last
 *   npm run bench -- --tls              only the distribution benchmark over
 *                                       TLS (inet_tls_dist on every node); a
 *                                       full run makes it after the TCP one
 *   --otp 27 | 29                       the distribution benchmark's Erlang
 *                                       peers on that release (BEAMWIRE_OTP)
 *   npm run bench -- --only beamwire-decode-small[,erlang-*]
 *                                       only the matching cells (ids are
 *                                       IMPL-OP-CORPUS, `*` is a wildcard)
 *   --rounds N  --round-ms MS  --warm-ms MS  --no-erlang
 *   --beamwire PATH                     load beamwire from PATH (e.g. a tsc
 *                                       build, for line-accurate profiles;
 *                                       see BENCHMARKS.md)
 *
 * `npm run bench` compiles with tsc first and passes `--beamwire
 * dist/runtime/index.js`: it measures the JavaScript the package ships.
 * Run directly (`node --import tsx bench/run.ts`), it loads the sources
 * through tsx, whose esbuild transform keeps function names by wrapping every
 * closure made at run time in a `__name()` call (a defineProperty): about 2×
 * slower on the receive path of a small packet, so such figures understate
 * the build.
 *
 * Method: each cell is one implementation doing one operation over one
 * corpus. After a warm-up, it runs ROUNDS rounds; a round repeats whole passes
 * over the corpus until ROUND_MS have elapsed. A cell reports the median
 * round. Erlang runs the same method inside `erl` (bench/erlang_bench.escript),
 * as a child process before the JS cells, so the two never share the CPU.
 * Partial runs (--quick, --only, overrides) write *.tmp files instead, so
 * latest.json is always a full run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { otp } from '../test/support/otp.js';

type Beamwire = typeof import('../runtime/index.js');

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(HERE);
const CORPUS_DIR = join(HERE, 'corpora');
const RESULTS_DIR = join(HERE, 'results');
const CORPORA = ['small', 'medium', 'blob'] as const;
type CorpusName = (typeof CORPORA)[number];
type Op = 'decode' | 'encode';
/** Which file a cell reads: `v2` = minor_version 2 (UTF-8 atoms), `v1` = Latin-1 ATOM_EXT atoms. */
type Input = 'v2' | 'v1';
type ImplName = 'beamwire' | 'beamwire_v1' | 'erlpack' | 'erlpack_v1' | 'erlang_js' | 'erlang';

// ---------------------------------------------------------------- options

interface Options {
  quick: boolean;
  only: RegExp[] | null;
  rounds: number;
  roundMs: number;
  warmMs: number;
  erlang: boolean;
  partial: boolean;
  /** Module to load beamwire from; default the sources, through tsx. */
  beamwire: string | null;
}

function parseOptions(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const o: Options = {
    quick,
    only: null,
    rounds: 5,
    roundMs: quick ? 40 : 300,
    warmMs: quick ? 40 : 300,
    erlang: !argv.includes('--no-erlang'),
    partial: quick,
    beamwire: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const num = (): number => {
      const n = Number(value());
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${a} needs a positive number`);
      o.partial = true;
      return n;
    };
    if (a === '--quick' || a === '--no-erlang') continue;
    else if (a === '--only') {
      o.only = value()
        .split(',')
        .filter(Boolean)
        .map((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`));
      o.partial = true;
    } else if (a === '--beamwire') o.beamwire = value(); // npm run bench passes the build; results say which was measured else if (a === '--rounds') o.rounds = Math.max(1, Math.round(num()));
    else if (a === '--round-ms') o.roundMs = num();
    else if (a === '--warm-ms') o.warmMs = num();
    else throw new Error(`unknown option ${a}`);
  }
  if (!o.erlang) o.partial = true;
  return o;
}

const cellId = (impl: ImplName, op: Op, corpus: CorpusName): string => `${impl}-${op}-${corpus}`;
const wanted = (opt: Options, id: string): boolean => opt.only === null || opt.only.some((r) => r.test(id));

// ---------------------------------------------------------------- corpora

interface Frames {
  /** Each term's bytes as a plain Uint8Array view into the file's buffer (no copies). */
  u8: Uint8Array[];
  /** The same views as Buffers (erlpack and erlang_js insist on Buffer). */
  buf: Buffer[];
  bytes: number;
}
interface Corpus {
  name: CorpusName;
  v2: Frames;
  v1: Frames;
}

function ensureCorpora(): void {
  const script = join(HERE, 'corpora.escript');
  const scriptTime = statSync(script).mtimeMs;
  const stale = CORPORA.some((c) =>
    ['.etf', '.v1.etf'].some((ext) => {
      const f = join(CORPUS_DIR, c + ext);
      return !existsSync(f) || statSync(f).mtimeMs < scriptTime;
    }),
  );
  if (!stale) return;
  log(`generating corpora in ${relative(ROOT, CORPUS_DIR)}/ with erl ...`);
  const r = spawnSync(...otp('escript', [script, CORPUS_DIR]), { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`corpora.escript failed (${r.error?.message ?? `exit ${r.status}`})`);
}

function loadFrames(path: string): Frames {
  const file = readFileSync(path);
  const u8: Uint8Array[] = [];
  const buf: Buffer[] = [];
  let off = 0;
  let bytes = 0;
  while (off < file.length) {
    const len = file.readUInt32BE(off);
    off += 4;
    u8.push(new Uint8Array(file.buffer, file.byteOffset + off, len));
    buf.push(file.subarray(off, off + len));
    off += len;
    bytes += len;
  }
  return { u8, buf, bytes };
}

const loadCorpus = (name: CorpusName): Corpus => ({
  name,
  v2: loadFrames(join(CORPUS_DIR, `${name}.etf`)),
  v1: loadFrames(join(CORPUS_DIR, `${name}.v1.etf`)),
});

// ---------------------------------------------------------------- implementations

interface JsImpl {
  name: ImplName;
  input: Input;
  /** erlpack / erlang_js want Buffers; beamwire gets plain Uint8Arrays. */
  wantsBuffer: boolean;
  decode(bytes: Uint8Array): unknown;
  encode(value: unknown): Uint8Array;
}

interface ErlangJs {
  binary_to_term(data: Buffer, cb: (err: unknown, term: unknown) => void): void;
  term_to_binary(term: unknown, cb: (err: unknown, data: Buffer) => void): void;
}
interface Erlpack {
  pack(value: unknown): Buffer;
  unpack(data: Buffer): unknown;
}

function jsImpls(bw: Beamwire | null): JsImpl[] {
  const require = createRequire(import.meta.url);
  const erlpack = require('erlpack') as Erlpack;
  const E = (require('erlang_js') as { Erlang: ErlangJs }).Erlang;
  // erlang_js takes a callback, but calls it synchronously for uncompressed terms.
  const ejsDecode = (b: Uint8Array): unknown => {
    let out: unknown;
    let error: unknown;
    E.binary_to_term(b as Buffer, (err, t) => {
      error = err;
      out = t;
    });
    if (error !== undefined) throw error;
    return out;
  };
  const ejsEncode = (v: unknown): Uint8Array => {
    let out: Buffer | undefined;
    let error: unknown;
    E.term_to_binary(v, (err, b) => {
      error = err;
      out = b;
    });
    if (error !== undefined || out === undefined) throw error ?? new Error('erlang_js: no output');
    return out;
  };
  const list: JsImpl[] = [];
  if (bw !== null) {
    const decode = (b: Uint8Array): unknown => bw.decode(b);
    const encode = (v: unknown): Uint8Array => bw.encode(v as Parameters<Beamwire['encode']>[0]);
    list.push({ name: 'beamwire', input: 'v2', wantsBuffer: false, decode, encode });
    list.push({ name: 'beamwire_v1', input: 'v1', wantsBuffer: false, decode, encode });
  }
  const epDecode = (b: Uint8Array): unknown => erlpack.unpack(b as Buffer);
  const epEncode = (v: unknown): Uint8Array => erlpack.pack(v);
  list.push({ name: 'erlpack', input: 'v2', wantsBuffer: true, decode: epDecode, encode: epEncode });
  list.push({ name: 'erlpack_v1', input: 'v1', wantsBuffer: true, decode: epDecode, encode: epEncode });
  list.push({ name: 'erlang_js', input: 'v2', wantsBuffer: true, decode: ejsDecode, encode: ejsEncode });
  return list;
}

// ---------------------------------------------------------------- measurement

interface Round {
  terms: number;
  ms: number;
  bytes: number;
}
interface Cell {
  id: string;
  corpus: CorpusName;
  op: Op;
  impl: ImplName;
  input: Input | null;
  status: 'ok' | 'unsupported' | 'error' | 'missing';
  note?: string;
  termsPerSec?: number;
  mbPerSec?: number;
  /** ETF bytes read (decode) or written (encode) by one pass over the corpus. */
  bytesPerPass?: number;
  rounds?: Round[];
}

type PassFn = (fn: (x: unknown) => unknown, inputs: readonly unknown[]) => unknown;
/**
 * A fresh loop function for every cell, so V8's call-site feedback for `fn`
 * stays monomorphic and no implementation pays for another's types.
 */
const makePass = (): PassFn =>
  new Function('fn', 'inputs', 'let s; for (let i = 0; i < inputs.length; i++) s = fn(inputs[i]); return s;') as PassFn;

/** Keeps results observable, so no call is dead code. */
let sink: unknown;

function timed(pass: PassFn, fn: (x: unknown) => unknown, inputs: readonly unknown[], budgetMs: number): { passes: number; ms: number } {
  let passes = 0;
  const t0 = performance.now();
  let ms = 0;
  do {
    sink = pass(fn, inputs);
    passes++;
    ms = performance.now() - t0;
  } while (ms < budgetMs);
  return { passes, ms };
}

function median(rounds: Round[]): Round {
  const sorted = [...rounds].sort((a, b) => a.terms / a.ms - b.terms / b.ms);
  return sorted[(sorted.length - 1) >> 1]!;
}

function summarize(cell: Cell, rounds: Round[]): Cell {
  const m = median(rounds);
  cell.status = 'ok';
  cell.rounds = rounds;
  cell.termsPerSec = (m.terms / m.ms) * 1000;
  cell.mbPerSec = m.bytes / m.ms / 1000;
  return cell;
}

function measureJs(opt: Options, cell: Cell, fn: (x: unknown) => unknown, inputs: readonly unknown[], bytesPerPass: number): Cell {
  const pass = makePass();
  timed(pass, fn, inputs, opt.warmMs);
  const rounds: Round[] = [];
  for (let r = 0; r < opt.rounds; r++) {
    const { passes, ms } = timed(pass, fn, inputs, opt.roundMs);
    rounds.push({ terms: passes * inputs.length, ms, bytes: passes * bytesPerPass });
  }
  cell.bytesPerPass = bytesPerPass;
  const done = summarize(cell, rounds);
  log(`  ${cell.id.padEnd(28)} ${fmtInt(done.termsPerSec!).padStart(12)} terms/s ${fmtMb(done.mbPerSec!).padStart(9)} MB/s`);
  return done;
}

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Decodes every frame once; the values feed the encode cells. Null + reason if the implementation cannot. */
function decodeAll(impl: JsImpl, frames: Frames): { values: unknown[] | null; error?: string } {
  const inputs = impl.wantsBuffer ? frames.buf : frames.u8;
  try {
    return { values: inputs.map((b) => impl.decode(b)) };
  } catch (e) {
    return { values: null, error: errText(e) };
  }
}

function runJsCells(opt: Options, corpora: Corpus[], impls: JsImpl[], bwError: string | null): Cell[] {
  const cells: Cell[] = [];
  for (const corpus of corpora) {
    log(`${corpus.name}: ${corpus.v2.u8.length} terms, ${fmtInt(corpus.v2.bytes)} bytes`);
    const decoded = new Map<ImplName, unknown[]>();
    for (const impl of impls) {
      const frames = corpus[impl.input];
      const id = cellId(impl.name, 'decode', corpus.name);
      // Under --only, do not even decode for implementations not asked for,
      // so a profile holds nothing but the chosen cell.
      const encodeId = cellId(impl.name.replace(/_v1$/, '') as ImplName, 'encode', corpus.name);
      if (!wanted(opt, id) && !wanted(opt, encodeId)) continue;
      const cell: Cell = { id, corpus: corpus.name, op: 'decode', impl: impl.name, input: impl.input, status: 'ok' };
      const all = decodeAll(impl, frames);
      if (all.values === null) {
        if (wanted(opt, id)) cells.push({ ...cell, status: 'unsupported', note: all.error ?? 'decode failed' });
        log(`  ${id.padEnd(28)} unsupported: ${all.error}`);
        continue;
      }
      decoded.set(impl.name, all.values);
      if (!wanted(opt, id)) continue;
      const inputs = impl.wantsBuffer ? frames.buf : frames.u8;
      cells.push(measureJs(opt, cell, impl.decode as (x: unknown) => unknown, inputs, frames.bytes));
    }
    // Encode: each implementation encodes the values it decoded itself, from
    // the Erlang-made bytes (v2; erlpack falls back to v1 when it cannot read v2).
    const encoders: [ImplName, ImplName[]][] = [
      ['beamwire', ['beamwire']],
      ['erlpack', ['erlpack', 'erlpack_v1']],
      ['erlang_js', ['erlang_js']],
    ];
    for (const [name, sources] of encoders) {
      const impl = impls.find((i) => i.name === name);
      const id = cellId(name, 'encode', corpus.name);
      const cell: Cell = { id, corpus: corpus.name, op: 'encode', impl: name, input: null, status: 'ok' };
      if (!wanted(opt, id)) continue;
      if (impl === undefined) {
        cells.push({ ...cell, status: 'missing', note: bwError ?? 'not loaded' });
        continue;
      }
      const source = sources.find((s) => decoded.has(s));
      if (source === undefined) {
        cells.push({ ...cell, status: 'unsupported', note: 'could not decode the corpus' });
        continue;
      }
      const values = decoded.get(source)!;
      cell.input = source.endsWith('_v1') ? 'v1' : 'v2';
      if (source !== name) cell.note = `encodes the values it decoded from the ${cell.input} (Latin-1 atom) bytes`;
      let bytesPerPass = 0;
      try {
        for (const v of values) bytesPerPass += impl.encode(v).length;
      } catch (e) {
        cells.push({ ...cell, status: 'error', note: errText(e) });
        log(`  ${id.padEnd(28)} error: ${errText(e)}`);
        continue;
      }
      cells.push(measureJs(opt, cell, impl.encode as (x: unknown) => unknown, values, bytesPerPass));
    }
  }
  if (bwError !== null) {
    for (const c of CORPORA) {
      for (const impl of ['beamwire', 'beamwire_v1'] as const) {
        const id = cellId(impl, 'decode', c);
        if (wanted(opt, id)) cells.push({ id, corpus: c, op: 'decode', impl, input: impl === 'beamwire' ? 'v2' : 'v1', status: 'missing', note: bwError });
      }
    }
  }
  return cells;
}

// ---------------------------------------------------------------- Erlang

interface ErlangRun {
  cells: Cell[];
  otp: string | null;
  erts: string | null;
}

function runErlang(opt: Options, corpora: Corpus[]): Promise<ErlangRun> {
  const want = CORPORA.filter((c) => wanted(opt, cellId('erlang', 'decode', c)) || wanted(opt, cellId('erlang', 'encode', c)));
  if (!opt.erlang || want.length === 0) return Promise.resolve({ cells: [], otp: null, erts: null });
  log(`erlang: binary_to_term / term_to_binary inside erl (${want.join(', ')}) ...`);
  const args = [join(HERE, 'erlang_bench.escript'), CORPUS_DIR, String(Math.round(opt.warmMs)), String(Math.round(opt.roundMs)), String(opt.rounds), ...want];
  return new Promise((resolve) => {
    const child = spawn(...otp('escript', args), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const fail = (why: string): void =>
      resolve({
        cells: want.flatMap((c) =>
          (['decode', 'encode'] as const).map((op): Cell => ({ id: cellId('erlang', op, c), corpus: c, op, impl: 'erlang', input: 'v2', status: 'error', note: why })),
        ),
        otp: null,
        erts: null,
      });
    child.on('error', (e) => fail(e.message));
    child.on('close', (code) => {
      if (code !== 0) return fail(`escript exited ${code}: ${err.trim().slice(0, 500)}`);
      let otp: string | null = null;
      let erts: string | null = null;
      const rounds = new Map<string, Round[]>();
      for (const line of out.split('\n')) {
        const f = line.trim().split(/\s+/);
        if (f[0] === 'otp') {
          otp = f[1] ?? null;
          erts = f[3] ?? null;
        } else if (f[0] === 'round' && f.length === 6) {
          const id = cellId('erlang', f[2] as Op, f[1] as CorpusName);
          const list = rounds.get(id) ?? [];
          list.push({ terms: Number(f[3]), ms: Number(f[4]) / 1000, bytes: Number(f[5]) });
          rounds.set(id, list);
        }
      }
      const cells: Cell[] = [];
      for (const c of want) {
        for (const op of ['decode', 'encode'] as const) {
          const id = cellId('erlang', op, c);
          if (!wanted(opt, id)) continue;
          const rs = rounds.get(id);
          const cell: Cell = { id, corpus: c, op, impl: 'erlang', input: 'v2', status: 'error', note: 'no output' };
          if (rs === undefined || rs.length === 0) {
            cells.push(cell);
            continue;
          }
          delete cell.note;
          const m = median(rs);
          const perPass = corpora.find((x) => x.name === c)!.v2.u8.length;
          cell.bytesPerPass = Math.round(m.bytes / (m.terms / perPass));
          cells.push(summarize(cell, rs));
          log(`  ${id.padEnd(28)} ${fmtInt(cell.termsPerSec!).padStart(12)} terms/s ${fmtMb(cell.mbPerSec!).padStart(9)} MB/s`);
        }
      }
      resolve({ cells, otp, erts });
    });
  });
}

// ---------------------------------------------------------------- checks

/** First Uint8Array of `len` bytes anywhere in a decoded value. */
function findBytes(v: unknown, len: number, depth = 0): Uint8Array | null {
  if (v instanceof Uint8Array) return v.length === len ? v : null;
  if (depth > 8 || v === null || typeof v !== 'object') return null;
  const children: unknown[] = Array.isArray(v)
    ? v
    : v instanceof Map
      ? [...v.keys(), ...v.values()]
      : 'elements' in v && Array.isArray(v.elements)
        ? v.elements
        : 'value' in v
          ? [v.value]
          : Object.values(v);
  for (const c of children) {
    const hit = findBytes(c, len, depth + 1);
    if (hit !== null) return hit;
  }
  return null;
}

interface ZeroCopy {
  impl: ImplName;
  zeroCopy: boolean | null;
  detail: string;
}

/** Decodes blob #0 and asks whether the 64 KB payload is a view into the input. */
function zeroCopyChecks(corpus: Corpus, impls: JsImpl[]): ZeroCopy[] {
  const payload = 65536;
  return impls
    .filter((i) => i.input === 'v2' || i.name === 'erlpack_v1')
    .map((impl): ZeroCopy => {
      const input = impl.wantsBuffer ? corpus[impl.input].buf[0]! : corpus[impl.input].u8[0]!;
      let value: unknown;
      try {
        value = impl.decode(input);
      } catch (e) {
        return { impl: impl.name, zeroCopy: null, detail: `cannot decode: ${errText(e)}` };
      }
      const bytes = findBytes(value, payload);
      if (bytes === null) return { impl: impl.name, zeroCopy: false, detail: 'no 64 KB Uint8Array in the result (payload became another type, i.e. was copied)' };
      const shares = bytes.buffer === input.buffer;
      const inside = shares && bytes.byteOffset >= input.byteOffset && bytes.byteOffset + payload <= input.byteOffset + input.byteLength;
      const same = Buffer.compare(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), Buffer.from(input.buffer, input.byteOffset + input.byteLength - payload, payload)) === 0;
      return {
        impl: impl.name,
        zeroCopy: inside && same,
        detail: inside
          ? `result.buffer === input.buffer, byteOffset ${bytes.byteOffset - input.byteOffset} into the term${same ? '' : ' (BUT the bytes differ!)'}`
          : `result has its own ${bytes.buffer.byteLength}-byte buffer (copied)`,
      };
    });
}

interface RoundTrip {
  impl: ImplName;
  corpus: CorpusName;
  identical: number;
  /** Terms the implementation could not decode or encode at all. */
  failed: number;
  of: number;
  firstDifference?: string;
}

/** encode(decode(bytes)) against Erlang's bytes, term by term: is the implementation lossless? */
function roundTripChecks(corpora: Corpus[], impls: JsImpl[]): RoundTrip[] {
  const out: RoundTrip[] = [];
  for (const impl of impls.filter((i) => i.name !== 'beamwire_v1')) {
    for (const corpus of corpora) {
      const frames = corpus[impl.input];
      const inputs: readonly Uint8Array[] = impl.wantsBuffer ? frames.buf : frames.u8;
      const r: RoundTrip = { impl: impl.name, corpus: corpus.name, identical: 0, failed: 0, of: inputs.length };
      for (let i = 0; i < inputs.length; i++) {
        const b = inputs[i]!;
        try {
          const again = impl.encode(impl.decode(b));
          if (Buffer.compare(Buffer.from(again.buffer, again.byteOffset, again.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0) r.identical++;
          else r.firstDifference ??= `term ${i}: ${b.length} bytes in, ${again.length} bytes out`;
        } catch (e) {
          r.failed++;
          r.firstDifference ??= errText(e);
        }
      }
      out.push(r);
    }
  }
  return out;
}

// ---------------------------------------------------------------- report

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmtMb = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const fmtX = (n: number): string => `${n >= 10 ? n.toFixed(1) : n.toFixed(2)}×`;
function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

const LABEL: Record<ImplName, string> = {
  beamwire: 'beamwire',
  beamwire_v1: 'beamwire (v1 bytes)',
  erlpack: 'erlpack',
  erlpack_v1: 'erlpack (v1 bytes)',
  erlang_js: 'erlang_js',
  erlang: 'Erlang/OTP',
};
const ORDER: ImplName[] = ['beamwire', 'beamwire_v1', 'erlpack', 'erlpack_v1', 'erlang_js', 'erlang'];

/** The beamwire cell that a competitor's cell is compared with: same corpus, operation and input bytes. */
function reference(cells: Cell[], c: Cell): Cell | undefined {
  const impl: ImplName = c.op === 'decode' && c.input === 'v1' ? 'beamwire_v1' : 'beamwire';
  return cells.find((x) => x.corpus === c.corpus && x.op === c.op && x.impl === impl && x.status === 'ok');
}

interface Ratio {
  corpus: CorpusName;
  op: Op;
  versus: 'erlpack' | 'erlang_js' | 'erlang';
  /** beamwire terms/s ÷ competitor terms/s. */
  ratio: number | null;
  basis: string;
}

function ratios(cells: Cell[]): Ratio[] {
  const out: Ratio[] = [];
  const ok = (impl: ImplName, corpus: CorpusName, op: Op): Cell | undefined =>
    cells.find((c) => c.impl === impl && c.corpus === corpus && c.op === op && c.status === 'ok');
  for (const corpus of CORPORA) {
    for (const op of ['decode', 'encode'] as const) {
      for (const versus of ['erlpack', 'erlang_js', 'erlang'] as const) {
        let mine = ok('beamwire', corpus, op);
        let theirs = ok(versus, corpus, op);
        let basis = op === 'decode' ? 'same minor_version 2 bytes' : 'each encodes the values it decoded';
        if (versus === 'erlpack' && op === 'decode' && theirs === undefined) {
          mine = ok('beamwire_v1', corpus, op);
          theirs = ok('erlpack_v1', corpus, op);
          basis = 'erlpack cannot read UTF-8 atoms: both decode the minor_version 1 (Latin-1 atom) bytes';
        } else if (versus === 'erlpack' && op === 'encode' && theirs?.input === 'v1') {
          basis = 'erlpack encodes what it decoded from the minor_version 1 bytes';
        }
        out.push({ corpus, op, versus, ratio: mine && theirs ? mine.termsPerSec! / theirs.termsPerSec! : null, basis });
      }
    }
  }
  return out;
}

interface Target {
  target: string;
  value: string;
  pass: boolean | null;
}

function targets(rs: Ratio[], zc: ZeroCopy[]): Target[] {
  const t: Target[] = [];
  const get = (corpus: CorpusName, op: Op, versus: Ratio['versus']): number | null =>
    rs.find((r) => r.corpus === corpus && r.op === op && r.versus === versus)?.ratio ?? null;
  for (const op of ['decode', 'encode'] as const) {
    for (const corpus of ['small', 'medium'] as const) {
      const r = get(corpus, op, 'erlpack');
      t.push({ target: `${op} ${corpus} ≥ 3× erlpack`, value: r === null ? 'n/a' : fmtX(r), pass: r === null ? null : r >= 3 });
    }
  }
  for (const corpus of CORPORA) {
    const r = get(corpus, 'decode', 'erlang');
    t.push({ target: `decode ${corpus} ≥ Erlang binary_to_term`, value: r === null ? 'n/a' : fmtX(r), pass: r === null ? null : r >= 1 });
  }
  const bw = zc.find((z) => z.impl === 'beamwire');
  t.push({ target: '64 KB binaries decoded without copying', value: bw ? bw.detail : 'n/a', pass: bw ? bw.zeroCopy : null });
  return t;
}

function markdown(cells: Cell[], rs: Ratio[], ts: Target[], zc: ZeroCopy[], rt: RoundTrip[]): string {
  const lines: string[] = [];
  lines.push('| corpus | op | implementation | terms/s | MB/s | beamwire ÷ this |');
  lines.push('|---|---|---|---:|---:|---:|');
  for (const corpus of CORPORA) {
    for (const op of ['decode', 'encode'] as const) {
      const row = cells
        .filter((c) => c.corpus === corpus && c.op === op)
        .sort((a, b) => ORDER.indexOf(a.impl) - ORDER.indexOf(b.impl));
      for (const c of row) {
        let label = LABEL[c.impl];
        if (c.op === 'encode' && c.impl === 'erlpack' && c.input === 'v1') label = 'erlpack (values from v1 bytes)';
        if (c.status !== 'ok') {
          lines.push(`| ${corpus} | ${op} | ${label} | ${c.status} | | |`);
          continue;
        }
        const ref = c.impl.startsWith('beamwire') ? undefined : reference(cells, c);
        const ratio = ref ? fmtX(ref.termsPerSec! / c.termsPerSec!) : '';
        lines.push(`| ${corpus} | ${op} | ${label} | ${fmtInt(c.termsPerSec!)} | ${fmtMb(c.mbPerSec!)} | ${ratio} |`);
      }
    }
  }
  lines.push('');
  lines.push('| corpus | op | beamwire/erlpack | beamwire/erlang_js | beamwire/Erlang |');
  lines.push('|---|---|---:|---:|---:|');
  for (const corpus of CORPORA) {
    for (const op of ['decode', 'encode'] as const) {
      const r = (v: Ratio['versus']): string => {
        const x = rs.find((q) => q.corpus === corpus && q.op === op && q.versus === v);
        return x?.ratio == null ? 'n/a' : fmtX(x.ratio) + (v === 'erlpack' && x.basis.includes('minor_version 1') ? ' ¹' : '');
      };
      lines.push(`| ${corpus} | ${op} | ${r('erlpack')} | ${r('erlang_js')} | ${r('erlang')} |`);
    }
  }
  lines.push('');
  lines.push('¹ erlpack cannot decode SMALL_ATOM_UTF8_EXT (minor_version 2 bytes), so this ratio compares both on the same minor_version 1 bytes (decode), or erlpack encoding the values it decoded from them (encode).');
  lines.push('');
  lines.push('| target | measured | |');
  lines.push('|---|---|---|');
  for (const t of ts) lines.push(`| ${t.target} | ${t.value} | ${t.pass === null ? '—' : t.pass ? 'met' : '**not met**'} |`);
  if (zc.length > 0) {
    lines.push('');
    lines.push('Zero-copy check (decode `{blob, 1, <<64 KB>>}`, look for the payload):');
    lines.push('');
    for (const z of zc) lines.push(`- ${LABEL[z.impl]}: ${z.zeroCopy === null ? 'n/a' : z.zeroCopy ? 'zero-copy' : 'copied'} — ${z.detail}`);
  }
  if (rt.length > 0) {
    lines.push('');
    lines.push('Round trip `encode(decode(bytes))` byte-identical to Erlang\'s `term_to_binary(T, [{minor_version, 2}])` (v1 bytes for erlpack_v1):');
    lines.push('');
    lines.push('| implementation | small | medium | blob |');
    lines.push('|---|---:|---:|---:|');
    for (const impl of ORDER) {
      const row = rt.filter((r) => r.impl === impl);
      if (row.length === 0) continue;
      const f = (c: CorpusName): string => {
        const r = row.find((x) => x.corpus === c);
        return r === undefined ? '' : r.failed === r.of ? 'unsupported' : `${r.identical}/${r.of}`;
      };
      lines.push(`| ${LABEL[impl]} | ${f('small')} | ${f('medium')} | ${f('blob')} |`);
    }
  }
  return lines.join('\n') + '\n';
}

function writeAtomically(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const opt = parseOptions(process.argv.slice(2));
  const started = performance.now();
  // Another busy process on a 2-core machine skews every cell: say so.
  const loadAtStart = loadavg()[0]!;
  if (loadAtStart > 0.7) log(`warning: 1-minute load average is ${loadAtStart.toFixed(2)} before the run; results will be noisy`);
  ensureCorpora();
  const corpora = CORPORA.map(loadCorpus);

  let bw: Beamwire | null = null;
  let bwError: string | null = null;
  try {
    bw = (opt.beamwire === null ? await import('../runtime/index.js') : await import(pathToFileURL(resolve(opt.beamwire)).href)) as Beamwire;
    if (typeof bw.decode !== 'function' || typeof bw.encode !== 'function') throw new Error('runtime/index.ts exports no decode/encode');
  } catch (e) {
    bw = null;
    bwError = `beamwire codec not loadable: ${errText(e)}`;
    log(bwError);
  }
  const impls = jsImpls(bw);

  // Erlang first, alone on the CPU, then the JS cells in this process.
  const erl = await runErlang(opt, corpora);
  const jsCells = runJsCells(opt, corpora, impls, bwError);
  const cells = [...erl.cells, ...jsCells];

  const full = opt.only === null;
  const zc = full ? zeroCopyChecks(corpora.find((c) => c.name === 'blob')!, impls) : [];
  const rt = full ? roundTripChecks(corpora, impls) : [];
  const rs = ratios(cells);
  const ts = targets(rs, zc);
  const md = markdown(cells, rs, ts, zc, rt);
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`\n${md}\nfinished in ${seconds.toFixed(1)} s\n`);

  const cpu = cpus()[0];
  const result = {
    generatedAt: new Date().toISOString(),
    beamwireModule: opt.beamwire ?? 'sources, through tsx',
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    seconds,
    method: {
      rounds: opt.rounds,
      roundMs: opt.roundMs,
      warmMs: opt.warmMs,
      statistic: 'median round; a round repeats whole passes over the corpus until roundMs have elapsed',
      mbPerSec: '1e6 bytes/s of ETF: bytes read (decode) or written by that implementation (encode)',
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
      otp: erl.otp,
      erts: erl.erts,
      erlpack: readVersion('erlpack'),
      erlang_js: readVersion('erlang_js'),
    },
    code: codeVersion(),
    corpora: Object.fromEntries(
      corpora.map((c) => [c.name, { terms: c.v2.u8.length, bytes: c.v2.bytes, bytesV1: c.v1.bytes, meanTermBytes: Math.round(c.v2.bytes / c.v2.u8.length) }]),
    ),
    cells,
    ratios: rs,
    targets: ts,
    zeroCopy: zc,
    roundTrip: rt,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = `${JSON.stringify(result, null, 2)}\n`;
  if (opt.partial) {
    writeAtomically(join(RESULTS_DIR, 'partial.json.tmp'), json);
    log(`partial run: results in ${relative(ROOT, join(RESULTS_DIR, 'partial.json.tmp'))}`);
  } else {
    writeAtomically(join(RESULTS_DIR, 'latest.json'), json);
    writeAtomically(join(RESULTS_DIR, 'latest.md'), md);
    log(`results in ${relative(ROOT, join(RESULTS_DIR, 'latest.json'))} and latest.md`);
  }
  if (typeof sink === 'symbol') log('');
}

/** The commit measured, and whether the codec's sources differ from it. */
function codeVersion(): { commit: string | null; codecDirty: boolean | null } {
  const git = (...args: string[]): string | null => {
    const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : null;
  };
  const dirty = git('status', '--porcelain', '--', 'runtime', 'generated');
  return { commit: git('rev-parse', 'HEAD'), codecDirty: dirty === null ? null : dirty !== '' };
}

function readVersion(pkg: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
}

(await import('./scale.js')).withScale((await import('./proxy.js')).withProxy((await import('./pg.js')).withPg((await import('./router.js')).withRouter((await import('./rpc.js')).withRpc((await import('./dist.js')).withDist(main))))))().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
