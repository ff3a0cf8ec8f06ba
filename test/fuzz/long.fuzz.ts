/**
 * The long malformed-input campaign (`npm run fuzz`, vitest project `fuzz`).
 *
 *   FUZZ_RUNS     cases for the mutation campaign (default 100000); the
 *                 round-trip campaign runs a tenth of that
 *   FUZZ_SECONDS  wall-clock budget for both (default 120): 80% / 20%
 *   FUZZ_SEED     fast-check seed (default random; always printed)
 *
 * Seeds are encodings of `arbTerm` values (plain and compressed), the golden
 * fixtures in test/fixtures/etf-golden.json when present, random bytes,
 * "tag soup" and hand-built bombs (mutate.ts). Each case applies one to four mutations (mutate.ts) and checks
 * the contract in harness.ts. The report (cases, accepted, rejected by code,
 * seed, seconds) is printed after the run.
 */
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { equals } from '../../runtime/term/compare.js';
import { encode } from '../../runtime/index.js';
import { arbTerm, termArbitrary } from '../support/arbitrary.js';
import { FuzzFailure, loadGoldenSeeds, probe, show, Tally, type DecodeOptions, type Outcome } from './harness.js';
import { arbBomb, arbMutations, bytesOf, describeMutations, mutate, mutateBody, TERM_TAGS, toHex } from './mutate.js';

const envNumber = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`${name}=${raw} is not a number`);
  return n;
};

const RUNS = envNumber('FUZZ_RUNS', 100_000);
const SECONDS = envNumber('FUZZ_SECONDS', 120);
const SEED = envNumber('FUZZ_SEED', (Math.random() * 0x7fffffff) | 0);

const golden = loadGoldenSeeds();
const report: string[] = [
  `fuzz: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} FUZZ_SECONDS=${SECONDS}; ${golden.length} golden seeds${golden.length ? '' : ' (test/fixtures/etf-golden.json not found)'}`,
];
console.log(report[0]);

/** Where a case's bytes came from, for the report. */
type Source = 'term' | 'compressed term' | 'golden' | 'random bytes' | 'tag soup' | 'bomb';

const arbSource: fc.Arbitrary<{ source: Source; bytes: Uint8Array }> = fc.oneof(
  { weight: 6, arbitrary: arbTerm.map((t) => ({ source: 'term' as const, bytes: encode(t) })) },
  { weight: 1, arbitrary: arbTerm.map((t) => ({ source: 'compressed term' as const, bytes: encode(t, { compressed: true }) })) },
  ...(golden.length > 0
    ? [{ weight: 5, arbitrary: fc.constantFrom(...golden).map((s) => ({ source: 'golden' as const, bytes: s.bytes })) }]
    : []),
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => ({ source: 'random bytes' as const, bytes: bytesOf(131, b) })) },
  { weight: 1, arbitrary: arbBomb.map((bytes) => ({ source: 'bomb' as const, bytes })) },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.oneof(fc.constantFrom(...TERM_TAGS), fc.constantFrom(0, 1, 2, 0xff), fc.nat({ max: 255 })), { maxLength: 64 })
      .map((b) => ({ source: 'tag soup' as const, bytes: bytesOf(131, b) })),
  },
);

/** Mostly default limits; sometimes tight ones, so the limit checks meet hostile input too. */
const arbLimits: fc.Arbitrary<DecodeOptions | undefined> = fc.oneof(
  { weight: 9, arbitrary: fc.constant(undefined) },
  {
    weight: 1,
    arbitrary: fc.record(
      { maxDepth: fc.integer({ min: 0, max: 8 }), maxSize: fc.integer({ min: 0, max: 4096 }), maxInflatedSize: fc.integer({ min: 0, max: 4096 }) },
      { requiredKeys: [] },
    ),
  },
);

const tally = new Tally();
const bySource = new Map<Source, Tally>();
/** Set at the first failure: the shrinking runs that follow are not counted. */
let shrinking = false;

function formatRun<Ts>(name: string, details: fc.RunDetails<Ts>, seconds: number): string {
  const stop = details.failed ? 'FAILED' : details.interrupted ? 'stopped by the time budget' : 'all runs done';
  return `${name}: ${details.numRuns} cases in ${seconds.toFixed(1)}s (${stop}), seed ${details.seed}`;
}

function run<Ts extends [unknown, ...unknown[]]>(name: string, prop: fc.IProperty<Ts>, numRuns: number, seconds: number): void {
  const t0 = performance.now();
  const details = fc.check(prop, {
    numRuns,
    seed: SEED,
    interruptAfterTimeLimit: seconds * 1000,
    markInterruptAsFailure: false,
  });
  const line = formatRun(name, details, (performance.now() - t0) / 1000);
  report.push(line);
  if (details.failed) {
    const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    report.push(`  FAILED: replay with FUZZ_SEED=${SEED}`, `  ${cause.split('\n').slice(0, 3).join('\n  ')}`);
    throw new Error(`${line}\n${fc.defaultReportMessage(details) ?? ''}\n\nCaused by: ${cause}`);
  }
}

describe('long fuzz campaign', () => {
  const started = performance.now();

  afterAll(() => {
    report.push(`mutation campaign, all sources: ${tally.format()}`);
    for (const [source, t] of [...bySource].sort((x, y) => y[1].total - x[1].total)) report.push(`  ${source}: ${t.format()}`);
    report.push(`elapsed ${((performance.now() - started) / 1000).toFixed(1)}s; replay with FUZZ_SEED=${SEED}`);
    // vitest prints console output of passing tests too (the scripts do not pass --silent).
    console.log(`\n${report.join('\n')}\n`);
  });

  it('mutated inputs: a term or a DecodeError, never anything else', () => {
    run(
      'mutation campaign',
      fc.property(arbSource, arbMutations, fc.boolean(), fc.nat({ max: 9 }).map((n) => n > 0), arbLimits, ({ source, bytes }, ms, mutateIt, keepVersion, limits) => {
        // Random bytes, tag soup and bombs are hostile already; mutate them only half the time.
        // Most of the time the version byte is kept, so the mutations reach the term.
        const input =
          (source === 'random bytes' || source === 'tag soup' || source === 'bomb') && !mutateIt
            ? bytes
            : keepVersion
              ? mutateBody(bytes, ms)
              : mutate(bytes, ms);
        let outcome: Outcome;
        try {
          outcome = probe(input, limits ? { decode: limits } : {});
        } catch (e) {
          shrinking = true;
          if (e instanceof FuzzFailure)
            throw new Error(`${e.message}\n  source: ${source}: ${toHex(bytes.subarray(0, 256))}\n  mutations: ${describeMutations(ms)}\n  limits: ${JSON.stringify(limits)}`);
          throw e;
        }
        if (shrinking) return;
        tally.add(outcome);
        let t = bySource.get(source);
        if (!t) bySource.set(source, (t = new Tally()));
        t.add(outcome);
      }),
      RUNS,
      SECONDS * 0.8,
    );
  });

  it('round trip: decode(encode(t)) equals t, plain and compressed', () => {
    const deep = termArbitrary({ maxDepth: 8 });
    run(
      'round-trip campaign',
      fc.property(deep, fc.oneof(fc.constant(false), fc.constant(true), fc.integer({ min: 0, max: 9 })), (t, compressed) => {
        const bytes = encode(t, { compressed });
        const o = probe(bytes, { compressed: true });
        if (!o.ok) throw new Error(`encode output rejected: ${o.code} at ${o.offset}: ${o.error.message}\n  bytes: ${toHex(bytes.subarray(0, 256))}`);
        if (!equals(o.term, t)) throw new Error(`round trip changed the term\n  in:  ${show(t)}\n  out: ${show(o.term)}\n  bytes: ${toHex(bytes.subarray(0, 256))}`);
      }),
      Math.max(1, Math.round(RUNS / 10)),
      SECONDS * 0.2,
    );
  });
});
