/**
 * runtime/stubs converters: every type of the service vocabulary survives
 * JS → term → ETF bytes → term → JS, and a term of the wrong shape is refused
 * with the path to the offending place, never cast.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as C from '../../runtime/stubs/index.js';
import { decode as etfDecode, encode as etfEncode } from '../../runtime/etf/codec.js';
import { atom } from '../../runtime/term/atom.js';
import { equals } from '../../runtime/term/compare.js';
import { TermShapeError } from '../../runtime/term/shape.js';
import { Float, Pid, Reference, Tuple, type Term } from '../../runtime/term/values.js';

const pid = new Pid(atom('a@h'), 1, 2, 3);
const ref = new Reference(atom('a@h'), 3, [1, 2, 3]);

/** Through the wire and back: what a peer would send us for `v`. */
function roundTrip<T>(conv: C.Conv<T>, v: T): T {
  return C.decode(conv, etfDecode(etfEncode(C.encode(conv, v))));
}

const point = C.record('point', { x: C.integer, y: C.integer });
const shape = C.map({ kind: C.atoms('circle', 'square'), at: point, label: C.optional(C.binary) });

describe('round trips through ETF', () => {
  it.each<[string, C.Conv<unknown>, unknown]>([
    ['atom', C.atom, 'hello'],
    ['atom true (decodes as a boolean)', C.atom, 'true'],
    ['atoms', C.atoms('unix', 'win32'), 'win32'],
    ['integer', C.integer, -(2 ** 53 - 1)],
    ['bigint', C.bigint, 2n ** 100n],
    ['bigint (small)', C.bigint, 7n],
    ['float (integral)', C.float, 1],
    ['float (-0.0)', C.float, -0],
    ['float', C.float, 1.5],
    ['number (integer)', C.number, 3],
    ['number (float)', C.number, 0.25],
    ['boolean', C.boolean, false],
    ['binary', C.binary, 'héllo 🌍'],
    ['bytes', C.bytes, Uint8Array.of(0, 255, 7)],
    ['charlist', C.charlist, 'héllo 🌍'],
    ['charlist (empty)', C.charlist, ''],
    ['pid', C.pid, pid],
    ['reference', C.reference, ref],
    ['term', C.term, new Tuple([atom('x'), [1, 2]])],
    ['list', C.list(C.list(C.integer)), [[1], [], [2, 3]]],
    ['tuple', C.tuple(C.atom, C.charlist, C.float), ['ok', 'x', 2]],
    ['empty tuple', C.tuple(), []],
    ['record', point, { x: 1, y: -2 }],
    ['map with an optional key present', shape, { kind: 'circle', at: { x: 0, y: 0 }, label: 'c' }],
    ['map with an optional key absent', shape, { kind: 'square', at: { x: 1, y: 1 } }],
    ['map_of', C.mapOf(C.binary, C.list(C.atom)), new Map([['a', ['x']], ['b', []]])],
  ])('%s', (_what, conv, v) => {
    const back = roundTrip(conv, v);
    if (v instanceof Pid || v instanceof Reference || v instanceof Tuple) expect(equals(back as Term, v)).toBe(true);
    else expect(back).toEqual(v);
  });

  it('float goes out as an Erlang float even when integral, integer and number as integers', () => {
    expect(C.encode(C.float, 2)).toBeInstanceOf(Float);
    expect(C.encode(C.number, 2)).toBe(2);
    expect(C.encode(C.integer, 2)).toBe(2);
  });

  it('binary and charlist agree with fast-check strings; integers and nested lists too', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (s) => roundTrip(C.binary, s) === s && roundTrip(C.charlist, s) === s));
    fc.assert(fc.property(fc.array(fc.tuple(fc.maxSafeInteger(), fc.double({ noNaN: true, noDefaultInfinity: true }))), (xs) => {
      const conv = C.list(C.tuple(C.integer, C.float));
      expect(roundTrip(conv, xs)).toEqual(xs);
    }));
  });
});

describe('wrong shapes are refused with the path', () => {
  const refuse = (conv: C.Conv<unknown>, t: Term, path: string, detail: RegExp): void => {
    let err: unknown;
    try {
      C.decode(conv, t);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TermShapeError);
    expect((err as TermShapeError).path).toBe(path);
    expect((err as TermShapeError).detail).toMatch(detail);
    expect(C.is(conv, t)).toBe(false);
  };

  it.each<[string, C.Conv<unknown>, Term, string, RegExp]>([
    ['a binary for an atom', C.atom, 'x', 'value', /must be an atom/],
    ['an atom outside the set', C.atoms('unix', 'win32'), atom('vms'), 'value', /one of the atoms unix, win32/],
    ['a float for an integer', C.integer, 1.5, 'value', /must be an integer/],
    ['a big integer for an integer', C.integer, 2n ** 60n, 'value', /declare it bigint/],
    ['an integer for a float', C.float, 1, 'value', /must be a float/],
    ['an atom for a boolean', C.boolean, atom('yes'), 'value', /must be a boolean/],
    ['invalid UTF-8 for binary', C.binary, Uint8Array.of(0xff), 'value', /UTF-8/],
    ['a binary for a charlist', C.charlist, Uint8Array.of(97), 'value', /must be a charlist/],
    ['a surrogate in a charlist', C.charlist, [0xd800], 'value', /not a code point/],
    ['a tuple for a list', C.list(C.term), new Tuple([]), 'value', /proper list/],
    ['a bad list element', C.list(C.integer), [1, 2, atom('x')], 'value[2]', /must be an integer/],
    ['a tuple of the wrong size', C.tuple(C.atom, C.atom), new Tuple([atom('a')]), 'value', /tuple of 2 elements/],
    ['a list for a tuple', C.tuple(C.atom), [atom('a')], 'value', /tuple of 1 elements/],
    ['a bad tuple element', C.tuple(C.atom, C.list(C.integer)), new Tuple([atom('a'), [1, 2.5]]), 'value[1][1]', /integer/],
    ['a record with the wrong tag', point, new Tuple([atom('pt'), 1, 2]), 'value', /#point\{\} record/],
    ['a bad record field', point, new Tuple([atom('point'), 1, atom('y')]), 'value.y', /integer/],
    ['a map without a required key', shape, new Map<Term, Term>([[atom('kind'), atom('circle')]]), 'value', /has no key at/],
    ['a bad nested map value', shape, new Map<Term, Term>([[atom('kind'), atom('circle')], [atom('at'), new Tuple([atom('point'), 1, 'no'])]]), 'value.at.y', /integer/],
    ['a bad optional value', shape, new Map<Term, Term>([[atom('kind'), atom('circle')], [atom('at'), new Tuple([atom('point'), 1, 2])], [atom('label'), 5]]), 'value.label', /binary/],
    ['a bad map_of key', C.mapOf(C.atom, C.integer), new Map<Term, Term>([[1, 2]]), 'value[1]', /must be an atom/],
    ['a bad map_of value', C.mapOf(C.atom, C.integer), new Map<Term, Term>([[atom('k'), atom('v')]]), 'value[k]', /must be an integer/],
    ['a list for a map', C.mapOf(C.term, C.term), [], 'value', /must be a map/],
    ['an atom for a fixed-key map', shape, atom('circle'), 'value', /must be a map/],
    ['a pid for a map_of', C.mapOf(C.term, C.term), pid, 'value', /must be a map/],
  ])('%s', (_what, conv, t, path, detail) => refuse(conv, t, path, detail));

  it('terms built in JS rather than decoded: small bigints and the atoms true/false', () => {
    expect(C.decode(C.integer, 5n)).toBe(5);
    expect(C.decode(C.number, -5n)).toBe(-5);
    expect(C.decode(C.boolean, atom('true'))).toBe(true);
    expect(C.decode(C.boolean, atom('false'))).toBe(false);
    expect(() => C.decode(C.integer, 2n ** 53n)).toThrow(/declare it bigint/);
  });

  it('extra keys of a fixed-key map are ignored; a plain-object map term is read too', () => {
    const t = new Map<Term, Term>([[atom('kind'), atom('square')], [atom('at'), new Tuple([atom('point'), 1, 2])], [atom('extra'), 1]]);
    expect(C.decode(shape, t)).toEqual({ kind: 'square', at: { x: 1, y: 2 } });
    expect(C.decode(C.map({ a: C.integer }), { a: 1 })).toEqual({ a: 1 });
  });

  it('encoding checks the JS value as well (for callers without types)', () => {
    expect(() => C.encode(C.integer, 1.5)).toThrow(/value: must be an integer within/);
    expect(() => C.encode(C.atom, 'x'.repeat(256))).toThrow(/too long for an atom/);
    expect(() => C.encode(C.tuple(C.atom), [] as never)).toThrow(/value: must be an array of 1 elements/);
    expect(() => C.encode(point, { x: 1 } as never)).toThrow(/value: has no field y/);
    expect(() => C.encode(C.list(C.float), [1, Number.NaN])).toThrow(/value\[1\]: must be a finite number/);
    expect(() => C.encode(C.term, null as never)).toThrow(/value: must be a term/);
    expect(() => C.encode(C.atoms('a'), 'b' as never)).toThrow(/one of the atoms a/);
  });
});
