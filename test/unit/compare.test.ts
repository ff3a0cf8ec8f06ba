/**
 * equals/2 on maps: keys equal by value but not identity (tuples, binaries,
 * floats, a JS string and its binary, a boolean and its atom) are found both
 * by the scan small maps use and by the termKey index big ones use (over 16
 * keys), and the two agree.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { atom, decode, encode, equals, Float, mapGet, termKey, tuple, type Term } from '../../runtime/index.js';
import { arbLeaf } from '../support/arbitrary.js';

/** Map equality spelled out with mapGet (maps:get semantics), the scan equals used for every size. */
const byScan = (a: Map<Term, Term>, b: Map<Term, Term>): boolean =>
  a.size === b.size && [...a].every(([k, v]) => {
    const w = mapGet(b, k);
    return w !== undefined && equals(v, w);
  });

const fresh = (n: number, value = (i: number): Term => i) =>
  new Map<Term, Term>(Array.from({ length: n }, (_, i) => [tuple(atom('k'), i, Uint8Array.of(i & 0xff)), value(i)]));

describe('equals on maps', () => {
  for (const n of [3, 16, 17, 10_000]) {
    it(`${n} tuple keys, each a different object on each side`, () => {
      expect(equals(fresh(n), fresh(n))).toBe(true);
      expect(equals(fresh(n), fresh(n, (i) => (i === n - 1 ? -1 : i)))).toBe(false);
      const other = fresh(n);
      other.delete([...other.keys()][0]!);
      other.set(tuple(atom('k'), -1, Uint8Array.of(0)), 0);
      expect(equals(fresh(n), other)).toBe(false);
    });
  }

  for (const pad of [0, 20]) {
    it(`keys equal across representations (${pad + 3} keys)`, () => {
      const a = new Map<Term, Term>([['bin', 1], [true, 2], [new Float(1), 3]]);
      const b = new Map<Term, Term>([[Uint8Array.from(Buffer.from('bin')), 1], [atom('true'), 2], [new Float(1), 3]]);
      for (let i = 0; i < pad; i++) {
        a.set(tuple(i), i);
        b.set(tuple(i), i);
      }
      expect(equals(a, b)).toBe(true);
      expect(equals(b, a)).toBe(true);
      b.delete(atom('true'));
      b.set(atom('false'), 2);
      expect(equals(a, b)).toBe(false);
    });
  }

  it('agrees with the scan on random maps of 17 to 40 keys, equal and not', () => {
    const arbKey = fc.oneof(arbLeaf, fc.array(arbLeaf, { maxLength: 3 }).map((es) => tuple(...es)));
    const arbMap = fc.uniqueArray(fc.tuple(arbKey, arbLeaf), { minLength: 17, maxLength: 40, selector: ([k]) => termKey(k) }).map((e) => new Map(e));
    fc.assert(
      fc.property(arbMap, fc.nat(), fc.boolean(), (m, i, same) => {
        // The same content with new key objects (decoded from their encoding), then maybe one value changed.
        const copy = new Map([...m].map(([k, v], j) => [decode(encode(k)), same || j !== i % m.size ? v : tuple(atom('changed'), v)]));
        expect(equals(m, copy)).toBe(byScan(m, copy));
        expect(equals(copy, m)).toBe(byScan(copy, m));
      }),
      { numRuns: 200 },
    );
  });
});
