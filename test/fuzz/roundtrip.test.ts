/**
 * `decode(encode(t))` is `t` (under Erlang's =:=) for every generated term,
 * plain and compressed, plus checks that the arbitraries themselves only
 * produce what the term model allows.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { atom, MAX_ATOM_CHARS } from '../../runtime/term/atom.js';
import { equals } from '../../runtime/term/compare.js';
import { BitBinary, Float, Fun, ImproperList, Pid, Port, Reference, Tuple, type Term } from '../../runtime/term/values.js';
import { decode, encode, EncodeError } from '../../runtime/index.js';
import { arbAtomName, arbBitBinary, arbEncodable, arbFloat, arbInteger, arbReference, arbTerm, termArbitrary } from '../support/arbitrary.js';
import { show } from './harness.js';
import { toHex } from './mutate.js';

function roundTrips(t: Parameters<typeof encode>[0], opts?: Parameters<typeof encode>[1]): void {
  const bytes = opts ? encode(t, opts) : encode(t);
  expect(bytes[0]).toBe(131);
  const back = decode(bytes);
  if (!equals(back, t)) expect.fail(`round trip changed the term\n  in:  ${show(t)}\n  out: ${show(back)}\n  bytes: ${toHex(bytes.subarray(0, 256))}`);
}

describe('decode(encode(t)) equals t', () => {
  it('any term', () => {
    fc.assert(fc.property(arbTerm, (t) => roundTrips(t)), { numRuns: 400 });
  });

  it('any term, compressed (boolean or level)', () => {
    const level = fc.oneof(fc.constant(true), fc.integer({ min: 0, max: 9 }));
    fc.assert(fc.property(termArbitrary({ large: false }), level, (t, compressed) => roundTrips(t, { compressed })), { numRuns: 150 });
  });

  it('JS strings and plain objects, as binaries and atom-keyed maps', () => {
    fc.assert(fc.property(arbEncodable, (t) => roundTrips(t)), { numRuns: 200 });
  });

  it('integers of every size keep their value and kind', () => {
    fc.assert(
      fc.property(arbInteger, (n) => {
        const back = decode(encode(n));
        expect(back).toBe(n); // number stays number, bigint stays bigint (canonical forms)
      }),
      { numRuns: 300 },
    );
  });

  it('floats keep their kind: Float when integral or -0.0, number otherwise', () => {
    fc.assert(
      fc.property(arbFloat, (x) => {
        const back = decode(encode(x));
        if (x instanceof Float) {
          expect(back).toBeInstanceOf(Float);
          expect(Object.is((back as Float).value, x.value)).toBe(true);
        } else expect(back).toBe(x);
      }),
      { numRuns: 300 },
    );
  });
});

describe('values the term model allows beyond arbTerm keep Erlang semantics', () => {
  it('a BitBinary with 8 bits in its last byte is the binary Erlang sees', () => {
    const b = Uint8Array.of(1, 2);
    expect(equals(new BitBinary(b, 8), b)).toBe(true);
    roundTrips(new BitBinary(b, 8));
  });

  it('a BitBinary with padding bits set is the bitstring Erlang sees (<<15:4>>)', () => {
    const dirty = new BitBinary(Uint8Array.of(0xff), 4);
    expect(equals(dirty, new BitBinary(Uint8Array.of(0xf0), 4))).toBe(true);
    roundTrips(dirty);
  });

  it('an integral number beyond 2^53 is the integer it encodes as', () => {
    for (const n of [2 ** 60, 2 ** 70, 1e21, -1e300]) {
      expect(equals(n, BigInt(n)), `${n}`).toBe(true);
      roundTrips(n);
    }
  });

  it('an atom holding a lone surrogate is an EncodeError, not a different atom', () => {
    for (const name of ['\uD800', 'a\uDFFFb']) {
      let bytes: Uint8Array | undefined;
      try {
        bytes = encode(atom(name));
      } catch (e) {
        expect(e).toBeInstanceOf(EncodeError);
        continue;
      }
      expect.fail(`encoded to ${toHex(bytes)}, which is the atom ${show(decode(bytes))}`);
    }
  });

  it('out-of-range pid, port, reference and fun fields are an EncodeError, never wrapped', () => {
    const n = atom('n@h');
    const pid = new Pid(n, 1, 0, 1);
    const cases: [string, Term][] = [
      ['pid id 2^32', new Pid(n, 2 ** 32, 0, 1)],
      ['pid id -1', new Pid(n, -1, 0, 1)],
      ['pid id 1.5', new Pid(n, 1.5, 0, 1)],
      ['pid serial 2^32', new Pid(n, 1, 2 ** 32, 1)],
      ['pid creation 2^32', new Pid(n, 1, 0, 2 ** 32)],
      ['port id 2^64', new Port(n, 2n ** 64n, 1)],
      ['port id -1', new Port(n, -1n, 1)],
      ['port creation -1', new Port(n, 1n, -1)],
      ['reference word 2^32', new Reference(n, 1, [2 ** 32])],
      ['reference creation -1', new Reference(n, -1, [1])],
      ['fun arity 256', new Fun(256, new Uint8Array(16), 0, n, 0, 0, pid, [])],
      ['fun index 2^32', new Fun(0, new Uint8Array(16), 2 ** 32, n, 0, 0, pid, [])],
    ];
    const wrapped: string[] = [];
    for (const [name, t] of cases) {
      let bytes: Uint8Array;
      try {
        bytes = encode(t);
      } catch (e) {
        expect(e, name).toBeInstanceOf(EncodeError);
        continue;
      }
      const back = decode(bytes);
      if (!equals(back, t)) wrapped.push(`${name}: encoded as ${toHex(bytes)}, which is ${show(back)}`);
    }
    expect(wrapped).toEqual([]);
  });

  it('a Map whose keys are equal under =:= is an EncodeError or decodes back', () => {
    const maps: Map<Term, Term>[] = [
      new Map<Term, Term>([[new Tuple([atom('a')]), 1], [new Tuple([atom('a')]), 2]]),
      new Map<Term, Term>([[1, 1], [1n, 2]]),
      new Map<Term, Term>([[true, 1], [atom('true'), 2]]),
      new Map<Term, Term>([[Uint8Array.of(1), 1], [Uint8Array.of(1), 2]]),
      new Map<Term, Term>([['x', 1], [Uint8Array.of(120), 2]]),
    ];
    for (const m of maps) {
      let bytes: Uint8Array;
      try {
        bytes = encode(m);
      } catch (e) {
        expect(e).toBeInstanceOf(EncodeError);
        continue;
      }
      let back: Term;
      try {
        back = decode(bytes);
      } catch (e) {
        expect.fail(`${show(m)} encodes to ${toHex(bytes)}, which decode rejects: ${(e as Error).message}`);
      }
      expect(back).toBeInstanceOf(Map);
    }
  });
});

describe('the arbitraries stay inside the term model', () => {
  it('atom names have at most 255 code points and no lone surrogates', () => {
    fc.assert(
      fc.property(arbAtomName, (s) => {
        expect(Array.from(s).length).toBeLessThanOrEqual(MAX_ATOM_CHARS);
        expect(/\p{Surrogate}/u.test(s)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('bitstrings have 1..7 bits and zero padding', () => {
    fc.assert(
      fc.property(arbBitBinary, (b) => {
        expect(b).toBeInstanceOf(BitBinary);
        expect(b.bits).toBeGreaterThanOrEqual(1);
        expect(b.bits).toBeLessThanOrEqual(7);
        expect(b.bytes.length).toBeGreaterThan(0);
        expect(b.bytes[b.bytes.length - 1]! & ((1 << (8 - b.bits)) - 1)).toBe(0);
      }),
    );
  });

  it('references have 1..5 u32 words', () => {
    fc.assert(
      fc.property(arbReference, (r) => {
        expect(r).toBeInstanceOf(Reference);
        expect(r.ids.length).toBeGreaterThanOrEqual(1);
        expect(r.ids.length).toBeLessThanOrEqual(5);
        for (const w of r.ids) expect(w >>> 0).toBe(w);
      }),
    );
  });

  it('improper lists never have a list as their tail', () => {
    const tails: unknown[] = [];
    const walk = (t: unknown): void => {
      if (t instanceof ImproperList) {
        tails.push(t.tail);
        t.elements.forEach(walk);
        walk(t.tail);
      } else if (Array.isArray(t)) t.forEach(walk);
    };
    for (const t of fc.sample(arbTerm, { numRuns: 500, seed: 42 })) walk(t);
    for (const tail of tails) {
      expect(Array.isArray(tail)).toBe(false);
      expect(tail).not.toBeInstanceOf(ImproperList);
    }
  });
});
