/**
 * Whatever a peer sends, a stub converter either returns a value of its type
 * or refuses with TermShapeError (through C.decode), and an exposed adapter
 * with BadArgError or UndefError: nothing else escapes (no TypeError from a
 * term of a kind nobody expected), as only DecodeError may escape the codec.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exposeLists, type ListsServer } from '../../generated/services/lists.js';
import { osType, timestamp } from '../../generated/services/os.js';
import * as C from '../../runtime/stubs/index.js';
import { atom } from '../../runtime/term/atom.js';
import { TermShapeError } from '../../runtime/term/shape.js';
import { Tuple, type Term } from '../../runtime/term/values.js';
import { arbCharlist, arbTerm } from '../support/arbitrary.js';

const convs: [string, C.Conv<unknown>][] = [
  ['atom', C.atom],
  ['atoms', C.atoms('a', 'true')],
  ['integer', C.integer],
  ['bigint', C.bigint],
  ['float', C.float],
  ['number', C.number],
  ['boolean', C.boolean],
  ['binary', C.binary],
  ['bytes', C.bytes],
  ['charlist', C.charlist],
  ['pid', C.pid],
  ['reference', C.reference],
  ['list', C.list(C.integer)],
  ['tuple', C.tuple(C.atom, C.term)],
  ['map', C.map({ a: C.integer, b: C.optional(C.list(C.binary)) })],
  ['map_of', C.mapOf(C.atom, C.number)],
  ['record', C.record('r', { x: C.charlist })],
  ['os_type', osType],
  ['timestamp', timestamp],
];

/** Terms that sometimes fit: the arbitrary ones, and near misses of the shapes above. */
const arbInput: fc.Arbitrary<Term> = fc.oneof(
  arbTerm,
  fc.oneof(arbTerm, arbCharlist).map((x): Term => new Tuple([atom('r'), x])),
  fc.constantFrom<Term>(new Tuple([atom('unix'), atom('linux')]), new Tuple([atom('win32'), 1])),
  fc.tuple(fc.integer(), fc.integer(), fc.oneof(fc.integer(), arbTerm)).map((xs): Term => new Tuple(xs)),
  fc.array(fc.oneof(fc.integer(), arbTerm), { maxLength: 4 }),
  fc.tuple(fc.oneof(fc.integer(), arbTerm), arbTerm).map(([a, b]) => new Map<Term, Term>([[atom('a'), a], [atom('b'), b]])),
);

describe('converters never throw anything but a shape error', () => {
  it.each(convs)('%s', (_name, conv) => {
    fc.assert(
      fc.property(arbInput, (t) => {
        try {
          const v = C.decode(conv, t);
          // What decodes encodes back, and decodes to the same value.
          expect(C.decode(conv, C.encode(conv, v))).toEqual(v);
        } catch (e) {
          if (!(e instanceof TermShapeError)) throw e;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('an exposed adapter refuses any arguments with BadArgError or UndefError only', async () => {
    const impl: ListsServer = { reverse: (l) => l, seq: () => [], seqStep: () => [], sum: () => 0, member: () => false };
    const exposed = exposeLists(impl);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('reverse', 'seq', 'sum', 'member'), fc.array(arbInput, { maxLength: 4 }), async (f, args) => {
        try {
          await exposed[f]!(...args);
        } catch (e) {
          if (!(e instanceof C.BadArgError) && !(e instanceof C.UndefError)) throw e;
        }
      }),
      { numRuns: 300 },
    );
  });
});
