/**
 * Interop against a real Erlang node (test/support/erl.ts): Erlang judges
 * beamwire's bytes, and beamwire decodes Erlang's. Each describe block names
 * the Erlang function doing the judging.
 *
 * These tests always run. Without `erl`/`erlc` every test here fails with a
 * HarnessError naming the missing executable: interop must not pass by
 * skipping.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deflateSync } from 'node:zlib';
import { atom, decode, DecodeError, encode, equals, Float, Fun, ImproperList, Pid, Port, Reference, termKey, Tuple, type Term } from '../../runtime/index.js';
import { ErlangError, startErlang, type ErlangHarness, type GeneratedTerm } from '../support/erl.js';
import { arbEncodable, arbTerm } from '../support/arbitrary.js';
import { hasMultiKeyMap } from '../support/terms.js';

/** Seeds for Erlang's generator; a failure message names the seed and the term. */
const ERLANG_SEEDS = [20250101, 7];
const ERLANG_TERMS_PER_SEED = 500;
/** fast-check runs per property; INTEROP_RUNS raises it for a longer local campaign. */
const FC_RUNS = Number(process.env['INTEROP_RUNS'] ?? 300);
/** Per fast-check test: shrinking a failure makes many round trips. */
const FC_TIMEOUT_MS = 60_000 + FC_RUNS * 100;

let erl: ErlangHarness;
let startError: unknown;
/**
 * What this release does, asked of it once (OTP 27 and 29 differ from 25 here):
 * does binary_to_term/1 keep a fun's creator pid (27+ puts a placeholder
 * there), and does term_to_binary/1 write a port with a 32-bit id as
 * NEW_PORT_EXT (27+ always writes V4_PORT_EXT)?
 */
let keepsFunPid = true;
let writesNewPortExt = true;
beforeAll(async () => {
  try {
    erl = await startErlang();
    const fun = new Fun(0, new Uint8Array(16), 0, atom('m'), 0, 0, new Pid(atom('other@host'), 1, 2, 3), []);
    keepsFunPid = equals(decode(await erl.roundTrip(encode(fun))), fun);
    writesNewPortExt = (await erl.roundTrip(encode(new Port(atom('other@host'), 5n, 7))))[1] === 89;
  } catch (e) {
    startError = e;
  }
});
// Each test fails with the reason, rather than the whole file being skipped.
beforeEach(() => {
  if (startError !== undefined) throw startError;
});
afterAll(async () => {
  await erl?.stop();
});

interface GoldenCase {
  readonly name: string;
  readonly t2b: string;
  readonly t2b_utf8: string;
}
const golden = JSON.parse(readFileSync(new URL('../fixtures/etf-golden.json', import.meta.url), 'utf8')) as GoldenCase[];
const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
const hexOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

const generated = new Map<number, GeneratedTerm[]>();
/** Erlang's terms for `seed`, generated once per file. */
async function erlangTerms(seed: number): Promise<GeneratedTerm[]> {
  let terms = generated.get(seed);
  if (terms === undefined) {
    terms = await erl.generate(ERLANG_TERMS_PER_SEED, seed);
    generated.set(seed, terms);
  }
  return terms;
}


/**
 * True when `t` names the harness node itself (`nonode@nohost`, creation 0):
 * Erlang reads such pids and references as local ones and refuses those
 * that this VM never made (badarg). Not a codec matter, so fast-check terms
 * that do it are left out.
 */
function namesHarnessNode(t: Term): boolean {
  const local = (node: unknown, creation: number) => node === atom('nonode@nohost') && creation === 0;
  if (t instanceof Pid || t instanceof Port || t instanceof Reference) return local(t.node, t.creation);
  if (t instanceof Fun) return namesHarnessNode(t.pid) || t.freeVars.some(namesHarnessNode);
  if (t instanceof Map) return [...t].some(([k, v]) => namesHarnessNode(k) || namesHarnessNode(v));
  if (Array.isArray(t)) return t.some(namesHarnessNode);
  if (t instanceof Tuple) return t.elements.some(namesHarnessNode);
  if (t instanceof ImproperList) return t.elements.some(namesHarnessNode) || namesHarnessNode(t.tail);
  // A plain object (arbEncodable's JS-object maps) holds its values as a Map does.
  if (t !== null && typeof t === 'object' && Object.getPrototypeOf(t) === Object.prototype) return Object.values(t as Record<string, Term>).some(namesHarnessNode);
  return false;
}

const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;
const isI32 = (n: number | bigint) => n >= I32_MIN && n <= I32_MAX;

/**
 * True when `t` holds a closure whose OldIndex or OldUniq lies outside the
 * signed 32-bit range. Erlang keeps both as 32-bit words and writes them back
 * as signed INTEGER_EXT (2^31 returns as -2^31, 2^32 as 0), so no encoder can
 * get those back; every closure Erlang makes has them in range.
 * TODO: drop this once test/support/arbitrary.ts draws them as i32 (it draws u32).
 */
function hasOutOfRangeFunField(t: Term): boolean {
  if (t instanceof Fun) return !isI32(t.oldIndex) || !isI32(t.oldUniq) || t.freeVars.some(hasOutOfRangeFunField);
  if (t instanceof Map) return [...t].some(([k, v]) => hasOutOfRangeFunField(k) || hasOutOfRangeFunField(v));
  if (Array.isArray(t)) return t.some(hasOutOfRangeFunField);
  if (t instanceof Tuple) return t.elements.some(hasOutOfRangeFunField);
  if (t instanceof ImproperList) return t.elements.some(hasOutOfRangeFunField) || hasOutOfRangeFunField(t.tail);
  return false;
}

/**
 * True when a map in `t` has two keys that differ only in the sign of a zero
 * float (`0.0` and `-0.0`, or `{0.0}` and `{-0.0}`). Before OTP 27
 * `0.0 =:= -0.0`, so binary_to_term/1 rejects such a map as having a
 * duplicate key; from OTP 27 they are two keys, as in beamwire.
 */
function hasZeroTwinKeys(t: Term): boolean {
  if (t instanceof Map) {
    const keys = new Set([...t.keys()].map((k) => termKey(positiveZeros(k))));
    return keys.size < t.size || [...t].some(([k, v]) => hasZeroTwinKeys(k) || hasZeroTwinKeys(v));
  }
  if (Array.isArray(t)) return t.some(hasZeroTwinKeys);
  if (t instanceof Tuple) return t.elements.some(hasZeroTwinKeys);
  if (t instanceof ImproperList) return t.elements.some(hasZeroTwinKeys) || hasZeroTwinKeys(t.tail);
  if (t instanceof Fun) return t.freeVars.some(hasZeroTwinKeys);
  return false;
}

/** `t` with every -0.0 made 0.0: the key OTP < 27 files it under. */
function positiveZeros(t: Term): Term {
  if (t instanceof Float) return Object.is(t.value, -0) ? new Float(0) : t;
  if (t instanceof Map) return new Map([...t].map(([k, v]) => [positiveZeros(k), positiveZeros(v)]));
  if (Array.isArray(t)) return t.map(positiveZeros);
  if (t instanceof Tuple) return new Tuple(t.elements.map(positiveZeros));
  if (t instanceof ImproperList) return new ImproperList(t.elements.map(positiveZeros), positiveZeros(t.tail));
  return t;
}

/**
 * True when a map of more than 32 keys (a HAMT in the BEAM) has a key that is,
 * or holds, a remote reference of a single id word. OTP 25 hashes such a
 * reference inconsistently: each binary_to_term/1 of the same bytes files the
 * key under another hash, so the decoded maps are not =:= to each other and
 * maps:is_key/2 misses the key. Erlang alone shows it, with no beamwire bytes:
 *
 *   R = binary_to_term(<<131,90,1:16,119,10,"other@host",7:32,5:32>>),
 *   B = term_to_binary(maps:from_list([{R,x} | [{I,I} || I <- lists:seq(1,40)]])),
 *   binary_to_term(B) =:= binary_to_term(B).   % false, most runs
 */
function hasHamtKeyWithOneWordRef(t: Term): boolean {
  if (t instanceof Map) {
    if (t.size > 32 && [...t.keys()].some(holdsOneWordRef)) return true;
    return [...t].some(([k, v]) => hasHamtKeyWithOneWordRef(k) || hasHamtKeyWithOneWordRef(v));
  }
  if (Array.isArray(t)) return t.some(hasHamtKeyWithOneWordRef);
  if (t instanceof Tuple) return t.elements.some(hasHamtKeyWithOneWordRef);
  if (t instanceof ImproperList) return t.elements.some(hasHamtKeyWithOneWordRef) || hasHamtKeyWithOneWordRef(t.tail);
  if (t instanceof Fun) return t.freeVars.some(hasHamtKeyWithOneWordRef);
  return false;
}

function holdsOneWordRef(t: Term): boolean {
  if (t instanceof Reference) return t.ids.length === 1;
  if (t instanceof Map) return [...t].some(([k, v]) => holdsOneWordRef(k) || holdsOneWordRef(v));
  if (Array.isArray(t)) return t.some(holdsOneWordRef);
  if (t instanceof Tuple) return t.elements.some(holdsOneWordRef);
  if (t instanceof ImproperList) return t.elements.some(holdsOneWordRef) || holdsOneWordRef(t.tail);
  if (t instanceof Fun) return t.freeVars.some(holdsOneWordRef);
  return false;
}

/** True when `t` is, or holds, a term `is` picks out. */
function holds(t: Term, is: (x: Term) => boolean): boolean {
  if (is(t)) return true;
  if (t instanceof Fun) return t.freeVars.some((x) => holds(x, is));
  if (t instanceof Map) return [...t].some(([k, v]) => holds(k, is) || holds(v, is));
  if (Array.isArray(t)) return t.some((x) => holds(x, is));
  if (t instanceof Tuple) return t.elements.some((x) => holds(x, is));
  if (t instanceof ImproperList) return t.elements.some((x) => holds(x, is)) || holds(t.tail, is);
  return false;
}

const PLACEHOLDER = new Pid(atom('nonode@nohost'), 0, 0, 0);
/** `t` with every fun's creator pid made one placeholder: what a release that drops it is compared on. */
function funPidsDropped(t: Term): Term {
  if (t instanceof Fun) return new Fun(t.arity, t.uniq, t.index, t.module, t.oldIndex, t.oldUniq, PLACEHOLDER, t.freeVars.map(funPidsDropped));
  if (t instanceof Map) return new Map([...t].map(([k, v]) => [funPidsDropped(k), funPidsDropped(v)]));
  if (Array.isArray(t)) return t.map(funPidsDropped);
  if (t instanceof Tuple) return new Tuple(t.elements.map(funPidsDropped));
  if (t instanceof ImproperList) return new ImproperList(t.elements.map(funPidsDropped), funPidsDropped(t.tail));
  return t;
}

/** `back` (from Erlang) equals `t`, on what this release keeps of a fun. */
const equalOnRelease = (back: Term, t: Term): boolean => (keepsFunPid ? equals(back, t) : equals(funPidsDropped(back), funPidsDropped(t)));

/** Erlang writes `t` with the bytes beamwire does, on this release (ports: NEW_PORT_EXT or V4_PORT_EXT; funs: the creator pid). */
const sameBytesOnRelease = (t: Term): boolean =>
  !hasMultiKeyMap(t) && (writesNewPortExt || !holds(t, (x) => x instanceof Port)) && (keepsFunPid || !holds(t, (x) => x instanceof Fun));

/** True when Erlang takes `t` as it is (see the filters above). */
const erlangTakesAsIs = (t: Term): boolean =>
  !namesHarnessNode(t) &&
  !(Number(erl.otpRelease) < 27 && hasZeroTwinKeys(t)) &&
  !hasHamtKeyWithOneWordRef(t); // seen on OTP 25; kept on later releases until shown fixed

const arbForeignTerm = arbTerm.filter(erlangTakesAsIs);
const arbExactTerm = arbForeignTerm.filter((t) => !hasOutOfRangeFunField(t));

/** Runs `check` on each item; returns the failures (message per item), so one run reports them all. */
async function failuresOf<T>(items: readonly T[], label: (item: T) => string, check: (item: T) => Promise<string | undefined>): Promise<string[]> {
  const failures: string[] = [];
  for (const item of items) {
    let problem: string | undefined;
    try {
      problem = await check(item);
    } catch (e) {
      problem = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
    if (problem !== undefined) failures.push(`${label(item)}\n    ${problem}`);
  }
  return failures;
}

function expectNoFailures(failures: string[], of: number): void {
  expect(failures.length === 0 ? [] : failures.slice(0, 8), `${failures.length} of ${of} failed`).toEqual([]);
}

describe('binary_to_term/1 of beamwire output', () => {
  it.each(ERLANG_SEEDS)('takes Erlang-generated terms, decoded and re-encoded by beamwire, as =:= to the originals (seed %i)', async (seed) => {
    const terms = await erlangTerms(seed);
    const failures = await failuresOf(terms, (g) => `seed ${seed}: ${g.text}`, async (g) => {
      const term = decode(g.t2b);
      if (!equals(decode(g.t2bUtf8), term)) return 'decode(t2b) and decode(t2b with UTF-8 atoms) differ';
      const ours = encode(term);
      const { equal, sameBytes } = await erl.compare(ours, g.t2b);
      if (!equal) return `binary_to_term(Ours) =/= Original; ours = ${hexOf(ours).slice(0, 400)}`;
      // =:= treats 0.0 and -0.0 as equal on OTP 25; the re-encoded bytes do not.
      if (!sameBytes) return `=:= but term_to_binary differs (a -0.0 lost its sign?); ours = ${hexOf(ours).slice(0, 400)}`;
      return undefined;
    });
    expectNoFailures(failures, terms.length);
  });

  it('takes the golden vectors, decoded and re-encoded by beamwire, as =:= to the originals', async () => {
    const failures = await failuresOf(golden, (c) => c.name, async (c) => {
      const ours = encode(decode(bytes(c.t2b)));
      const { equal, sameBytes } = await erl.compare(ours, bytes(c.t2b));
      return equal && sameBytes ? undefined : `equal ${equal}, same bytes ${sameBytes}`;
    });
    expectNoFailures(failures, golden.length);
  });

  it('accepts encode(T, {compressed: true}) as the same term, for Erlang-generated terms and the golden vectors', async () => {
    const originals = [...(await erlangTerms(ERLANG_SEEDS[0]!)).map((g) => g.t2b), ...golden.map((c) => bytes(c.t2b))];
    let compressedSeen = 0;
    const failures = await failuresOf(originals, (b) => hexOf(b).slice(0, 120), async (original) => {
      const compressed = encode(decode(original), { compressed: true });
      if (compressed[1] === 80) compressedSeen++;
      return (await erl.checkEqual(compressed, original)) ? undefined : 'binary_to_term(Compressed) =/= Original';
    });
    expectNoFailures(failures, originals.length);
    expect(compressedSeen, 'encode with {compressed: true} never emitted tag 80').toBeGreaterThan(0);
  });

  it('accepts encode(T, {compressed: true}) for fast-check terms', async () => {
    await fc.assert(
      fc.asyncProperty(arbForeignTerm, async (t) => {
        const plain = encode(t);
        expect(await erl.checkEqual(encode(t, { compressed: true }), plain)).toBe(true);
      }),
      { numRuns: Math.ceil(FC_RUNS / 3) },
    );
  }, FC_TIMEOUT_MS);
});

describe('term_to_binary/1 of binary_to_term/1 of beamwire output', () => {
  it('gives back a term equal to the fast-check original', async () => {
    await fc.assert(
      fc.asyncProperty(arbForeignTerm, async (t) => {
        const back = decode(await erl.roundTrip(encode(t)));
        expect(equalOnRelease(back, t), `came back as ${String(hexOf(encode(back)).slice(0, 400))}`).toBe(true);
      }),
      { numRuns: FC_RUNS },
    );
  }, FC_TIMEOUT_MS);

  it('gives back JS strings as UTF-8 binaries and plain objects as maps with atom keys', async () => {
    await fc.assert(
      fc.asyncProperty(arbEncodable.filter(erlangTakesAsIs), async (t) => {
        const back = decode(await erl.roundTrip(encode(t)));
        expect(equalOnRelease(back, t)).toBe(true);
      }),
      { numRuns: Math.ceil(FC_RUNS / 3) },
    );
  }, FC_TIMEOUT_MS);

  it('gives back a term equal to the fast-check original with [{minor_version, 2}] and [compressed]', async () => {
    await fc.assert(
      fc.asyncProperty(arbForeignTerm, fc.boolean(), fc.boolean(), async (t, utf8Atoms, compressed) => {
        const back = decode(await erl.roundTrip(encode(t), { utf8Atoms, compressed }));
        expect(equalOnRelease(back, t)).toBe(true);
      }),
      { numRuns: Math.ceil(FC_RUNS / 3) },
    );
  }, FC_TIMEOUT_MS);
});

describe('term_to_binary/2 with [{minor_version, 2}] is what beamwire writes', () => {
  it.each(ERLANG_SEEDS)('for Erlang-generated terms without multi-key maps (nor ports on OTP 27+), byte for byte (seed %i)', async (seed) => {
    const terms = (await erlangTerms(seed)).filter((g) => sameBytesOnRelease(decode(g.t2bUtf8)));
    expect(terms.length).toBeGreaterThan(ERLANG_TERMS_PER_SEED / 2);
    const failures = await failuresOf(terms, (g) => `seed ${seed}: ${g.text}`, async (g) => {
      const ours = encode(decode(g.t2b));
      return Buffer.compare(ours, g.t2bUtf8) === 0 ? undefined : firstDifference(ours, g.t2bUtf8);
    });
    expectNoFailures(failures, terms.length);
  });

  it('for fast-check terms without multi-key maps (nor ports and funs on OTP 27+), byte for byte', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbExactTerm.filter(sameBytesOnRelease),
        async (t) => {
          const ours = encode(t);
          const erlangs = await erl.roundTrip(ours, { utf8Atoms: true });
          expect(Buffer.compare(ours, erlangs) === 0, firstDifference(ours, erlangs)).toBe(true);
        },
      ),
      { numRuns: FC_RUNS },
    );
  }, FC_TIMEOUT_MS);
});

/** `[name, bytes after the version byte]`. */
type Bytes = readonly [string, readonly number[]];
const smallAtom = (s: string) => [119, s.length, ...Buffer.from(s, 'latin1')];
const OTHER = smallAtom('other@host');
const floatText = (s: string) => [99, ...Buffer.from(s.padEnd(31, '\0'), 'latin1')];
const LIST_1_2 = [108, 0, 0, 0, 2, 97, 1, 97, 2, 106];

/** Valid but not what term_to_binary writes: decoders must still read them as Erlang does. */
const NON_CANONICAL: readonly Bytes[] = [
  ['SMALL_BIG_EXT holding 5', [110, 1, 0, 5]],
  ['SMALL_BIG_EXT with leading zero digits', [110, 3, 0, 5, 0, 0]],
  ['SMALL_BIG_EXT of no digits', [110, 0, 0]],
  ['SMALL_BIG_EXT negative zero', [110, 1, 1, 0]],
  ['LARGE_BIG_EXT holding 7', [111, 0, 0, 0, 1, 0, 7]],
  ['LARGE_BIG_EXT 2^64 with trailing zero digits', [111, 0, 0, 0, 10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]],
  ['INTEGER_EXT holding 5', [98, 0, 0, 0, 5]],
  ['LIST_EXT of small integers', LIST_1_2],
  ['STRING_EXT of length 0', [107, 0, 0]],
  ['LIST_EXT of length 0', [108, 0, 0, 0, 0, 106]],
  ['LIST_EXT of length 0 with a non-nil tail', [108, 0, 0, 0, 0, 97, 1]],
  ['LIST_EXT whose tail is a list', [108, 0, 0, 0, 1, 97, 1, 108, 0, 0, 0, 1, 97, 2, 106]],
  ['LIST_EXT whose tail is a STRING_EXT', [108, 0, 0, 0, 1, 97, 1, 107, 0, 1, 65]],
  ['LIST_EXT whose tail is an improper list', [108, 0, 0, 0, 1, 97, 1, 108, 0, 0, 0, 1, 97, 2, 97, 3]],
  ['BIT_BINARY_EXT of 8 bits', [77, 0, 0, 0, 1, 8, 255]],
  ['BIT_BINARY_EXT with set unused bits', [77, 0, 0, 0, 1, 4, 255]],
  ['BIT_BINARY_EXT empty', [77, 0, 0, 0, 0, 0]], // OTP 27+ refuses it (see REFUSED_FROM_27)
  ['LARGE_TUPLE_EXT of 2', [105, 0, 0, 0, 2, 97, 1, 97, 2]],
  ['ATOM_EXT Latin-1', [100, 0, 5, 104, 233, 108, 108, 111]],
  ['SMALL_ATOM_EXT', [115, 2, 111, 107]],
  ['ATOM_UTF8_EXT of a short atom', [118, 0, 2, 111, 107]],
  ['ATOM_EXT true', [100, 0, 4, 116, 114, 117, 101]],
  ['SMALL_ATOM_EXT false', [115, 5, 102, 97, 108, 115, 101]],
  ['MAP_EXT keys out of order', [116, 0, 0, 0, 2, 119, 1, 98, 97, 1, 119, 1, 97, 97, 2]],
  ['MAP_EXT keys 1 and 1.0', [116, 0, 0, 0, 2, 97, 1, 97, 1, 70, 63, 240, 0, 0, 0, 0, 0, 0, 97, 2]],
  ['PID_EXT', [103, ...OTHER, 0, 0, 0, 1, 0, 0, 0, 2, 3]],
  ['PORT_EXT', [102, ...OTHER, 0, 0, 0, 1, 3]],
  ['REFERENCE_EXT', [101, ...OTHER, 0, 0, 0, 1, 3]],
  ['NEW_REFERENCE_EXT', [114, 0, 3, ...OTHER, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]],
  ['NEWER_REFERENCE_EXT of 5 words', [90, 0, 5, ...OTHER, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5]],
  ['V4_PORT_EXT with a small id', [120, ...OTHER, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 9]],
  ['NEW_PID_EXT with an ATOM_EXT node', [88, 100, 0, 10, ...Buffer.from('other@host'), 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]],
  ['EXPORT_EXT arity as INTEGER_EXT', [113, ...smallAtom('erlang'), ...smallAtom('node'), 98, 0, 0, 0, 0]],
  ['FLOAT_EXT 1.5', floatText('1.50000000000000000000e+00')],
  ['FLOAT_EXT -0.0', floatText('-0.00000000000000000000e+00')],
  ['FLOAT_EXT short text', floatText('2.5')],
  ['compressed at zlib level 0', [80, 0, 0, 0, LIST_1_2.length, ...deflateSync(Uint8Array.from(LIST_1_2), { level: 0 })]],
];

/** Valid to OTP 25 (and read by decode, which never writes them), refused by binary_to_term/1 from OTP 27 on. */
const REFUSED_FROM_27 = new Set(['BIT_BINARY_EXT empty']);

/** Malformed: binary_to_term/1 raises badarg, and decode must throw DecodeError. */
const MALFORMED: readonly Bytes[] = [
  ['BIT_BINARY_EXT of 0 bits in 1 byte', [77, 0, 0, 0, 1, 0, 255]],
  ['BIT_BINARY_EXT of 9 bits', [77, 0, 0, 0, 1, 9, 255]],
  ['BIT_BINARY_EXT of 3 bits in 0 bytes', [77, 0, 0, 0, 0, 3]],
  ['MAP_EXT with a duplicate key', [116, 0, 0, 0, 2, 119, 1, 97, 97, 1, 119, 1, 97, 97, 2]],
  ['MAP_EXT with one atom as ATOM_EXT and SMALL_ATOM_UTF8_EXT', [116, 0, 0, 0, 2, 100, 0, 1, 233, 97, 1, 119, 2, 195, 169, 97, 2]],
  ['MAP_EXT with 5 as SMALL_INTEGER_EXT and SMALL_BIG_EXT', [116, 0, 0, 0, 2, 97, 5, 97, 1, 110, 1, 0, 5, 97, 2]],
  ['NEWER_REFERENCE_EXT of 6 words', [90, 0, 6, ...OTHER, 0, 0, 0, 9, ...new Array<number>(24).fill(1)]],
  ['FLOAT_EXT garbage', floatText('abc')],
  ['FLOAT_EXT overflowing to infinity', floatText('1e400')],
  ['NEW_FLOAT_EXT NaN', [70, 127, 248, 0, 0, 0, 0, 0, 0]],
  ['NEW_FLOAT_EXT infinity', [70, 127, 240, 0, 0, 0, 0, 0, 0]],
  ['FUN_EXT (removed in OTP 23)', [117, 0, 0, 0, 0]],
  ['atom of 256 characters', [118, 1, 0, ...Buffer.from('x'.repeat(256))]],
  ['atom with invalid UTF-8', [119, 1, 0xff]],
  ['atom with overlong UTF-8', [119, 2, 0xc0, 0x80]],
  ['atom with a UTF-8 surrogate', [119, 3, 0xed, 0xa0, 0x80]],
  ['truncated SMALL_INTEGER_EXT', [97]],
  ['NEW_PID_EXT whose node is not an atom', [88, 97, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]],
  ['compressed with a wrong inflated size', [80, 0, 0, 0, LIST_1_2.length + 1, ...deflateSync(Uint8Array.from(LIST_1_2))]],
];

describe('binary_to_term/1 and decode on hand-written bytes', () => {
  it('read every valid non-canonical encoding as the same term', async () => {
    const failures = await failuresOf(NON_CANONICAL, ([name]) => name, async ([name, body]) => {
      const input = Uint8Array.from([131, ...body]);
      const ours = decode(input);
      if (REFUSED_FROM_27.has(name) && Number(erl.otpRelease) >= 27) {
        const refused = await erl.roundTrip(input).then(() => false, (e: unknown) => (e instanceof ErlangError ? true : Promise.reject(e)));
        return refused ? undefined : `OTP ${erl.otpRelease} was expected to refuse it`;
      }
      const erlangs = decode(await erl.roundTrip(input, { utf8Atoms: true }));
      return equals(ours, erlangs) ? undefined : `decode gives ${hexOf(encode(ours))}, Erlang ${hexOf(encode(erlangs))}`;
    });
    expectNoFailures(failures, NON_CANONICAL.length);
  });

  it('both refuse malformed bytes', async () => {
    const failures = await failuresOf(MALFORMED, ([name]) => name, async ([, body]) => {
      const input = Uint8Array.from([131, ...body]);
      const erlang = await erl.roundTrip(input).then(
        () => 'accepted',
        (e: unknown) => (e instanceof ErlangError ? 'badarg' : Promise.reject(e)),
      );
      let ours = 'accepted';
      try {
        decode(input);
      } catch (e) {
        ours = e instanceof DecodeError ? 'DecodeError' : `${String(e)} (not a DecodeError)`;
      }
      return erlang === 'badarg' && ours === 'DecodeError' ? undefined : `binary_to_term: ${erlang}, decode: ${ours}`;
    });
    expectNoFailures(failures, MALFORMED.length);
  });

  // Where beamwire is deliberately stricter, or follows OTP 27, pinned so a change is a decision.
  it('differ only where beamwire is meant to: trailing bytes, a bignum sign byte above 1, 0.0 and -0.0 as two keys', async () => {
    const trailing = Uint8Array.from([131, 97, 1, 97]);
    expect(decode(await erl.roundTrip(trailing))).toBe(1); // binary_to_term/1 ignores what follows the term
    expect(() => decode(trailing)).toThrow(DecodeError);

    const sign2 = Uint8Array.from([131, 110, 1, 2, 5]);
    await erl.roundTrip(sign2); // any non-zero sign byte is negative to OTP
    expect(() => decode(sign2)).toThrow(DecodeError);

    const zeroKeys = Uint8Array.from([131, 116, 0, 0, 0, 2, 70, 0, 0, 0, 0, 0, 0, 0, 0, 97, 1, 70, 128, 0, 0, 0, 0, 0, 0, 0, 97, 2]);
    expect((decode(zeroKeys) as Map<Term, Term>).size).toBe(2);
    if (Number(erl.otpRelease) < 27) await expect(erl.roundTrip(zeroKeys)).rejects.toThrow(ErlangError);
  });
});

function firstDifference(ours: Uint8Array, theirs: Uint8Array): string {
  let at = 0;
  while (at < ours.length && at < theirs.length && ours[at] === theirs[at]) at++;
  const window = (b: Uint8Array) => hexOf(b.subarray(Math.max(0, at - 8), at + 16));
  return `differs at byte ${at} (ours ${ours.length} bytes, Erlang's ${theirs.length}): ours …${window(ours)} Erlang …${window(theirs)}`;
}
