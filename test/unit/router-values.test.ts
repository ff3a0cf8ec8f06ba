/**
 * runtime/router/values.ts: JavaScript values through the values mapping and
 * the ETF codec come back as they were (fast-check over nested values of
 * every supported kind), what cannot cross is refused with its path, and
 * terms made elsewhere (as Erlang writes them) read as the README says.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { atom, decode, encode, EncodeError, Pid, Reference, tuple, Tuple } from '../../runtime/index.js';
import { fromTerm, toTerm } from '../../runtime/router/values.js';

const cross = (v: unknown): unknown => fromTerm(decode(encode(toTerm(v))));

/** Deep equality that tells -0 from 0, NaN from NaN's absence, a Buffer from a Uint8Array, an Error's name and cause. */
function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b);
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return a === b;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Uint8Array) return Buffer.compare(a, b as Uint8Array) === 0;
  if (a instanceof Date) return Object.is(a.getTime(), (b as Date).getTime());
  if (a instanceof Error) {
    const e = b as Error;
    return a.name === e.name && a.message === e.message && a.stack === e.stack && same(a.cause, e.cause);
  }
  if (a instanceof Map) {
    const x = [...a];
    const y = [...(b as Map<unknown, unknown>)];
    return x.length === y.length && x.every(([k, v], i) => same(k, y[i]![0]) && same(v, y[i]![1]));
  }
  if (a instanceof Set) return same([...a], [...(b as Set<unknown>)]);
  if (a instanceof Tuple) return same(a.elements, (b as Tuple).elements);
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((v, i) => same(v, (b as unknown[])[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return same(ka, kb) && ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

const leaf = fc.oneof(
  fc.string(),
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER, 2 ** 53, 2 ** 31, -(2 ** 31) - 1),
  fc.bigInt(),
  fc.bigInt({ min: -100n, max: 100n }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.date({ noInvalidDate: false }),
  fc.uint8Array().map((b) => new Uint8Array(b)),
  fc.uint8Array().map((b) => Buffer.from(b)),
  fc.constantFrom(atom('ok'), atom('nil'), atom('undefined'), atom('true'), atom('$bw_map'), atom('Elixir.Foo')),
  fc.constant(new Pid(atom('a@h'), 1, 2, 3)),
  fc.constant(new Reference(atom('a@h'), 1, [1, 2, 3])),
);

const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object'), tie('map'), tie('set'), tie('tuple'), tie('error')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  // A null-prototype object comes back with Object's prototype (README): not generated here.
  object: fc.dictionary(fc.string(), tie('value'), { maxKeys: 4, noNullPrototype: true }),
  map: fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 }).map((pairs) => new Map(pairs)),
  set: fc.array(tie('value'), { maxLength: 3 }).map((xs) => new Set(xs)),
  tuple: fc.array(tie('value'), { maxLength: 3 }).map((xs) => new Tuple(xs as never[])),
  error: fc.tuple(fc.constantFrom('Error', 'TypeError', 'RangeError', 'MyError'), fc.string(), fc.option(tie('value'), { nil: undefined })).map(([name, message, cause]) => {
    const e = cause === undefined ? new Error(message) : new Error(message, { cause });
    if (name === 'TypeError') return Object.assign(new TypeError(message, cause === undefined ? undefined : { cause }), { stack: e.stack });
    if (name === 'RangeError') return Object.assign(new RangeError(message, cause === undefined ? undefined : { cause }), { stack: e.stack });
    if (name !== 'Error') Object.defineProperty(e, 'name', { value: name, enumerable: false, writable: true, configurable: true });
    return e;
  }),
}));

describe('values cross as they were', () => {
  it('every supported value, nested, round-trips (fast-check)', () => {
    fc.assert(
      fc.property(value, (v) => same(cross(v), v)),
      { numRuns: 400 },
    );
  });

  it('the edge cases, one by one', () => {
    for (const v of [-0, NaN, Infinity, -Infinity, 5n, -5n, 2n ** 80n, 2 ** 60, 0.1, '', 'héllo', [, 1], new Date(NaN), { __proto__: 1 } as unknown])
      expect(same(cross(v), v), String(v)).toBe(true);
    expect(cross([1, , 3])).toEqual([1, undefined, 3]); // a hole is undefined
    expect(cross(Buffer.from('ab'))).toBeInstanceOf(Buffer);
    expect(cross(new Uint8Array([1]))).not.toBeInstanceOf(Buffer);
    expect(cross(new TypeError('x'))).toBeInstanceOf(TypeError);
    expect(cross(tuple(atom('$bw_set'), []))).toEqual(tuple(atom('$bw_set'), [])); // a user tuple that looks like a tag
    expect(cross(atom('nil'))).toBe(atom('nil'));
    expect(cross({ ['__proto__']: 1 } as object)).toHaveProperty('__proto__', 1);
  });
});

describe('what cannot cross is refused with its path', () => {
  const refused = (v: unknown): EncodeError => {
    try {
      toTerm(v, 'args');
    } catch (e) {
      return e as EncodeError;
    }
    throw new Error('not refused');
  };

  it('a function, a symbol, a class instance, a WeakMap', () => {
    expect(refused([1, { user: { tags: [0, 0, 0, () => 1] } }]).message).toContain('args[1].user.tags[3]: a function');
    expect(refused({ s: Symbol('x') }).path).toBe('args.s');
    expect(refused([new (class Point {})()]).message).toContain('an instance of Point');
    expect(refused(new WeakMap()).message).toContain('an instance of WeakMap');
    expect(refused(() => 1)).toBeInstanceOf(EncodeError);
    expect(refused(() => 1).code).toBe('UNSUPPORTED_VALUE');
  });

  it('a cycle, without a stack overflow; the same object twice is no cycle', () => {
    const o: Record<string, unknown> = { a: 1 };
    o.self = o;
    expect(refused(o).message).toContain('args.self: a cycle');
    let deep: unknown = 1;
    for (let i = 0; i < 5000; i++) deep = [deep];
    expect(refused(deep).code).toBe('DEPTH_LIMIT');
    const shared = { x: 1 };
    expect(cross([shared, shared])).toEqual([{ x: 1 }, { x: 1 }]);
  });
});

describe('terms made elsewhere', () => {
  it('read as Erlang means them: binaries as strings (bytes when not UTF-8), maps with binary keys as objects, others as Maps, nil as null', () => {
    expect(fromTerm(new Uint8Array([0xff, 0xfe]))).toEqual(new Uint8Array([0xff, 0xfe]));
    expect(fromTerm(Buffer.from('ok'))).toBe('ok');
    expect(fromTerm(new Map([[Buffer.from('a'), 1]]))).toEqual({ a: 1 });
    expect(fromTerm(new Map([[atom('a'), 1]]))).toEqual(new Map([[atom('a'), 1]]));
    expect(fromTerm([atom('nil'), atom('undefined'), true, atom('ok')])).toEqual([null, undefined, true, atom('ok')]);
    expect(fromTerm(tuple(atom('ok'), Buffer.from('x')))).toEqual(tuple(atom('ok'), 'x'));
  });

  it('what we write is what Erlang reads naturally', () => {
    const t = toTerm({ name: 'w1', n: 3, ratio: 0.5, tags: ['a'], none: null, big: 2n ** 70n });
    // Terms as the codec writes them: a map with binary keys, an integer, a float, a list of binaries, nil, a bignum.
    expect(t).toEqual(new Map<unknown, unknown>([['name', 'w1'], ['n', 3], ['ratio', expect.anything()], ['tags', ['a']], ['none', atom('nil')], ['big', 2n ** 70n]]));
  });
});
