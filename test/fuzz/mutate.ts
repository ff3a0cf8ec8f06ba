/**
 * Ways to break ETF bytes, for the malformed-input fuzz: generic mutations
 * (bit flips, interesting bytes, truncation, insertion, deletion, splices),
 * structure-aware ones (length fields and tags found by walking the term),
 * and hand-built bombs (huge length fields, deep nesting, compressed bombs).
 *
 * Every function returns new bytes and never changes its input.
 */
import fc from 'fast-check';
import { constants, deflateRawSync, deflateSync } from 'node:zlib';

export const VERSION = 131;

/** Every tag byte a term may start with (plus 80, compressed, at top level). */
export const TERM_TAGS = [
  70, 77, 82, 88, 89, 90, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117,
  118, 119, 120, 121,
] as const;

/** Byte values that tend to break decoders. */
export const INTERESTING_BYTES = [0, 1, 0x7f, 0x80, 0xfe, 0xff, 131, 106, 80] as const;

/** Values to write into a length field of `width` bytes. */
export function interestingLengths(width: 1 | 2 | 4, original: number): number[] {
  const max = width === 4 ? 0xffffffff : width === 2 ? 0xffff : 0xff;
  const vs = [0, 1, max, max - 1, original + 1, original - 1, original * 2, original + 256];
  if (width === 4) vs.push(0x7fffffff, 0x80000000, 0x10000000, 0x01000000, 0x00100000);
  if (width === 2) vs.push(0x7fff, 0x8000, 256);
  return vs.map((v) => Math.max(0, Math.min(max, v)) >>> 0);
}

// ---------------------------------------------------------------- structure scan

/** A field found in well-formed (or partly well-formed) ETF. */
export interface Field {
  at: number;
  kind: 'tag' | 'length' | 'bits' | 'sign' | 'arity';
  width: 1 | 2 | 4;
}

/**
 * Walks the term(s) in `bytes` (after the version byte, if any) and lists
 * where its tags, length fields, bit counts and sign bytes are. Stops at the
 * first thing it cannot parse and returns what it found so far, so it works
 * on mutated input too. This is a test helper, not a decoder: it checks
 * nothing but bounds.
 */
export function scanFields(bytes: Uint8Array, maxFields = 4096): Field[] {
  const out: Field[] = [];
  const n = bytes.length;
  let p = bytes[0] === VERSION ? 1 : 0;
  const u16 = (at: number) => (bytes[at]! << 8) | bytes[at + 1]!;
  const u32 = (at: number) => ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
  const has = (k: number) => p + k <= n;
  const field = (at: number, kind: Field['kind'], width: Field['width']) => {
    if (out.length < maxFields) out.push({ at, kind, width });
  };
  // Number of terms still to walk: an explicit counter instead of recursion, so deep input is fine.
  let pending = 1;
  while (pending > 0 && p < n && out.length < maxFields) {
    pending--;
    const tag = bytes[p]!;
    field(p, 'tag', 1);
    p++;
    switch (tag) {
      case 80: // compressed: size, then zlib; nothing more to walk
        if (has(4)) field(p, 'length', 4);
        return out;
      case 70:
        p += 8;
        break;
      case 77:
        if (!has(5)) return out;
        field(p, 'length', 4);
        field(p + 4, 'bits', 1);
        p += 5 + u32(p);
        break;
      case 82:
      case 97:
        p += 1;
        break;
      case 98:
        p += 4;
        break;
      case 99:
        p += 31;
        break;
      case 88: // node, id, serial, creation
      case 89:
      case 101:
      case 102:
      case 103:
      case 120: {
        // The node atom is a term; the fixed part follows it. Walk the atom inline.
        const fixed = { 88: 12, 89: 8, 101: 5, 102: 5, 103: 9, 120: 12 }[tag]!;
        const atomLen = atomLength(bytes, p, field);
        if (atomLen < 0) return out;
        p += atomLen + fixed;
        break;
      }
      case 90:
      case 114: {
        if (!has(2)) return out;
        field(p, 'length', 2);
        const len = u16(p);
        p += 2;
        const atomLen = atomLength(bytes, p, field);
        if (atomLen < 0) return out;
        p += atomLen + (tag === 90 ? 4 : 1) + 4 * len;
        break;
      }
      case 100:
      case 107:
      case 118:
        if (!has(2)) return out;
        field(p, 'length', 2);
        p += 2 + u16(p);
        break;
      case 115:
      case 119:
        if (!has(1)) return out;
        field(p, 'length', 1);
        p += 1 + bytes[p]!;
        break;
      case 104:
        if (!has(1)) return out;
        field(p, 'arity', 1);
        pending += bytes[p]!;
        p += 1;
        break;
      case 105:
        if (!has(4)) return out;
        field(p, 'arity', 4);
        pending += u32(p);
        p += 4;
        break;
      case 106:
        break;
      case 108:
        if (!has(4)) return out;
        field(p, 'length', 4);
        pending += u32(p) + 1;
        p += 4;
        break;
      case 109:
        if (!has(4)) return out;
        field(p, 'length', 4);
        p += 4 + u32(p);
        break;
      case 110:
        if (!has(2)) return out;
        field(p, 'length', 1);
        field(p + 1, 'sign', 1);
        p += 2 + bytes[p]!;
        break;
      case 111:
        if (!has(5)) return out;
        field(p, 'length', 4);
        field(p + 4, 'sign', 1);
        p += 5 + u32(p);
        break;
      case 112: // size, arity, uniq, index, numfree, then module, oldindex, olduniq, pid, free vars
        if (!has(29)) return out;
        field(p, 'length', 4);
        field(p + 4, 'arity', 1);
        field(p + 25, 'arity', 4);
        pending += 4 + u32(p + 25);
        p += 29;
        break;
      case 113:
        pending += 3;
        break;
      case 116:
        if (!has(4)) return out;
        field(p, 'arity', 4);
        pending += 2 * u32(p);
        p += 4;
        break;
      case 121: // LOCAL_EXT: opaque to the end
        return out;
      default:
        return out;
    }
    if (pending > n) return out; // a bogus count: the rest cannot be walked
  }
  return out;
}

/** Length of the atom term at `p` (tag included), recording its fields; -1 if it is not one. */
function atomLength(bytes: Uint8Array, p: number, field: (at: number, kind: Field['kind'], width: Field['width']) => void): number {
  const tag = bytes[p];
  if (tag === undefined || p + 1 >= bytes.length) return -1;
  field(p, 'tag', 1);
  if (tag === 100 || tag === 118) {
    if (p + 3 > bytes.length) return -1;
    field(p + 1, 'length', 2);
    return 3 + ((bytes[p + 1]! << 8) | bytes[p + 2]!);
  }
  if (tag === 115 || tag === 119) {
    field(p + 1, 'length', 1);
    return 2 + bytes[p + 1]!;
  }
  if (tag === 82) return 2;
  return -1;
}

// ---------------------------------------------------------------- mutations

/** One change to some bytes. Positions are taken modulo the length they apply to. */
export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'splice'; from: number; count: number; to: number }
  | { kind: 'length'; field: number; pick: number }
  | { kind: 'tag'; field: number; value: number }
  | { kind: 'field'; field: number; value: number }
  | { kind: 'compress'; declared: 'exact' | 'less' | 'more' | 'huge' };

const mod = (i: number, n: number) => (n <= 0 ? 0 : i % n);

function concat(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function writeBE(b: Uint8Array, at: number, width: 1 | 2 | 4, v: number): void {
  for (let i = width - 1; i >= 0; i--) {
    if (at + i < b.length) b[at + i] = v & 0xff;
    v = Math.floor(v / 256);
  }
}

function readBE(b: Uint8Array, at: number, width: 1 | 2 | 4): number {
  let v = 0;
  for (let i = 0; i < width; i++) v = v * 256 + (b[at + i] ?? 0);
  return v;
}

/** `bytes` with one mutation applied (a new array). */
export function applyMutation(bytes: Uint8Array, m: Mutation): Uint8Array {
  const n = bytes.length;
  switch (m.kind) {
    case 'flip': {
      if (n === 0) return bytes.slice();
      const b = bytes.slice();
      b[mod(m.at, n)]! ^= 1 << (m.bit & 7);
      return b;
    }
    case 'set': {
      if (n === 0) return bytes.slice();
      const b = bytes.slice();
      b[mod(m.at, n)] = m.value & 0xff;
      return b;
    }
    case 'truncate':
      return bytes.slice(0, mod(m.at, n));
    case 'insert': {
      const at = mod(m.at, n + 1);
      return concat(bytes.subarray(0, at), m.bytes, bytes.subarray(at));
    }
    case 'delete': {
      const at = mod(m.at, n);
      return concat(bytes.subarray(0, at), bytes.subarray(at + m.count));
    }
    case 'splice': {
      // Copy a slice of the term over another place: duplicated subterms, swapped fields.
      const from = mod(m.from, n);
      const chunk = bytes.slice(from, from + m.count);
      const to = mod(m.to, n + 1);
      return concat(bytes.subarray(0, to), chunk, bytes.subarray(to));
    }
    case 'length':
    case 'tag':
    case 'field': {
      const want = m.kind === 'tag' ? 'tag' : m.kind === 'length' ? 'length' : undefined;
      const fields = scanFields(bytes).filter((f) => (want ? f.kind === want : f.kind !== 'tag'));
      if (fields.length === 0) return applyMutation(bytes, { kind: 'set', at: m.field, value: m.kind === 'tag' ? m.value : 0xff });
      const f = fields[mod(m.field, fields.length)]!;
      const b = bytes.slice();
      if (m.kind === 'length') {
        const choices = interestingLengths(f.width, readBE(b, f.at, f.width));
        writeBE(b, f.at, f.width, choices[mod(m.pick, choices.length)]!);
      } else writeBE(b, f.at, f.width, m.value);
      return b;
    }
    case 'compress': {
      // Wrap the (already mutated) body as a compressed term, with a size field that may lie.
      // Keeps the caller's framing: with a version byte in, one out; without, none (see mutateBody).
      const hasVersion = bytes[0] === VERSION;
      const body = hasVersion ? bytes.subarray(1) : bytes;
      const declared =
        m.declared === 'exact' ? body.length : m.declared === 'less' ? Math.max(0, body.length - 1) : m.declared === 'more' ? body.length + 1 : 0xffffffff;
      const out = compressed(body, declared);
      return hasVersion ? out : out.subarray(1);
    }
  }
}

/** `bytes` with every mutation applied in turn. */
export const mutate = (bytes: Uint8Array, ms: readonly Mutation[]): Uint8Array => ms.reduce(applyMutation, bytes);

/** As {@link mutate}, but a leading version byte is kept, so every change lands in the term itself. */
export function mutateBody(bytes: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  if (bytes[0] !== VERSION) return mutate(bytes, ms);
  return versioned(mutate(bytes.subarray(1), ms));
}

const pos = fc.nat({ max: 1 << 20 });

/** One random mutation, weighted towards the cheap byte-level ones. */
export const arbMutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: pos, bit: fc.nat({ max: 7 }) }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      at: pos,
      value: fc.oneof(fc.constantFrom(...INTERESTING_BYTES), fc.constantFrom(...TERM_TAGS), fc.nat({ max: 255 })),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: pos }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      at: pos,
      bytes: fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.constantFrom(...TERM_TAGS).map((t) => Uint8Array.of(t))),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: pos, count: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('splice' as const), from: pos, count: fc.integer({ min: 1, max: 32 }), to: pos }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('length' as const), field: pos, pick: fc.nat({ max: 16 }) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('tag' as const),
      field: pos,
      value: fc.oneof(fc.constantFrom(...TERM_TAGS), fc.nat({ max: 255 })),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('field' as const), field: pos, value: fc.oneof(fc.constantFrom(0, 1, 8, 9, 2, 0xff), fc.nat()) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('compress' as const), declared: fc.constantFrom('exact' as const, 'less' as const, 'more' as const, 'huge' as const) }) },
);

/** One to four mutations. */
export const arbMutations: fc.Arbitrary<Mutation[]> = fc.array(arbMutation, { minLength: 1, maxLength: 4 });

/** Short readable form of a mutation list, for counterexamples. */
export const describeMutations = (ms: readonly Mutation[]): string =>
  ms.map((m) => JSON.stringify(m, (_k, v: unknown) => (v instanceof Uint8Array ? toHex(v) : v))).join(' ');

// ---------------------------------------------------------------- bytes helpers

export const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
export const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
export const bytesOf = (...parts: (number | readonly number[] | Uint8Array | string)[]): Uint8Array => {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else if (typeof p === 'string') for (const c of Buffer.from(p, 'latin1')) out.push(c);
    else for (const c of p) out.push(c);
  }
  return Uint8Array.from(out);
};
export const u16be = (v: number): number[] => [(v >>> 8) & 0xff, v & 0xff];
export const u32be = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

/**
 * Puts `bytes` at a random-looking offset inside a larger buffer filled with
 * junk, and returns the view: a decoder that ignores `byteOffset` or reads
 * past `byteLength` gives itself away.
 */
export function embed(bytes: Uint8Array, before = 7, after = 5, junk = 0xa5): Uint8Array {
  const buf = new Uint8Array(before + bytes.length + after).fill(junk);
  buf.set(bytes, before);
  return buf.subarray(before, before + bytes.length);
}

// ---------------------------------------------------------------- bombs

/** `131` + `inner`. */
export const versioned = (inner: Uint8Array): Uint8Array => concat(Uint8Array.of(VERSION), inner);

/** `{{{…{[]}…}}}`, `depth` tuples deep (2 bytes a level). */
export function nestedTuples(depth: number): Uint8Array {
  const b = new Uint8Array(2 + 2 * depth);
  b[0] = VERSION;
  for (let i = 0; i < depth; i++) b.set([104, 1], 1 + 2 * i);
  b[1 + 2 * depth] = 106;
  return b;
}

/** `[[[…[]…]]]`, `depth` lists deep: each level is LIST_EXT of one element and a `[]` tail. */
export function nestedLists(depth: number): Uint8Array {
  const b = new Uint8Array(1 + 5 * depth + 1 + depth);
  b[0] = VERSION;
  for (let i = 0; i < depth; i++) b.set([108, 0, 0, 0, 1], 1 + 5 * i);
  b.fill(106, 1 + 5 * depth);
  return b;
}

/**
 * `[1 | [1 | [1 | … []]]]` written as `depth` one-element LIST_EXTs chained
 * through their tails. It is a flat list of `depth` ones (Erlang decodes it
 * so), but a decoder that recurses into tails nests `depth` calls deep.
 */
export function chainedTails(depth: number): Uint8Array {
  const b = new Uint8Array(1 + 7 * depth + 1);
  b[0] = VERSION;
  for (let i = 0; i < depth; i++) b.set([108, 0, 0, 0, 1, 97, 1], 1 + 7 * i);
  b[1 + 7 * depth] = 106;
  return b;
}

/**
 * `levels` LIST_EXTs of `perLevel` small integers each, every one the tail of
 * the one before, ending in `[]` (a proper list) or `7` (an improper one).
 * Erlang reads it as one flat list of `levels * perLevel` elements; a decoder
 * that copies the list built so far at every level does quadratic work.
 */
export function chainedLists(levels: number, perLevel: number, improper = false): Uint8Array {
  const b = new Uint8Array(1 + levels * (5 + 2 * perLevel) + (improper ? 2 : 1));
  b[0] = VERSION;
  let p = 1;
  for (let l = 0; l < levels; l++) {
    b.set([108, ...u32be(perLevel)], p);
    p += 5;
    for (let i = 0; i < perLevel; i++, p += 2) b.set([97, i & 0xff], p);
  }
  b.set(improper ? [97, 7] : [106], p);
  return b;
}

/**
 * `#{#{… #{{0, 1, …, n-1} => []} … => []} => []}`: `depth` maps nested
 * through their keys around one tuple of `n` elements. A decoder that builds
 * a fresh structural key for each map's key does depth × n work.
 */
export function nestedKeysAroundTuple(depth: number, n: number): Uint8Array {
  const b = new Uint8Array(1 + 5 * depth + 5 + 2 * n + depth);
  b[0] = VERSION;
  let p = 1;
  for (let d = 0; d < depth; d++, p += 5) b.set([116, 0, 0, 0, 1], p);
  b.set([105, ...u32be(n)], p);
  p += 5;
  for (let i = 0; i < n; i++, p += 2) b.set([97, i & 0xff], p);
  b.fill(106, p);
  return b;
}

/** `#{0 => #{0 => … #{} …}}`, `depth` maps deep, nested through values. */
export function nestedMapValues(depth: number): Uint8Array {
  const b = new Uint8Array(1 + 7 * depth + 5);
  b[0] = VERSION;
  for (let i = 0; i < depth; i++) b.set([116, 0, 0, 0, 1, 97, 0], 1 + 7 * i);
  b.set([116, 0, 0, 0, 0], 1 + 7 * depth);
  return b;
}

/** `#{#{… #{} => 0 …} => 0}`, `depth` maps deep, nested through keys (a key is decoded before it is hashed). */
export function nestedMapKeys(depth: number): Uint8Array {
  const b = new Uint8Array(1 + 5 * depth + 5 + 2 * depth);
  b[0] = VERSION;
  for (let i = 0; i < depth; i++) b.set([116, 0, 0, 0, 1], 1 + 5 * i);
  b.set([116, 0, 0, 0, 0], 1 + 5 * depth);
  for (let i = 0; i < depth; i++) b.set([97, 0], 1 + 5 * depth + 5 + 2 * i);
  return b;
}

/** A container tag with a huge element count and a handful of real bytes behind it. */
export function countBomb(tag: 105 | 108 | 116 | 109 | 111 | 77, count = 0xffffffff, tail: readonly number[] = [97, 1, 97, 2, 106]): Uint8Array {
  return bytesOf(VERSION, tag, u32be(count), tag === 77 || tag === 111 ? [1] : [], tail);
}

/** `131, 80, declared:u32, zlib(body)`. */
export function compressed(body: Uint8Array, declared = body.length): Uint8Array {
  return concat(Uint8Array.of(VERSION, 80, ...u32be(declared >>> 0)), deflateSync(body));
}

const ADLER_MOD = 65521;

/**
 * A zlib stream that inflates to `head` followed by `zeros` zero bytes, built
 * without allocating the inflated data: one raw-deflate chunk of 1 MiB of
 * zeros, cut at a full flush (so it needs no history), repeated; then a
 * final empty block and the right Adler-32. 100 MB of zeros take ~100 KB.
 */
export function zlibZeros(head: Uint8Array, zeros: number, chunk = 1 << 20): Uint8Array {
  const full = { finishFlush: constants.Z_FULL_FLUSH };
  const parts: Uint8Array[] = [Uint8Array.of(0x78, 0x9c)];
  if (head.length > 0) parts.push(deflateRawSync(head, full));
  const whole = Math.floor(zeros / chunk);
  if (whole > 0) {
    const block = deflateRawSync(new Uint8Array(chunk), full);
    for (let i = 0; i < whole; i++) parts.push(block);
  }
  const rest = zeros - whole * chunk;
  if (rest > 0) parts.push(deflateRawSync(new Uint8Array(rest), full));
  parts.push(deflateRawSync(new Uint8Array(0))); // final empty block
  // Adler-32 of head + zeros: zeros leave `a` unchanged and add `a` to `b` once each.
  let a = 1;
  let b = 0;
  for (const x of head) {
    a = (a + x) % ADLER_MOD;
    b = (b + a) % ADLER_MOD;
  }
  b = (b + (zeros % ADLER_MOD) * a) % ADLER_MOD;
  parts.push(Uint8Array.of(...u32be(((b << 16) | a) >>> 0)));
  return concat(...parts);
}

/**
 * A compressed term that inflates to a BINARY_EXT of `size` zero bytes
 * (`size + 5` inflated bytes), declaring `declared` as its inflated size
 * (the truth by default).
 */
export function zlibBomb(size: number, declared = size + 5): Uint8Array {
  const head = Uint8Array.of(109, ...u32be(size));
  return concat(Uint8Array.of(VERSION, 80, ...u32be(declared >>> 0)), zlibZeros(head, size));
}

/**
 * A hand-built hostile input of random size: nesting bombs, tail chains,
 * nested map keys, huge counts, and zlib streams of zeros behind a true or
 * lying size. Kept under ~1 MB each.
 */
export const arbBomb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.integer({ min: 1, max: 3000 }).map(nestedTuples),
  fc.integer({ min: 1, max: 3000 }).map(nestedLists),
  fc.integer({ min: 1, max: 3000 }).map(nestedMapValues),
  fc.integer({ min: 1, max: 3000 }).map(nestedMapKeys),
  fc.integer({ min: 1, max: 3000 }).map(chainedTails),
  fc
    .tuple(fc.integer({ min: 1, max: 1100 }), fc.integer({ min: 1, max: 40 }), fc.boolean())
    .map(([levels, perLevel, improper]) => chainedLists(levels, perLevel, improper)),
  fc.tuple(fc.integer({ min: 1, max: 1100 }), fc.integer({ min: 1, max: 2000 })).map(([depth, n]) => nestedKeysAroundTuple(depth, n)),
  fc
    .tuple(fc.constantFrom(105, 108, 116, 109, 111, 77) as fc.Arbitrary<105 | 108 | 116 | 109 | 111 | 77>, fc.oneof(fc.constantFrom(0xffffffff, 0x7fffffff, 0x10000000), fc.nat()))
    .map(([tag, count]) => countBomb(tag, count)),
  fc
    .tuple(fc.integer({ min: 0, max: 4 << 20 }), fc.option(fc.oneof(fc.nat({ max: 8 << 20 }), fc.constant(0xffffffff)), { nil: undefined }))
    .map(([size, declared]) => zlibBomb(size, declared)),
);
