// Receive patterns: literals by =:=, wildcards, typed bindings, guards, tuples, lists, maps.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { atom, float, tuple, Atom, Pid, Reference, type Term } from '../../runtime/index.js';
import { P, _, on, type Pattern, type PatternLike, type ProcessContext } from '../../runtime/process/index.js';
import { matchClauses } from '../../runtime/process/mailbox.js';

/** The bindings `pattern` produces for `value`, or undefined when it does not match. */
function match(pattern: Pattern<any, any> | Term, value: Term): Record<string, Term> | undefined {
  const hit = matchClauses([on(pattern, (b) => b)], value);
  return hit === undefined ? undefined : { ...hit.bindings };
}

const pid = new Pid(atom('a@h'), 1, 0, 3);
const ref = new Reference(atom('a@h'), 3, [1, 2, 3]);

describe('literals compare with =:=', () => {
  it('atoms, booleans as atoms, integers across number/bigint, floats apart from integers', () => {
    expect(match(atom('ok'), atom('ok'))).toEqual({});
    expect(match(atom('ok'), atom('error'))).toBeUndefined();
    expect(match(atom('true'), true)).toEqual({});
    expect(match(true, atom('true'))).toEqual({});
    expect(match(1, 1n)).toEqual({});
    expect(match(1, float(1))).toBeUndefined();
    expect(match(float(1), float(1))).toEqual({});
  });

  it('binaries: a JS string equals the binary of its UTF-8', () => {
    expect(match('héllo', new TextEncoder().encode('héllo'))).toEqual({});
    expect(match(P.binary('hi'), 'hi')).toEqual({});
    expect(match(P.binary(), atom('hi'))).toBeUndefined();
  });

  it('pids and references by value, not identity', () => {
    expect(match(P.pid(pid), new Pid(atom('a@h'), 1, 0, 3))).toEqual({});
    expect(match(P.pid(pid), new Pid(atom('a@h'), 1, 0, 4))).toBeUndefined();
    expect(match(P.ref(ref), new Reference(atom('a@h'), 3, [1, 2, 3]))).toEqual({});
    expect(match(P.ref(), pid)).toBeUndefined();
    expect(match(P.pid(), pid)).toEqual({});
  });
});

describe('structure', () => {
  it('tuples by arity, with wildcards and bindings', () => {
    const p = P.tuple(atom('reply'), P.ref(ref), P.bind('value'));
    expect(match(p, tuple(atom('reply'), ref, [1, 2]))).toEqual({ value: [1, 2] });
    expect(match(p, tuple(atom('reply'), ref))).toBeUndefined();
    expect(match(p, [atom('reply'), ref, 1])).toBeUndefined(); // a list is not a tuple
    expect(match(P.tuple(_, _), tuple(1, 2))).toEqual({});
  });

  it('rest: at least the fixed elements, the remainder bound as an array', () => {
    expect(match(P.tuple(atom('log'), P.rest('args')), tuple(atom('log'), 1, 2))).toEqual({ args: [1, 2] });
    expect(match(P.tuple(atom('log'), P.rest()), tuple(atom('log')))).toEqual({});
    expect(match(P.list(1, P.rest('tail')), [1, 2, 3])).toEqual({ tail: [2, 3] });
    expect(match(P.list(1, 2), [1, 2, 3])).toBeUndefined();
  });

  it('listOf: every element', () => {
    expect(match(P.listOf(P.integer()), [1, 2n, 3])).toEqual({});
    expect(match(P.listOf(P.integer()), [1, 'x'])).toBeUndefined();
  });

  it('maps: a subset match on Maps and plain objects', () => {
    const p = P.map({ id: P.bind('id', P.integer()), name: _ });
    expect(match(p, new Map<Term, Term>([[atom('id'), 5], [atom('name'), 'x'], [atom('extra'), 1]]))).toEqual({ id: 5 });
    expect(match(p, { id: 6, name: 'y' })).toEqual({ id: 6 });
    expect(match(p, { id: 6 })).toBeUndefined();
    expect(match(P.mapOf(new Map<Term, PatternLike>([[tuple(1, 2), P.bind('v')]])), new Map<Term, Term>([[tuple(1, 2), 'found']]))).toEqual({ v: 'found' });
  });

  it('a name bound twice must hold equal values', () => {
    const same = P.tuple(P.bind('x'), P.bind('x'));
    expect(match(same, tuple(1, 1))).toEqual({ x: 1 });
    expect(match(same, tuple(1, 2))).toBeUndefined();
  });

  it('or: the first alternative that matches', () => {
    const p = P.or(P.tuple(atom('ok'), P.bind('v')), atom('empty'));
    expect(match(p, tuple(atom('ok'), 1))).toEqual({ v: 1 });
    expect(match(p, atom('empty'))).toEqual({});
    expect(match(p, atom('full'))).toBeUndefined();
  });
});

describe('guards', () => {
  it('when() sees the bindings; a throwing guard is no match', () => {
    const big = P.tuple(atom('n'), P.bind('n', P.integer())).when(({ n }) => n > 10);
    expect(match(big, tuple(atom('n'), 11))).toEqual({ n: 11 });
    expect(match(big, tuple(atom('n'), 3))).toBeUndefined();
    const throws = _.when(() => {
      throw new Error('guard bug');
    });
    expect(match(throws, 1)).toBeUndefined();
  });

  it('is(): a predicate as a pattern', () => {
    const even = P.is((v) => typeof v === 'number' && v % 2 === 0);
    expect(match(even, 4)).toEqual({});
    expect(match(even, 3)).toBeUndefined();
  });

  it('types: number kinds', () => {
    expect(match(P.float(), 1.5)).toEqual({});
    expect(match(P.float(), float(2))).toEqual({});
    expect(match(P.float(), 2)).toBeUndefined();
    expect(match(P.number(), 2n)).toEqual({});
    expect(match(P.atom(), false)).toEqual({});
  });
});

describe('typed bindings', () => {
  it('infers binding names and value types', () => {
    const c = on(P.tuple(atom('reply'), P.ref(), P.bind('value', P.integer()), P.bind('from', P.pid())), (b) => b);
    type B = ReturnType<typeof c.handler>;
    expectTypeOf<B>().toEqualTypeOf<{ value: number | bigint; from: Pid }>();
    on(P.tuple(atom('x'), P.bind('a')), ({ a }, msg) => {
      expectTypeOf(a).toEqualTypeOf<Term>();
      expectTypeOf(msg.elements[0]).toEqualTypeOf<Atom>();
    });
    on(P.map({ k: P.bind('k', P.binary()) }), ({ k }) => expectTypeOf(k).toEqualTypeOf<Uint8Array | string | import('../../runtime/index.js').BitBinary>());
  });

  it('types receive results from the handler table and the after clause', () => {
    // Type-level only: checked by tsc, never run.
    const check = (self: ProcessContext) => {
      expectTypeOf(self.receive()).toEqualTypeOf<Promise<Term>>();
      expectTypeOf(self.receive([on(atom('a'), () => 1), on(atom('b'), async () => 'x')])).toEqualTypeOf<Promise<number | string>>();
      expectTypeOf(self.receive(on(atom('a'), () => 1), { timeout: 5, after: () => null })).toEqualTypeOf<Promise<number | null>>();
    };
    expect(typeof check).toBe('function');
  });
});
