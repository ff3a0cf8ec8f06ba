/**
 * Malformed and hostile ETF: one named case per hostile pattern with the
 * error code it must produce, inputs Erlang accepts oddly (decoded to what
 * OTP 25 `binary_to_term/1` gives), and a short mutation campaign (a few
 * thousand inputs) over the contract in harness.ts. The long campaign is
 * long.fuzz.ts (`npm run fuzz`).
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { Atom, atom, MAX_ATOM_CHARS } from '../../runtime/term/atom.js';
import { equals } from '../../runtime/term/compare.js';
import { BitBinary, Float, ImproperList, Pid, Tuple, type Term } from '../../runtime/term/values.js';
import type { DecodeErrorCode } from '../../runtime/wire/errors.js';
import { DEFAULT_LIMITS, encode } from '../../runtime/index.js';
import { arbTerm } from '../support/arbitrary.js';
import { CANARY_BYTES, decodeChecked, loadGoldenSeeds, probe, show, type DecodeOptions } from './harness.js';
import {
  arbMutations,
  bytesOf,
  chainedLists,
  chainedTails,
  compressed,
  countBomb,
  describeMutations,
  mutate,
  nestedLists,
  nestedMapKeys,
  nestedKeysAroundTuple,
  nestedMapValues,
  nestedTuples,
  TERM_TAGS,
  toHex,
  u16be,
  u32be,
  zlibBomb,
} from './mutate.js';

const f64 = (hi: number, lo = 0): number[] => [...u32be(hi), ...u32be(lo)];
const floatExt = (text: string): number[] => [99, ...Buffer.from(text.padEnd(31, '\0'), 'latin1')];
const a = (s: string): number[] => [119, Buffer.byteLength(s), ...Buffer.from(s)]; // SMALL_ATOM_UTF8_EXT
const repeat = (s: string, n: number): Buffer => Buffer.from(s.repeat(n));

/** Expects `decode` to throw a DecodeError with one of `codes`; returns it. */
function expectReject(bytes: Uint8Array, codes: DecodeErrorCode | readonly DecodeErrorCode[], opts?: DecodeOptions) {
  const o = probe(bytes, opts ? { decode: opts } : {});
  const want = typeof codes === 'string' ? [codes] : codes;
  if (o.ok) expect.fail(`accepted ${show(o.term)}; expected ${want.join(' or ')} for ${toHex(bytes.subarray(0, 64))}`);
  expect(want, `${o.error.message} for ${toHex(bytes.subarray(0, 64))}`).toContain(o.code);
  return o;
}

function expectAccept(bytes: Uint8Array, expected: Term) {
  const o = probe(bytes);
  if (!o.ok) expect.fail(`rejected ${toHex(bytes)} with ${o.code}: ${o.error.message}`);
  expect(equals(o.term, expected), `decoded ${show(o.term)}, expected ${show(expected)}`).toBe(true);
}

type Case = [name: string, bytes: Uint8Array, codes: DecodeErrorCode | readonly DecodeErrorCode[], opts?: DecodeOptions];

const golden = loadGoldenSeeds();
const smallGolden = golden.filter((s) => s.bytes.length <= 2048);
const closure = golden.find((s) => s.name.startsWith('fun/closure without free variables') && s.name.endsWith('[t2b]'));

describe('named hostile inputs', () => {
  const cases: Case[] = [
    // envelope
    ['empty input', bytesOf(), 'TRUNCATED'],
    ['version byte only', bytesOf(131), 'TRUNCATED'],
    ['version byte 130', bytesOf(130, 97, 1), 'BAD_VERSION'],
    ['version byte 0', bytesOf(0), 'BAD_VERSION'],
    ['no version byte (a bare tag)', bytesOf(97, 1), 'BAD_VERSION'],
    ['trailing byte after a term', bytesOf(131, 97, 1, 0), 'TRAILING_BYTES'],
    ['two terms', bytesOf(131, 106, 106), 'TRAILING_BYTES'],
    ['trailing bytes inside the inflated data', compressed(bytesOf(97, 1, 0)), 'TRAILING_BYTES'],
    // tags
    ['tag 0', bytesOf(131, 0), 'BAD_TAG'],
    ['tag 255', bytesOf(131, 255, 1, 2, 3), 'BAD_TAG'],
    ['FUN_EXT (117), removed in OTP 23', bytesOf(131, 117, u32be(0), a('m'), 97, 0, 97, 0), 'BAD_TAG'],
    ['FUN_EXT nested in a tuple', bytesOf(131, 104, 1, 117, u32be(0)), 'BAD_TAG'],
    ['distribution header (68) as a term', bytesOf(131, 68, 0), 'BAD_TAG'],
    ['distribution header (68) inside a tuple', bytesOf(131, 104, 1, 68, 0), 'BAD_TAG'],
    ['fragment header (69) as a term', bytesOf(131, 69, u32be(0), u32be(0), u32be(1), 0), 'BAD_TAG'],
    ['compressed (80) inside a tuple', bytesOf(131, 104, 1, 80, u32be(2), 97, 1), 'BAD_TAG'],
    ['compressed inside compressed', compressed(bytesOf(80, u32be(2), 97, 1)), 'BAD_TAG'],
    ['version byte inside compressed data', compressed(bytesOf(131, 97, 1)), 'BAD_TAG'],
    ['ATOM_CACHE_REF (82) outside a distribution header', bytesOf(131, 82, 0), 'ATOM_CACHE_REF'],
    ['ATOM_CACHE_REF inside a tuple', bytesOf(131, 104, 2, 97, 1, 82, 3), 'ATOM_CACHE_REF'],
    ['ATOM_CACHE_REF as a pid node', bytesOf(131, 88, 82, 0, u32be(1), u32be(0), u32be(1)), ['ATOM_CACHE_REF', 'BAD_NODE']],
    // atoms
    ['atom: invalid UTF-8 (C3 28)', bytesOf(131, 119, 2, 0xc3, 0x28), 'BAD_UTF8'],
    ['atom: lone 0xFF', bytesOf(131, 119, 1, 0xff), 'BAD_UTF8'],
    ['atom: overlong NUL (C0 80)', bytesOf(131, 119, 2, 0xc0, 0x80), 'BAD_UTF8'],
    ['atom: UTF-8-encoded surrogate (ED A0 80)', bytesOf(131, 119, 3, 0xed, 0xa0, 0x80), 'BAD_UTF8'],
    ['atom: code point above U+10FFFF', bytesOf(131, 119, 4, 0xf4, 0x90, 0x80, 0x80), 'BAD_UTF8'],
    ['atom: sequence cut by the length', bytesOf(131, 119, 1, 0xe6, 0x97, 0xa5), ['BAD_UTF8', 'TRAILING_BYTES']],
    ['ATOM_UTF8_EXT: invalid byte after 39 ASCII', bytesOf(131, 118, u16be(40), repeat('a', 39), 0xff), 'BAD_UTF8'],
    ['ATOM_UTF8_EXT: 256 ASCII characters', bytesOf(131, 118, u16be(256), repeat('a', 256)), 'ATOM_TOO_LONG'],
    ['ATOM_UTF8_EXT: 256 × é (512 bytes)', bytesOf(131, 118, u16be(512), repeat('é', 256)), 'ATOM_TOO_LONG'],
    ['ATOM_EXT: 256 Latin-1 characters', bytesOf(131, 100, u16be(256), repeat('a', 256)), 'ATOM_TOO_LONG'],
    ['ATOM_UTF8_EXT: length 0xFFFF, 3 bytes present', bytesOf(131, 118, 0xff, 0xff, 97, 98, 99), ['TRUNCATED', 'ATOM_TOO_LONG', 'BAD_LENGTH']],
    // length fields far beyond the input
    ['LIST_EXT of 0xFFFFFFFF elements, 10 bytes of input', countBomb(108), ['TRUNCATED', 'BAD_LENGTH']],
    ['LARGE_TUPLE_EXT of 0xFFFFFFFF elements', countBomb(105), ['TRUNCATED', 'BAD_LENGTH']],
    ['MAP_EXT of 0xFFFFFFFF pairs', countBomb(116), ['TRUNCATED', 'BAD_LENGTH']],
    ['MAP_EXT of 0x7FFFFFFF pairs', countBomb(116, 0x7fffffff), ['TRUNCATED', 'BAD_LENGTH']],
    ['BINARY_EXT of 0xFFFFFFFF bytes', countBomb(109), ['TRUNCATED', 'BAD_LENGTH']],
    ['BIT_BINARY_EXT of 0xFFFFFFFF bytes', countBomb(77), ['TRUNCATED', 'BAD_LENGTH']],
    ['LARGE_BIG_EXT of 0xFFFFFFFF digits', countBomb(111), ['TRUNCATED', 'BAD_LENGTH']],
    ['STRING_EXT of 0xFFFF bytes', bytesOf(131, 107, 0xff, 0xff, 1, 2, 3), ['TRUNCATED', 'BAD_LENGTH']],
    ['NEWER_REFERENCE_EXT of 0xFFFF words', bytesOf(131, 90, 0xff, 0xff, a('n'), u32be(1), u32be(1)), ['BAD_LENGTH', 'TRUNCATED']],
    ['NEWER_REFERENCE_EXT of 6 words', bytesOf(131, 90, u16be(6), a('n'), u32be(1), new Uint8Array(24)), 'BAD_LENGTH'],
    [
      'NEW_FUN_EXT with NumFree 0xFFFFFFFF',
      bytesOf(131, 112, u32be(45), 0, new Uint8Array(16), u32be(0), u32be(0xffffffff), a('m'), 97, 0, 97, 0, 88, a('n'), u32be(1), u32be(0), u32be(1)),
      ['TRUNCATED', 'BAD_LENGTH', 'BAD_SIZE_FIELD'],
    ],
    ['NEW_FUN_EXT with Size 0xFFFFFFFF', bytesOf(131, 112, u32be(0xffffffff), 0, new Uint8Array(16)), ['TRUNCATED', 'BAD_SIZE_FIELD', 'BAD_LENGTH']],
    // floats
    ['NEW_FLOAT_EXT NaN', bytesOf(131, 70, f64(0x7ff80000)), 'BAD_FLOAT'],
    ['NEW_FLOAT_EXT NaN with payload', bytesOf(131, 70, f64(0x7ff00000, 1)), 'BAD_FLOAT'],
    ['NEW_FLOAT_EXT negative NaN', bytesOf(131, 70, f64(0xfff80000)), 'BAD_FLOAT'],
    ['NEW_FLOAT_EXT +Infinity', bytesOf(131, 70, f64(0x7ff00000)), 'BAD_FLOAT'],
    ['NEW_FLOAT_EXT -Infinity', bytesOf(131, 70, f64(0xfff00000)), 'BAD_FLOAT'],
    ['NaN inside a list', bytesOf(131, 108, u32be(2), 97, 1, 70, f64(0x7ff80000), 106), 'BAD_FLOAT'],
    ['FLOAT_EXT "nan"', bytesOf(131, floatExt('nan')), 'BAD_FLOAT'],
    ['FLOAT_EXT "inf"', bytesOf(131, floatExt('inf')), 'BAD_FLOAT'],
    ['FLOAT_EXT "1e999" (overflows to infinity)', bytesOf(131, floatExt('1e999')), 'BAD_FLOAT'],
    ['FLOAT_EXT "abc"', bytesOf(131, floatExt('abc')), 'BAD_FLOAT'],
    ['FLOAT_EXT empty', bytesOf(131, floatExt('')), 'BAD_FLOAT'],
    // JavaScript's Number() reads these; strtod-style parsing (OTP) does not.
    ['FLOAT_EXT "0x10" (hexadecimal)', bytesOf(131, floatExt('0x10')), 'BAD_FLOAT'],
    ['FLOAT_EXT "0b101" (binary)', bytesOf(131, floatExt('0b101')), 'BAD_FLOAT'],
    ['FLOAT_EXT "0o17" (octal)', bytesOf(131, floatExt('0o17')), 'BAD_FLOAT'],
    // maps
    ['duplicate map key 1', bytesOf(131, 116, u32be(2), 97, 1, 97, 1, 97, 1, 97, 2), 'DUPLICATE_MAP_KEY'],
    ['duplicate map key 1 (SMALL_INTEGER_EXT and INTEGER_EXT)', bytesOf(131, 116, u32be(2), 97, 1, 97, 1, 98, u32be(1), 97, 2), 'DUPLICATE_MAP_KEY'],
    ['duplicate map key 5 (SMALL_BIG_EXT and SMALL_INTEGER_EXT)', bytesOf(131, 116, u32be(2), 110, 1, 0, 5, 97, 1, 97, 5, 97, 2), 'DUPLICATE_MAP_KEY'],
    ['duplicate map key a (ATOM_EXT and SMALL_ATOM_UTF8_EXT)', bytesOf(131, 116, u32be(2), 100, 0, 1, 97, 97, 1, a('a'), 97, 2), 'DUPLICATE_MAP_KEY'],
    ['duplicate map key true (atom and ATOM_EXT)', bytesOf(131, 116, u32be(2), a('true'), 97, 1, 100, 0, 4, 't', 'rue', 97, 2), 'DUPLICATE_MAP_KEY'],
    ['duplicate map key {a}', bytesOf(131, 116, u32be(2), 104, 1, a('a'), 97, 1, 104, 1, a('a'), 97, 2), 'DUPLICATE_MAP_KEY'],
    ['duplicate map key <<1,2>>', bytesOf(131, 116, u32be(2), 109, u32be(2), 1, 2, 106, 109, u32be(2), 1, 2, 106), 'DUPLICATE_MAP_KEY'],
    ['duplicate map key 1.5', bytesOf(131, 116, u32be(2), 70, f64(0x3ff80000), 106, 70, f64(0x3ff80000), 106), 'DUPLICATE_MAP_KEY'],
    ['duplicate map key "ab" (STRING_EXT and LIST_EXT)', bytesOf(131, 116, u32be(2), 107, 0, 2, 'ab', 106, 108, u32be(2), 97, 97, 97, 98, 106, 106), 'DUPLICATE_MAP_KEY'],
    [
      'duplicate key among 40 (a HAMT-sized map)',
      bytesOf(131, 116, u32be(40), Array.from({ length: 39 }, (_, i) => [97, i, 106]).flat(), 97, 7, 106),
      'DUPLICATE_MAP_KEY',
    ],
    // bitstrings
    ['BIT_BINARY_EXT: 0 bits in a 1-byte last byte', bytesOf(131, 77, u32be(1), 0, 5), 'BAD_BIT_COUNT'],
    ['BIT_BINARY_EXT: 9 bits', bytesOf(131, 77, u32be(1), 9, 5), 'BAD_BIT_COUNT'],
    ['BIT_BINARY_EXT: 255 bits', bytesOf(131, 77, u32be(1), 255, 5), 'BAD_BIT_COUNT'],
    ['BIT_BINARY_EXT: empty with 3 bits', bytesOf(131, 77, u32be(0), 3), 'BAD_BIT_COUNT'],
    // integers
    ['SMALL_BIG_EXT sign byte 2', bytesOf(131, 110, 1, 2, 5), 'BAD_SIGN'],
    ['LARGE_BIG_EXT sign byte 255', bytesOf(131, 111, u32be(1), 255, 5), 'BAD_SIGN'],
    // pids, ports, refs: the node must be an atom
    ['NEW_PID_EXT with an integer node', bytesOf(131, 88, 97, 1, u32be(1), u32be(0), u32be(1)), 'BAD_NODE'],
    ['NEW_PORT_EXT with a binary node', bytesOf(131, 89, 109, u32be(1), 120, u32be(1), u32be(1)), 'BAD_NODE'],
    ['NEWER_REFERENCE_EXT with a tuple node', bytesOf(131, 90, u16be(1), 104, 0, u32be(1), u32be(1)), 'BAD_NODE'],
    ['V4_PORT_EXT with a pid node', bytesOf(131, 120, 88, a('n'), u32be(1), u32be(0), u32be(1), u32be(0), u32be(1), u32be(1)), 'BAD_NODE'],
    // LOCAL_EXT is only valid as a whole term
    ['LOCAL_EXT inside a tuple', bytesOf(131, 104, 1, 121, u32be(0), 97, 1), 'LOCAL_EXT_NESTED'],
    ['LOCAL_EXT inside a map', bytesOf(131, 116, u32be(1), 97, 1, 121, u32be(0), 97, 1), 'LOCAL_EXT_NESTED'],
    // compressed terms
    ['compressed: header cut after the size', bytesOf(131, 80, 0, 0), 'TRUNCATED'],
    ['compressed: declared 0xFFFFFFFF, 3 junk bytes', bytesOf(131, 80, u32be(0xffffffff), 1, 2, 3), 'INFLATE_LIMIT'],
    ['compressed: declared one byte over the default limit', bytesOf(131, 80, u32be(DEFAULT_LIMITS.maxInflatedSize + 1), 0x78, 0x9c), 'INFLATE_LIMIT'],
    ['compressed: declared 2 KiB over maxInflatedSize 1 KiB', bytesOf(131, 80, u32be(2048), 0x78, 0x9c), 'INFLATE_LIMIT', { maxInflatedSize: 1024 }],
    ['compressed: not a zlib stream', bytesOf(131, 80, u32be(2), 1, 2, 3, 4), 'INFLATE_FAILED'],
    ['compressed: stream cut short', compressed(new Uint8Array(300).fill(106)).subarray(0, 12), 'INFLATE_FAILED'],
    ['compressed: declared size too large', compressed(bytesOf(97, 1), 9), ['INFLATE_FAILED', 'BAD_SIZE_FIELD']],
    ['compressed: declared size too small', compressed(bytesOf(97, 1), 1), ['INFLATE_FAILED', 'INFLATE_LIMIT', 'BAD_SIZE_FIELD']],
    ['compressed: declared size 0', compressed(bytesOf(97, 1), 0), ['INFLATE_FAILED', 'INFLATE_LIMIT', 'BAD_SIZE_FIELD', 'TRUNCATED']],
    // limits
    ['input over maxSize', bytesOf(131, 109, u32be(100), new Uint8Array(100)), 'SIZE_LIMIT', { maxSize: 50 }],
    ['tuples 20 deep under maxDepth 10', nestedTuples(20), 'DEPTH_LIMIT', { maxDepth: 10 }],
    ['nested tuples, 100 000 deep', nestedTuples(100_000), 'DEPTH_LIMIT'],
    ['nested lists, 100 000 deep', nestedLists(100_000), 'DEPTH_LIMIT'],
    ['maps nested through values, 100 000 deep', nestedMapValues(100_000), 'DEPTH_LIMIT'],
    ['maps nested through keys, 100 000 deep', nestedMapKeys(100_000), 'DEPTH_LIMIT'],
    ['nested tuples, 100 000 deep, maxDepth 1e9', nestedTuples(100_000), 'DEPTH_LIMIT', { maxDepth: 1e9 }],
  ];
  if (closure) {
    const b = closure.bytes.slice();
    const size = new DataView(b.buffer).getUint32(2);
    new DataView(b.buffer).setUint32(2, size - 1);
    cases.push(['NEW_FUN_EXT whose Size is one short', b, 'BAD_SIZE_FIELD']);
    const c = closure.bytes.slice();
    new DataView(c.buffer).setUint32(2, size + 1);
    cases.push(['NEW_FUN_EXT whose Size is one long', c, ['BAD_SIZE_FIELD', 'TRUNCATED']]);
  }

  it.each(cases)('%s', (_name, bytes, codes, opts) => {
    expectReject(bytes, codes, opts);
  });

  it('rejects every strict prefix of a valid term as TRUNCATED', () => {
    const seeds = [{ name: 'canary', bytes: CANARY_BYTES }, ...smallGolden.filter((s) => s.bytes[1] !== 80)];
    for (const { name, bytes } of seeds) {
      for (let n = 0; n < bytes.length; n++) {
        const o = decodeChecked(bytes.subarray(0, n));
        if (o.ok) expect.fail(`${name}: the ${n}-byte prefix decodes to ${show(o.term)}`);
        if (o.code !== 'TRUNCATED') expect.fail(`${name}: the ${n}-byte prefix ${toHex(bytes.subarray(0, n))} is ${o.code}, not TRUNCATED: ${o.error.message}`);
      }
    }
  });

  it('rejects every strict prefix of a compressed term', () => {
    for (const { name, bytes } of golden.filter((s) => s.bytes[1] === 80 && s.bytes.length <= 2048)) {
      for (let n = 0; n < bytes.length; n++) {
        const o = decodeChecked(bytes.subarray(0, n));
        if (o.ok) expect.fail(`${name}: the ${n}-byte prefix decodes to ${show(o.term)}`);
        expect(['TRUNCATED', 'INFLATE_FAILED'], `${name} cut at ${n}`).toContain(o.code);
      }
    }
  });
});

describe('bombs fail fast, on a bound, without big allocations', () => {
  // "Fast" is shown by where the decoder stopped (the error offset), not by a clock.
  it('nesting bombs stop at maxDepth', () => {
    for (const [name, bytes, perLevel] of [
      ['tuples', nestedTuples(100_000), 2],
      ['lists', nestedLists(100_000), 5],
      ['map values', nestedMapValues(100_000), 7],
      ['map keys', nestedMapKeys(100_000), 5],
    ] as const) {
      for (const maxDepth of [16, DEFAULT_LIMITS.maxDepth]) {
        const o = expectReject(bytes, 'DEPTH_LIMIT', { maxDepth });
        expect(o.offset, `${name}, maxDepth ${maxDepth}: stopped at byte ${o.offset}`).toBeLessThanOrEqual(1 + perLevel * (maxDepth + 2));
      }
    }
  });

  it('the default maxDepth fits the stack before the JIT warms up (node --jitless)', () => {
    // A fresh process runs the decoder in the interpreter, whose frames are the largest:
    // terms exactly maxDepth deep must decode, one level more must be a clean DEPTH_LIMIT.
    const url = (p: string) => JSON.stringify(new URL(p, import.meta.url).href);
    const script = `
      const { decode, DEFAULT_LIMITS } = await import(${url('../../runtime/index.ts')});
      const m = await import(${url('./mutate.ts')});
      const d = DEFAULT_LIMITS.maxDepth, out = [];
      for (const name of ['nestedTuples', 'nestedLists', 'nestedMapValues', 'nestedMapKeys'])
        for (const depth of [d, d + 1])
          try { decode(m[name](depth)); out.push({ name, depth, ok: true }); }
          catch (e) { out.push({ name, depth, ok: false, code: e.code, message: e.message }); }
      console.log(JSON.stringify(out));`;
    const run = spawnSync(process.execPath, ['--jitless', '--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      cwd: new URL('../../', import.meta.url), // where `tsx` resolves from
    });
    expect(run.status, run.stderr).toBe(0);
    const results = JSON.parse(run.stdout) as { name: string; depth: number; ok: boolean; code?: string; message?: string }[];
    const wrong = results.filter((r) =>
      r.depth === DEFAULT_LIMITS.maxDepth ? !r.ok : r.ok || r.code !== 'DEPTH_LIMIT' || /Maximum call stack/.test(r.message ?? ''),
    );
    expect(wrong.map((r) => `${r.name}(${r.depth}): ${r.ok ? 'accepted' : r.message}`)).toEqual([]);
  });

  it('count bombs stop within the bytes they have', () => {
    for (const tag of [105, 108, 116, 109, 111, 77] as const) {
      const bytes = countBomb(tag);
      const o = expectReject(bytes, ['TRUNCATED', 'BAD_LENGTH']);
      expect(o.offset).toBeLessThanOrEqual(bytes.length);
    }
  });

  it('a declared inflated size over the limit is refused before inflating', () => {
    const bomb = zlibBomb(100_000_000);
    for (const maxInflatedSize of [1 << 20, DEFAULT_LIMITS.maxInflatedSize]) {
      const o = expectReject(bomb, 'INFLATE_LIMIT', { maxInflatedSize });
      expect(o.offset).toBeLessThanOrEqual(6);
    }
  });

  it('a zlib bomb that lies about its size is stopped without inflating it all', () => {
    // 100 MB of zeros behind a 1000-byte declared size, and one declared at the limit.
    const rssBefore = process.resourceUsage().maxRSS;
    expectReject(zlibBomb(100_000_000, 1000), ['INFLATE_LIMIT', 'INFLATE_FAILED', 'BAD_SIZE_FIELD']);
    expectReject(zlibBomb(100_000_000, 1 << 20), ['INFLATE_LIMIT', 'INFLATE_FAILED', 'BAD_SIZE_FIELD'], { maxInflatedSize: 1 << 20 });
    // maxRSS is a high-water mark in KiB: inflating the 100 MB would raise it by about that much.
    const grewMiB = (process.resourceUsage().maxRSS - rssBefore) / 1024;
    expect(grewMiB, `peak RSS grew by ${grewMiB.toFixed(0)} MiB`).toBeLessThan(64);
  });

  it('length bombs allocate nothing big', () => {
    const rssBefore = process.resourceUsage().maxRSS;
    for (const tag of [105, 108, 116, 109, 111, 77] as const) {
      for (const count of [0xffffffff, 0x7fffffff, 0x10000000, 0x01000000]) decodeChecked(countBomb(tag, count));
    }
    decodeChecked(bytesOf(131, 107, 0xff, 0xff));
    decodeChecked(bytesOf(131, 118, 0xff, 0xff));
    const grewMiB = (process.resourceUsage().maxRSS - rssBefore) / 1024;
    expect(grewMiB, `peak RSS grew by ${grewMiB.toFixed(0)} MiB`).toBeLessThan(64);
  });
});

describe('no input takes pathological time (work is counted, not timed)', () => {
  // probe() fails when the array work of a decode exceeds WORK_PER_BYTE per input byte.
  const cases: [string, Uint8Array][] = [
    ['999 lists of 20 chained through their tails (45 KB)', chainedLists(999, 20)],
    ['999 improper lists of 20 chained through their tails', chainedLists(999, 20, true)],
    ['900 one-element lists chained through their tails', chainedTails(900)],
    ['999 maps nested through keys around a 2000-tuple (10 KB)', nestedKeysAroundTuple(999, 2000)],
    ['a flat list of 200 000 small integers', bytesOf(131, 108, u32be(200_000), new Uint8Array(400_000).map((_, i) => (i & 1 ? 5 : 97)), 106)],
    ['a map of 10 000 tuple keys', bytesOf(131, 116, u32be(10_000), Array.from({ length: 10_000 }, (_, i) => [104, 2, 98, ...u32be(i), 97, 0, 106]).flat())],
  ];
  it.each(cases)('%s', (_name, bytes) => {
    probe(bytes);
  });
});

describe('the atom table', () => {
  it('does not keep atoms that were rejected as too long', () => {
    const spy = vi.spyOn(Atom, 'of');
    try {
      for (const tag of [118, 100] as const) {
        const name = `too-long-${tag}-`.padEnd(300, 'x');
        expectReject(bytesOf(131, tag, u16be(name.length), name), 'ATOM_TOO_LONG');
      }
      const kept = spy.mock.calls.map(([n]) => n).filter((n) => Array.from(n).length > MAX_ATOM_CHARS);
      expect(kept.map((n) => `${n.slice(0, 16)}… (${n.length} chars)`)).toEqual([]);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('inputs OTP 25 accepts, decoded to its value', () => {
  const cases: [name: string, bytes: Uint8Array, expected: Term][] = [
    ['bitstring padding bits are ignored: <<15:4>> from 0xFF', bytesOf(131, 77, u32be(1), 4, 0xff), new BitBinary(Uint8Array.of(0xf0), 4)],
    ['BIT_BINARY_EXT with 8 bits is a binary', bytesOf(131, 77, u32be(2), 8, 1, 2), Uint8Array.of(1, 2)],
    ['BIT_BINARY_EXT empty with 0 bits is <<>>', bytesOf(131, 77, u32be(0), 0), new Uint8Array(0)],
    ['SMALL_BIG_EXT with no digits is 0', bytesOf(131, 110, 0, 0), 0],
    ['negative SMALL_BIG_EXT zero is 0', bytesOf(131, 110, 1, 1, 0), 0],
    ['SMALL_BIG_EXT with high zero digits', bytesOf(131, 110, 3, 0, 5, 0, 0), 5],
    ['LARGE_BIG_EXT holding a small int', bytesOf(131, 111, u32be(1), 0, 7), 7],
    ['-(2^64-1) as SMALL_BIG_EXT', bytesOf(131, 110, 8, 1, new Uint8Array(8).fill(0xff)), -(2n ** 64n - 1n)],
    ['STRING_EXT of length 0 is []', bytesOf(131, 107, 0, 0), []],
    ['[1 | ""] is [1]', bytesOf(131, 108, u32be(1), 97, 1, 107, 0, 0), [1]],
    ['[1 | "\\x05"] is [1, 5]', bytesOf(131, 108, u32be(1), 97, 1, 107, 0, 1, 5), [1, 5]],
    ['[1 | [2]] is [1, 2]', bytesOf(131, 108, u32be(1), 97, 1, 108, u32be(1), 97, 2, 106), [1, 2]],
    ['[1 | [2 | 3]] is [1, 2 | 3]', bytesOf(131, 108, u32be(1), 97, 1, 108, u32be(1), 97, 2, 97, 3), new ImproperList([1, 2], 3)],
    ['ATOM_EXT true is the boolean', bytesOf(131, 100, 0, 4, 'true'), true],
    ['ATOM_EXT is Latin-1 (C3 A9 is two characters)', bytesOf(131, 100, 0, 2, 0xc3, 0xa9), atom('Ã©')],
    ['SMALL_ATOM_EXT Latin-1 é', bytesOf(131, 115, 1, 0xe9), atom('é')],
    ['ATOM_UTF8_EXT: 255 × é (510 bytes)', bytesOf(131, 118, u16be(510), repeat('é', 255)), atom('é'.repeat(255))],
    ['an atom starting with U+FEFF keeps it (no BOM stripping)', bytesOf(131, 119, 4, 0xef, 0xbb, 0xbf, 0x61), atom('\uFEFFa')],
    ['an atom that is only U+FEFF', bytesOf(131, 119, 3, 0xef, 0xbb, 0xbf), atom('\uFEFF')],
    ['a long ATOM_UTF8_EXT starting with U+FEFF', bytesOf(131, 118, u16be(43), 0xef, 0xbb, 0xbf, repeat('b', 40)), atom(`\uFEFF${'b'.repeat(40)}`)],
    ['FLOAT_EXT 1.0', bytesOf(131, floatExt('1.00000000000000000000e+00')), new Float(1)],
    ['FLOAT_EXT -2.5', bytesOf(131, floatExt('-2.50000000000000000000e+00')), -2.5],
    ['NEW_FLOAT_EXT -0.0 keeps its sign', bytesOf(131, 70, f64(0x80000000)), new Float(-0)],
    ['PID_EXT (creation u8)', bytesOf(131, 103, a('a'), u32be(1), u32be(2), 3), new Pid(atom('a'), 1, 2, 3)],
    ['map keys 1 and 1.0 are different', bytesOf(131, 116, u32be(2), 97, 1, 97, 1, 70, f64(0x3ff00000), 97, 2), new Map<Term, Term>([[1, 1], [new Float(1), 2]])],
    ['SMALL_TUPLE_EXT of 0', bytesOf(131, 104, 0), new Tuple([])],
    ['map keys in any order', bytesOf(131, 116, u32be(2), a('b'), 97, 1, a('a'), 97, 2), new Map<Term, Term>([[atom('a'), 2], [atom('b'), 1]])],
  ];
  it.each(cases)('%s', (_name, bytes, expected) => {
    expectAccept(bytes, expected);
  });

  it('a list chained through 100 000 tails is a flat list (or a clean DEPTH_LIMIT)', () => {
    const o = probe(chainedTails(100_000));
    if (o.ok) expect(equals(o.term, new Array<Term>(100_000).fill(1))).toBe(true);
    else expect(o.code).toBe('DEPTH_LIMIT');
  });
});

describe('inputs with no single right answer keep the contract', () => {
  // OTP 25 accepts these; a stricter decoder may refuse them. Either way: a term or a DecodeError.
  const cases: [string, Uint8Array][] = [
    ['LIST_EXT of 0 elements with tail 1 (OTP: 1)', bytesOf(131, 108, u32be(0), 97, 1)],
    ['NEWER_REFERENCE_EXT of 0 words (OTP 25 accepts)', bytesOf(131, 90, u16be(0), a('n'), u32be(1))],
    ['EXPORT_EXT arity as INTEGER_EXT 256 (OTP: fun m:f/256)', bytesOf(131, 113, a('m'), a('f'), 98, u32be(256))],
    ['EXPORT_EXT arity as SMALL_BIG_EXT', bytesOf(131, 113, a('m'), a('f'), 110, 1, 0, 5)],
    ['EXPORT_EXT arity -1', bytesOf(131, 113, a('m'), a('f'), 98, u32be(0xffffffff))],
    ['bytes after the zlib stream (OTP ignores them)', bytesOf(compressed(bytesOf(97, 1)), 0)],
    ['map keys 0.0 and -0.0 (distinct in OTP 27, not in OTP 25)', bytesOf(131, 116, u32be(2), 70, f64(0), 97, 1, 70, f64(0x80000000), 97, 2)],
    ['pid with creation 0', bytesOf(131, 88, a('n'), u32be(1), u32be(0), u32be(0))],
    ['LOCAL_EXT at top level', bytesOf(131, 121, u32be(0), 97, 1)],
    ['NEW_REFERENCE_EXT (creation u8)', bytesOf(131, 114, u16be(1), a('n'), 1, u32be(5))],
    ['1 MiB LARGE_BIG_EXT', bytesOf(131, 111, u32be(1 << 20), 0, new Uint8Array(1 << 20).fill(0x5a))],
    ['map of 50 000 distinct keys', bytesOf(131, 116, u32be(50_000), Array.from({ length: 50_000 }, (_, i) => [98, ...u32be(i), 106]).flat())],
    ['map of 10 000 distinct tuple keys', bytesOf(131, 116, u32be(10_000), Array.from({ length: 10_000 }, (_, i) => [104, 1, 98, ...u32be(i), 106]).flat())],
  ];
  it.each(cases)('%s', (_name, bytes) => {
    probe(bytes);
  });
});

describe('short mutation campaign', () => {
  // A few thousand inputs; `npm run fuzz` runs the long one.
  const seeds = smallGolden.map((s) => s.bytes);
  const arbSeed = fc.oneof(
    { weight: 3, arbitrary: arbTerm.map((t) => encode(t)) },
    { weight: 1, arbitrary: arbTerm.map((t) => encode(t, { compressed: true })) },
    ...(seeds.length > 0 ? [{ weight: 3, arbitrary: fc.constantFrom(...seeds) }] : []),
  );

  it('mutated terms: a term or a DecodeError, and the decoder keeps working', () => {
    fc.assert(
      fc.property(arbSeed, arbMutations, (seed, ms) => {
        const input = mutate(seed, ms);
        try {
          probe(input);
        } catch (e) {
          throw new Error(`${(e as Error).message}\n  seed: ${toHex(seed.subarray(0, 256))}\n  mutations: ${describeMutations(ms)}`);
        }
      }),
      { numRuns: 2500 },
    );
  });

  it('random bytes and tag soup after the version byte', () => {
    const soup = fc.array(fc.oneof(fc.constantFrom(...TERM_TAGS), fc.constantFrom(0, 1, 0xff), fc.nat({ max: 255 })), { maxLength: 48 });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 48 }), soup.map((b) => Uint8Array.from(b))), (body) => {
        probe(bytesOf(131, body));
      }),
      { numRuns: 1500 },
    );
  });

  it('tight limits on valid terms give only limit errors', () => {
    const limits = fc.record(
      { maxDepth: fc.integer({ min: 0, max: 4 }), maxSize: fc.integer({ min: 0, max: 64 }), maxInflatedSize: fc.integer({ min: 0, max: 64 }) },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(arbTerm, fc.boolean(), limits, (t, z, opts) => {
        const o = probe(encode(t, { compressed: z }), { decode: opts });
        if (!o.ok) expect(['DEPTH_LIMIT', 'SIZE_LIMIT', 'INFLATE_LIMIT']).toContain(o.code);
      }),
      { numRuns: 300 },
    );
  });
});
