/**
 * The term-literal readers `beamwire rpc` feeds user text to: whatever the
 * text, in every syntax mode, parseTerm returns a term or throws a
 * TermSyntaxError, never another error (RangeError from a bad code point,
 * a stack overflow, a TypeError). Inputs are random strings over the
 * characters that matter to either language, and valid literals with a few
 * characters replaced. TERM_FUZZ_RUNS raises the count (200,000 ran clean).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTerm, TermSyntaxError } from '../../runtime/cli/term-parser.js';

const RUNS = Number(process.env['TERM_FUZZ_RUNS'] ?? 3000);

const VALID = [
  '[1, "two", three, 16#ff, $a, 2.5e-3]',
  '#{a => <<"x"/utf8, 5:3>>, {t} => [1 | 2]}',
  '[a: 1, b: %{"k" => :v, c: nil}]',
  '<<1::size(3), "é"::binary, 233::utf8>>',
  '~w(a b)a',
  '[?\\x{1F600}, ?a, 0xFF_FF, 0b1, -0o7]',
  '%URI{host: \'x\', port: 80}',
  "['a\\x{10FFFF}', \"\\u{D7FF}\"]",
  '[:"quoted atom", :+, MyApp.Foo, 日本: 1]',
];
const PIECES = [...'[]{}<>#%:"\'$?~/\\|,.=>-+_0123456789abexyzABEXYZ@ \n\té日'.split(''), '::', '=>', '#{', '%{', '<<', '>>', '\\x{', '\\u{', '16#', '0x', ':size(', '/utf8'];
const piece = fc.constantFrom(...PIECES);

const arbText = fc.oneof(
  fc.array(piece, { maxLength: 40 }).map((a) => a.join('')),
  fc.tuple(fc.constantFrom(...VALID), fc.nat(), fc.nat(3), fc.array(piece, { maxLength: 3 })).map(([s, at, cut, ins]) => {
    const i = at % (s.length + 1);
    return s.slice(0, i) + ins.join('') + s.slice(i + cut);
  }),
);

describe('parseTerm on hostile text', () => {
  it('only TermSyntaxError escapes, in erlang, elixir and auto modes', () => {
    fc.assert(
      fc.property(arbText, (text) => {
        for (const syntax of ['erlang', 'elixir', 'auto'] as const) {
          try {
            parseTerm(text, { syntax });
          } catch (e) {
            if (!(e instanceof TermSyntaxError)) throw new Error(`${syntax} ${JSON.stringify(text)}: ${String(e)}`);
            expect(e.offset).toBeGreaterThanOrEqual(0);
            expect(e.offset).toBeLessThanOrEqual(text.length);
          }
        }
      }),
      { numRuns: RUNS, seed: 20261207 },
    );
  });

  it('the valid seeds parse in their own language (the mutations start from real literals)', () => {
    for (const text of VALID) expect(() => parseTerm(text), text).not.toThrow();
  });
});
