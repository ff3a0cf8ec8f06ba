/**
 * The contract every decode of untrusted bytes must keep, checked on one
 * input at a time (`probe`), plus a tally for campaign reports. Shared by the
 * short campaign in `malformed.test.ts` and the long one in `long.fuzz.ts`.
 *
 * The contract:
 * 1. `decode` returns a term or throws a `DecodeError` (instanceof, `name`,
 *    a known `code`, an integer `offset` within the input, or within the
 *    inflated data for a compressed term). Nothing else escapes: no
 *    RangeError, TypeError or stack overflow.
 * 2. A term that decodes re-encodes without throwing and decodes back `equals`
 *    to itself.
 * 3. The outcome does not depend on where the bytes sit in their ArrayBuffer,
 *    and `copyBinaries` changes no value (and detaches it from the input).
 * 4. After a rejection the decoder still decodes a valid term.
 * 5. The work a decode does is linear in its input (counted, not timed:
 *    see meterArrayWork), so no input of 1 MB takes pathological time.
 */
import { existsSync, readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { atom } from '../../runtime/term/atom.js';
import { equals } from '../../runtime/term/compare.js';
import { Tuple, type Term } from '../../runtime/term/values.js';
import { DecodeError, type DecodeErrorCode } from '../../runtime/wire/errors.js';
import { DEFAULT_LIMITS, decode, encode } from '../../runtime/index.js';
import { bytesOf, embed, fromHex, toHex } from './mutate.js';

export type DecodeOptions = NonNullable<Parameters<typeof decode>[1]>;

/** Every `DecodeErrorCode`; the type below fails to compile if one is missing. */
export const DECODE_ERROR_CODES = [
  'TRUNCATED',
  'TRAILING_BYTES',
  'BAD_VERSION',
  'BAD_TAG',
  'BAD_UTF8',
  'BAD_LATIN1_ATOM',
  'ATOM_TOO_LONG',
  'BAD_BIT_COUNT',
  'BAD_SIGN',
  'BAD_FLOAT',
  'BAD_LENGTH',
  'BAD_SIZE_FIELD',
  'BAD_NODE',
  'DUPLICATE_MAP_KEY',
  'DEPTH_LIMIT',
  'SIZE_LIMIT',
  'INFLATE_LIMIT',
  'INFLATE_FAILED',
  'ATOM_CACHE_REF',
  'LOCAL_EXT_NESTED',
  'BAD_VALUE',
] as const satisfies readonly DecodeErrorCode[];
type MissingCode = Exclude<DecodeErrorCode, (typeof DECODE_ERROR_CODES)[number]>;
const allCodesListed: [MissingCode] extends [never] ? true : MissingCode = true;
void allCodesListed;
const KNOWN_CODES: ReadonlySet<string> = new Set(DECODE_ERROR_CODES);

/** A broken contract, with the input that broke it. */
export class FuzzFailure extends Error {
  override readonly name = 'FuzzFailure';
  constructor(
    readonly input: Uint8Array,
    what: string,
  ) {
    super(`${what}\n  input (${input.length} bytes): ${hexPreview(input)}`);
  }
}

const hexPreview = (b: Uint8Array, max = 512): string =>
  b.length <= max ? toHex(b) : `${toHex(b.subarray(0, max))}… (+${b.length - max} bytes)`;

export const show = (t: unknown): string => inspect(t, { depth: 6, maxArrayLength: 20, maxStringLength: 80, breakLength: Infinity });

const describeError = (e: unknown): string =>
  e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]}${e.constructor !== Error ? ` [${e.constructor.name}]` : ''}` : `non-Error ${String(e)}`;

/** Messages of JavaScript errors that mean the decoder itself failed, not the input. */
const INTERNAL_ERROR =
  /\b(TypeError|ReferenceError|SyntaxError|Invalid array length|Invalid typed array length|Invalid string length|Invalid DataView|Maximum BigInt size|outside the bounds|out of range|Array buffer allocation failed|is not a function|Cannot read properties|is not iterable)\b/;

export type Outcome = { ok: true; term: Term } | { ok: false; code: DecodeErrorCode; offset: number; error: DecodeError };

/** The largest offset a DecodeError may report for `input`. */
export function offsetBound(input: Uint8Array): number {
  if (input.length >= 6 && input[0] === 131 && input[1] === 80) {
    const declared = ((input[2]! << 24) | (input[3]! << 16) | (input[4]! << 8) | input[5]!) >>> 0;
    return Math.max(input.length, declared);
  }
  return input.length;
}

/** `decode` with contract 1 checked: returns the term, or the DecodeError it threw. */
export function decodeChecked(input: Uint8Array, opts?: DecodeOptions): Outcome {
  let term: Term;
  try {
    term = opts === undefined ? decode(input) : decode(input, opts);
  } catch (e) {
    if (!(e instanceof DecodeError)) throw new FuzzFailure(input, `decode threw something other than a DecodeError: ${describeError(e)}`);
    if (e.name !== 'DecodeError') throw new FuzzFailure(input, `DecodeError has name ${String(e.name)}`);
    if (typeof e.code !== 'string' || !KNOWN_CODES.has(e.code)) throw new FuzzFailure(input, `DecodeError has unknown code ${String(e.code)}`);
    // The codec may turn an internal failure into a DecodeError; that hides a bug, it does not handle input.
    const internal = INTERNAL_ERROR.exec(e.message);
    const stackOverflow = /Maximum call stack size exceeded/.test(e.message);
    if (internal || (stackOverflow && (opts?.maxDepth ?? DEFAULT_LIMITS.maxDepth) <= DEFAULT_LIMITS.maxDepth))
      throw new FuzzFailure(input, `an internal error escaped, wrapped as DecodeError ${e.code}: ${e.message}`);
    const bound = offsetBound(input);
    if (!Number.isInteger(e.offset) || e.offset < 0 || e.offset > bound)
      throw new FuzzFailure(input, `DecodeError ${e.code} has offset ${String(e.offset)}, outside [0, ${bound}]: ${e.message}`);
    return { ok: false, code: e.code, offset: e.offset, error: e };
  }
  return { ok: true, term };
}

/** A valid term, decoded after every rejection to show the decoder still works. */
export const CANARY_BYTES = bytesOf(
  131,
  [104, 4], // {ok, [1, 2.5], <<"x">>, #{a => 300}}
  [119, 2, 111, 107],
  [108, 0, 0, 0, 2, 97, 1, 70, 0x40, 0x04, 0, 0, 0, 0, 0, 0, 106],
  [109, 0, 0, 0, 1, 120],
  [116, 0, 0, 0, 1, 119, 1, 97, 98, 0, 0, 1, 44],
);
export const CANARY_TERM: Term = new Tuple([atom('ok'), [1, 2.5], Uint8Array.of(120), new Map<Term, Term>([[atom('a'), 300]])]);

export function checkCanary(after: Uint8Array): void {
  const o = decodeChecked(CANARY_BYTES);
  if (!o.ok || !equals(o.term, CANARY_TERM))
    throw new FuzzFailure(after, `a valid term no longer decodes after this input was rejected: ${o.ok ? show(o.term) : o.code}`);
}

/** Contract 2: `term` (decoded from `input`) re-encodes and decodes back equal. */
export function checkReencode(input: Uint8Array, term: Term, compressed = false): void {
  let again: Uint8Array;
  try {
    again = compressed ? encode(term, { compressed: true }) : encode(term);
  } catch (e) {
    throw new FuzzFailure(input, `accepted term does not re-encode${compressed ? ' (compressed)' : ''}: ${describeError(e)}\n  term: ${show(term)}`);
  }
  const back = decodeChecked(again);
  if (!back.ok)
    throw new FuzzFailure(input, `re-encoding of an accepted term is rejected: ${back.code} at ${back.offset}\n  term: ${show(term)}\n  re-encoded: ${hexPreview(again)}`);
  if (!equals(back.term, term))
    throw new FuzzFailure(
      input,
      `accepted term does not survive encode/decode\n  decoded:    ${show(term)}\n  re-decoded: ${show(back.term)}\n  re-encoded: ${hexPreview(again)}`,
    );
}

export interface ProbeOptions {
  /** Decode options for the first decode (limits); the other checks use the defaults. */
  decode?: DecodeOptions;
  /** Also re-encode compressed (contract 2). */
  compressed?: boolean;
  /** Check contract 3 (costs two more decodes). Default true. */
  placement?: boolean;
  /** Check the first decode's work is linear in the input (see meterArrayWork). Default true. */
  meter?: boolean;
}

/**
 * Array work (see meterArrayWork) a decode may do per input byte (per
 * inflated byte for compressed input). Honest terms (the golden fixtures,
 * arbTerm encodings) stay under 1 unit a byte.
 */
export const WORK_PER_BYTE = 16;
/** Fixed allowance on top (Node's own zlib and error paths use arrays too). */
export const WORK_SLACK = 65_536;

/** Decodes `input` and checks the whole contract; returns the outcome. */
export function probe(input: Uint8Array, options: ProbeOptions = {}): Outcome {
  const opts = options.decode;
  let out: Outcome;
  if (options.meter === false) out = decodeChecked(input, opts);
  else {
    const metered = meterArrayWork(() => decodeChecked(input, opts));
    out = metered.result;
    const budget = WORK_PER_BYTE * offsetBound(input) + WORK_SLACK;
    if (metered.work > budget)
      throw new FuzzFailure(
        input,
        `decode did ${metered.work} units of array work on ${input.length} bytes (budget ${budget}): superlinear, so a 1 MB input of this shape takes pathological time (${summary(out)})`,
      );
  }
  if (options.placement !== false) {
    const moved = decodeChecked(embed(input), opts);
    const same = out.ok
      ? moved.ok && equals(moved.term, out.term)
      : !moved.ok && moved.code === out.code && moved.offset === out.offset;
    if (!same)
      throw new FuzzFailure(
        input,
        `outcome depends on where the bytes sit in their buffer: ${summary(out)} at offset 0, ${summary(moved)} inside a larger buffer`,
      );
  }
  if (!out.ok) {
    checkCanary(input);
    return out;
  }
  checkReencode(input, out.term, options.compressed ?? false);
  if (options.placement !== false) {
    const scratch = input.slice();
    const copied = decodeChecked(scratch, { ...opts, copyBinaries: true });
    scratch.fill(0x5a);
    if (!copied.ok || !equals(copied.term, out.term))
      throw new FuzzFailure(input, `copyBinaries: true changes the value (or it still shares the input): ${summary(copied)} vs ${show(out.term)}`);
  }
  return out;
}

const summary = (o: Outcome): string => (o.ok ? `accepted ${show(o.term)}` : `${o.code}@${o.offset}`);

/** Accepted / rejected counts by error code, for campaign reports. */
export class Tally {
  total = 0;
  accepted = 0;
  readonly rejected = new Map<string, number>();
  add(o: Outcome): void {
    this.total++;
    if (o.ok) this.accepted++;
    else this.rejected.set(o.code, (this.rejected.get(o.code) ?? 0) + 1);
  }
  get rejectedTotal(): number {
    let n = 0;
    for (const v of this.rejected.values()) n += v;
    return n;
  }
  format(): string {
    const codes = [...this.rejected].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c}=${n}`);
    return `${this.total} decodes: ${this.accepted} accepted, ${this.rejectedTotal} rejected (${codes.join(', ') || 'none'})`;
  }
}

/** A seed input: a name and its bytes. */
export interface Seed {
  name: string;
  bytes: Uint8Array;
}

export const GOLDEN_PATH = new URL('../fixtures/etf-golden.json', import.meta.url);

/**
 * Every encoding in the golden fixtures (`t2b`, `t2b_utf8`, `compressed`,
 * `t2b_minor0`), or none when the file does not exist.
 */
export function loadGoldenSeeds(maxBytes = Infinity): Seed[] {
  if (!existsSync(GOLDEN_PATH)) return [];
  const rows = JSON.parse(readFileSync(GOLDEN_PATH, 'utf8')) as Record<string, unknown>[];
  const seeds: Seed[] = [];
  for (const row of rows) {
    for (const field of ['t2b', 't2b_utf8', 'compressed', 't2b_minor0']) {
      const hex = row[field];
      if (typeof hex !== 'string' || hex.length / 2 > maxBytes) continue;
      seeds.push({ name: `${String(row['name'])} [${field}]`, bytes: fromHex(hex) });
    }
  }
  return seeds;
}

/**
 * Counts the array work done while `fn` runs: elements pushed, iterated
 * (for-of, spread), mapped, filtered, joined, sliced or concatenated. A
 * deterministic stand-in for time: a decoder that is linear in its input
 * does work proportional to the input; one that copies a growing list at
 * every level, or rebuilds a key at every level, does far more. The built-ins
 * are restored before this returns.
 */
export function meterArrayWork<T>(fn: () => T): { result: T; work: number } {
  const proto = Array.prototype as unknown as Record<PropertyKey, (...args: unknown[]) => unknown>;
  const names: PropertyKey[] = ['push', 'map', 'filter', 'forEach', 'join', 'slice', 'concat', Symbol.iterator];
  const saved = names.map((n) => [n, proto[n]!] as const);
  let work = 0;
  const iterator = proto[Symbol.iterator]!;
  for (const [name, original] of saved) {
    if (name === Symbol.iterator) {
      proto[name] = function (this: unknown[]) {
        const it = iterator.call(this) as Iterator<unknown>;
        return {
          next() {
            work++;
            return it.next();
          },
          [Symbol.iterator]() {
            return this;
          },
        };
      };
    } else if (name === 'push') {
      proto[name] = function (this: unknown[], ...args: unknown[]) {
        work += args.length;
        return original.apply(this, args);
      };
    } else {
      proto[name] = function (this: unknown[], ...args: unknown[]) {
        work += this.length;
        return original.apply(this, args);
      };
    }
  }
  try {
    const result = fn();
    return { result, work };
  } finally {
    for (const [name, original] of saved) proto[name] = original;
  }
}
