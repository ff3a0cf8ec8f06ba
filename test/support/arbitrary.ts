/**
 * fast-check arbitraries for Erlang terms, in the shape `decode` produces
 * them, so that `equals(decode(encode(t)), t)` holds for every generated `t`:
 *
 * - integers are `number` when |x| <= 2^53-1 and `bigint` otherwise;
 * - a float is a `number` when non-integral, a `Float` when integral or -0.0;
 * - binaries are `Uint8Array`; bitstrings are `BitBinary` whose unused low
 *   bits in the last byte are zero (Erlang keeps only the top `bits` bits);
 * - maps are `Map`s with no two keys `equals` to each other;
 * - atoms hold at most 255 code points;
 * - improper lists have a tail that is neither a proper list nor an improper list.
 *
 * `arbTerm` is the one most tests want; the pieces are exported for tests that
 * need one kind of term only.
 */
import fc from 'fast-check';
import { Atom, atom, MAX_ATOM_CHARS } from '../../runtime/term/atom.js';
import { termKey } from '../../runtime/term/compare.js';
import {
  BitBinary,
  ExportFun,
  Float,
  Fun,
  ImproperList,
  Pid,
  Port,
  Reference,
  Tuple,
  type Term,
} from '../../runtime/term/values.js';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const utf8 = new TextEncoder();

// ---------------------------------------------------------------- numbers

/** The form `decode` returns for an integer: a `number` when it is safe, else a `bigint`. */
export function canonicalInteger(n: bigint | number): number | bigint {
  if (typeof n === 'number') return n;
  return n >= -MAX_SAFE && n <= MAX_SAFE ? Number(n) : n;
}

/** The form `decode` returns for a float: `Float` when integral or -0.0, else a plain `number`. */
export function canonicalFloat(x: number): number | Float {
  return Number.isInteger(x) || Object.is(x, -0) ? new Float(x) : x;
}

/** An unsigned 32-bit integer, biased towards the edges. */
export const arbU32: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }),
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff),
);

/** A bigint of `bytes` magnitude bytes at most, either sign. */
const bigOfBytes = (bytes: number): fc.Arbitrary<bigint> => {
  const lim = (1n << BigInt(8 * bytes)) - 1n;
  return fc.bigInt({ min: -lim, max: lim });
};

/** Integers around every encoding boundary (97 / 98 / 110 / 111 and the 2^53 number/bigint split). */
const boundaryIntegers: readonly bigint[] = (() => {
  const out: bigint[] = [];
  const edges = [0n, 255n, 256n, 2n ** 31n, 2n ** 32n, MAX_SAFE, 2n ** 53n, 2n ** 63n, 2n ** 64n, 2n ** 2040n, 2n ** 2048n];
  for (const e of edges) for (const d of [-1n, 0n, 1n]) for (const s of [1n, -1n]) out.push(s * (e + d));
  return out;
})();

/** Any integer: small, i32, safe, and bigints of any size (LARGE_BIG_EXT included). */
export const arbInteger: fc.Arbitrary<number | bigint> = fc
  .oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 255 }).map(BigInt) },
    { weight: 4, arbitrary: fc.integer().map(BigInt) },
    { weight: 2, arbitrary: fc.maxSafeInteger().map(BigInt) },
    { weight: 2, arbitrary: bigOfBytes(16) },
    { weight: 1, arbitrary: bigOfBytes(300) },
    { weight: 1, arbitrary: fc.constantFrom(...boundaryIntegers) },
  )
  .map(canonicalInteger);

/** Any finite float, including -0.0, integral values (as `Float`) and subnormals. */
export const arbFloat: fc.Arbitrary<number | Float> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(canonicalFloat),
  fc.integer({ min: -1000, max: 1000 }).map((n) => new Float(n)),
  fc
    .constantFrom(-0, 0, 0.5, -1.5, 2 ** 53, 2 ** 60, -(2 ** 1000), Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 0.1)
    .map(canonicalFloat),
);

// ---------------------------------------------------------------- atoms

/** At most `MAX_ATOM_CHARS` code points (clipping may split a grapheme cluster, never a surrogate pair). */
export const clipAtomName = (s: string): string => Array.from(s).slice(0, MAX_ATOM_CHARS).join('');

const latin1Char = fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c));

/**
 * Code points that trip text handling (all valid in Erlang atoms): U+FEFF
 * (a BOM, which TextDecoder drops by default), NUL, U+FFFD, the last code
 * point, zero-width and combining characters, noncharacters, astral ones.
 */
export const TRICKY_CHARS = ['\uFEFF', '\u0000', '\uFFFD', '\u{10FFFF}', '\u200B', '\u0301', '\uFFFE', '\u00A0', '\u{E0001}', '\u{1F680}', 'a', 'é'] as const;
const trickyChar = fc.constantFrom(...TRICKY_CHARS);

/** Atom text: common atoms, ASCII, Latin-1, any Unicode, and long names up to 255 code points. */
export const arbAtomName: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('ok', 'error', 'undefined', 'nil', 'true', 'false', '', 'a@vm', 'Elixir.Foo') },
  { weight: 8, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 12 }) },
  { weight: 3, arbitrary: fc.string({ unit: latin1Char, maxLength: 12 }) },
  { weight: 5, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }).map(clipAtomName) },
  { weight: 2, arbitrary: fc.string({ unit: trickyChar, maxLength: 6 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 250, maxLength: MAX_ATOM_CHARS }) },
  // Multi-byte code points: more than 255 UTF-8 bytes, so ATOM_UTF8_EXT (118).
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 100, maxLength: MAX_ATOM_CHARS }).map(clipAtomName) },
);

export const arbAtom: fc.Arbitrary<Atom> = arbAtomName.map(atom);

/** Node names as pids, ports and references carry them (any atom is legal on the wire). */
export const arbNode: fc.Arbitrary<Atom> = fc.oneof(
  fc.constantFrom('nonode@nohost', 'a@vm', 'beamwire@localhost', 'n@127.0.0.1').map(atom),
  arbAtom,
);

/** `true` / `false`, which decode to JS booleans. */
export const arbBoolean: fc.Arbitrary<boolean> = fc.boolean();

// ---------------------------------------------------------------- binaries

/** Whole-byte binaries: raw bytes, UTF-8 text, and the occasional long one. */
export const arbBinary: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 32 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 16 }).map((s) => utf8.encode(s)) },
  { weight: 1, arbitrary: fc.string({ unit: trickyChar, maxLength: 8 }).map((s) => utf8.encode(s)) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 256, maxLength: 2000 }) },
);

/** Keeps the top `bits` bits of `byte`: what Erlang stores for the last byte of a bitstring. */
export const maskLastByte = (byte: number, bits: number): number => byte & ((0xff << (8 - bits)) & 0xff);

/**
 * A bitstring that is not a whole number of bytes: 1..7 bits in a last byte
 * whose unused low bits are 0, so it round-trips exactly. (8 used bits is a
 * whole-byte binary; Erlang decodes `BIT_BINARY_EXT` with Bits=8 as one.)
 */
export const arbBitBinary: fc.Arbitrary<BitBinary> = fc
  .tuple(fc.uint8Array({ minLength: 1, maxLength: 24 }), fc.integer({ min: 1, max: 7 }))
  .map(([bytes, bits]) => {
    const b = bytes.slice();
    b[b.length - 1] = maskLastByte(b[b.length - 1]!, bits);
    return new BitBinary(b, bits);
  });

// ---------------------------------------------------------------- identifiers

export const arbPid: fc.Arbitrary<Pid> = fc
  .tuple(arbNode, arbU32, arbU32, arbU32)
  .map(([node, id, serial, creation]) => new Pid(node, id, serial, creation));

/** Port ids are u64: small ones (NEW_PORT_EXT) and large ones (V4_PORT_EXT). */
export const arbPort: fc.Arbitrary<Port> = fc
  .tuple(
    arbNode,
    fc.oneof(
      fc.bigInt({ min: 0n, max: 0x0fffffffn }),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      fc.constantFrom(0n, 0xffffffffn, 0x100000000n, 2n ** 64n - 1n),
    ),
    arbU32,
  )
  .map(([node, id, creation]) => new Port(node, id, creation));

/** References with 1 to 5 id words. */
export const arbReference: fc.Arbitrary<Reference> = fc
  .tuple(arbNode, arbU32, fc.array(arbU32, { minLength: 1, maxLength: 5 }))
  .map(([node, creation, ids]) => new Reference(node, creation, ids));

export const arbExportFun: fc.Arbitrary<ExportFun> = fc
  .tuple(arbAtom, arbAtom, fc.integer({ min: 0, max: 255 }))
  .map(([m, f, a]) => new ExportFun(m, f, a));

/** A NEW_FUN_EXT closure with the given free variables. */
export const arbFunWith = (freeVar: fc.Arbitrary<Term>): fc.Arbitrary<Fun> =>
  fc
    .record({
      arity: fc.integer({ min: 0, max: 255 }),
      uniq: fc.uint8Array({ minLength: 16, maxLength: 16 }),
      index: arbU32,
      module: arbAtom,
      // Erlang keeps OldIndex and OldUniq as signed 32-bit words (2^31 comes back as -2^31).
      oldIndex: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.integer()),
      oldUniq: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.integer()),
      pid: arbPid,
      freeVars: fc.array(freeVar, { maxLength: 3 }),
    })
    .map((f) => new Fun(f.arity, f.uniq, f.index, f.module, f.oldIndex, f.oldUniq, f.pid, f.freeVars));

// ---------------------------------------------------------------- leaves and containers

/** Every non-container term. */
export const arbLeaf: fc.Arbitrary<Term> = fc.oneof(
  { weight: 5, arbitrary: arbInteger },
  { weight: 3, arbitrary: arbFloat },
  { weight: 5, arbitrary: arbAtom },
  { weight: 1, arbitrary: arbBoolean },
  { weight: 4, arbitrary: arbBinary },
  { weight: 2, arbitrary: arbBitBinary },
  { weight: 1, arbitrary: arbPid },
  { weight: 1, arbitrary: arbPort },
  { weight: 1, arbitrary: arbReference },
  { weight: 1, arbitrary: arbExportFun },
  { weight: 1, arbitrary: fc.constant<Term>([]) },
);

/** A list of small integers: Erlang's string, sent as STRING_EXT when short enough. */
export const arbCharlist: fc.Arbitrary<number[]> = fc.oneof(
  fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 24 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }).map((s) => Array.from(s, (c) => c.codePointAt(0)!)),
);

/** A map from `[key, value]` pairs, keeping the first of any keys that are `equals`. */
export function mapOf(entries: readonly (readonly [Term, Term])[]): Map<Term, Term> {
  const seen = new Set<string>();
  const m = new Map<Term, Term>();
  for (const [k, v] of entries) {
    const key = termKey(k);
    if (seen.has(key)) continue;
    seen.add(key);
    m.set(k, v);
  }
  return m;
}

const entriesOf = (k: fc.Arbitrary<Term>, v: fc.Arbitrary<Term>, minLength: number, maxLength: number) =>
  fc.uniqueArray(fc.tuple(k, v), { selector: ([key]) => termKey(key), minLength, maxLength });

export interface TermArbitraryOptions {
  /** Deepest nesting of containers (default 5). */
  maxDepth?: number;
  /** Include NEW_FUN_EXT closures (default true). */
  funs?: boolean;
  /** Include tuples of 256+ elements and maps of 33+ keys (default true). */
  large?: boolean;
}

/** Builds a term arbitrary; `arbTerm` is `termArbitrary()`. */
export function termArbitrary(options: TermArbitraryOptions = {}): fc.Arbitrary<Term> {
  const { maxDepth = 5, funs = true, large = true } = options;
  const { term } = fc.letrec<{
    term: Term;
    notList: Term;
    tuple: Tuple;
    list: Term[];
    improper: ImproperList;
    map: Map<Term, Term>;
    fun: Fun;
  }>((tie) => ({
    term: fc.oneof(
      { depthSize: 'small', maxDepth, withCrossShrink: true },
      { weight: 6, arbitrary: arbLeaf },
      { weight: 2, arbitrary: tie('tuple') },
      { weight: 2, arbitrary: tie('list') },
      { weight: 1, arbitrary: tie('improper') },
      { weight: 2, arbitrary: tie('map') },
      { weight: funs ? 1 : 0, arbitrary: tie('fun') },
    ),
    // An improper list's tail: anything but a list (a list tail would make it a longer list).
    notList: fc.oneof({ weight: 4, arbitrary: arbLeaf.filter((t) => !Array.isArray(t)) }, tie('tuple'), tie('map')),
    tuple: fc.oneof(
      { weight: 10, arbitrary: fc.array(tie('term'), { maxLength: 5 }).map((es) => new Tuple(es)) },
      { weight: large ? 1 : 0, arbitrary: fc.array(arbLeaf, { minLength: 256, maxLength: 270 }).map((es) => new Tuple(es)) },
    ),
    list: fc.oneof(
      { weight: 3, arbitrary: fc.array(tie('term'), { minLength: 1, maxLength: 5 }) },
      { weight: 1, arbitrary: arbCharlist },
    ),
    improper: fc
      .tuple(fc.array(tie('term'), { minLength: 1, maxLength: 4 }), tie('notList'))
      .map(([es, tail]) => new ImproperList(es, tail)),
    map: fc.oneof(
      { weight: 10, arbitrary: entriesOf(tie('term'), tie('term'), 0, 5).map(mapOf) },
      { weight: large ? 1 : 0, arbitrary: entriesOf(arbLeaf, arbLeaf, 33, 40).map(mapOf) },
    ),
    fun: arbFunWith(tie('term')),
  }));
  return term;
}

/** Any term `decode` can produce (LocalTerm aside), nested a few levels deep. */
export const arbTerm: fc.Arbitrary<Term> = termArbitrary();

/**
 * Values the encoder accepts beyond the decoded shapes: JS strings (sent as
 * UTF-8 binaries) and plain objects (maps with atom keys). They decode to a
 * `Uint8Array` / `Map` that is `equals` to the input.
 */
export const arbEncodable: fc.Arbitrary<Term> = fc.oneof(
  { weight: 4, arbitrary: arbTerm },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 16 }) },
  {
    weight: 1,
    arbitrary: fc
      .uniqueArray(fc.tuple(fc.string({ unit: 'grapheme', maxLength: 10 }).map(clipAtomName), arbLeaf), {
        selector: ([k]) => k,
        maxLength: 5,
      })
      .map((entries) => Object.fromEntries(entries) as { [key: string]: Term }),
  },
);
