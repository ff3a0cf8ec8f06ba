/**
 * The term-literal reader `beamwire rpc` parses ARGS with
 * (runtime/cli/term-parser.ts): each case is Erlang source and the term
 * erl_parse would give, in the term model; malformed text is a
 * TermSyntaxError with the offset.
 */
import { describe, expect, it } from 'vitest';
import { parseArgs, parseTerm, TermSyntaxError } from '../../runtime/cli/term-parser.js';
import { atom, BitBinary, equals, Float, format, ImproperList, tuple } from '../../runtime/index.js';

const chars = (s: string): number[] => [...s].map((c) => c.codePointAt(0)!);

describe('parseTerm', () => {
  it('integers: decimal, signed, any size, Base#digits, _ separators, $char', () => {
    expect(parseTerm('42')).toBe(42);
    expect(parseTerm('-7')).toBe(-7);
    expect(parseTerm('+7')).toBe(7);
    expect(parseTerm('1_000_000')).toBe(1000000);
    expect(parseTerm('16#ff')).toBe(255);
    expect(parseTerm('2#1010')).toBe(10);
    expect(parseTerm('-16#FF')).toBe(-255);
    expect(parseTerm('36#z')).toBe(35);
    expect(parseTerm('9007199254740991')).toBe(9007199254740991);
    expect(parseTerm('9007199254740992')).toBe(9007199254740992n);
    expect(parseTerm('-123456789012345678901234567890')).toBe(-123456789012345678901234567890n);
    expect(parseTerm('$a')).toBe(97);
    expect(parseTerm('$\\n')).toBe(10);
    expect(parseTerm('$é')).toBe(233);
    expect(parseTerm('$😀')).toBe(0x1f600);
  });

  it('floats: a number when not integral, Float when it is (1.0 stays a float)', () => {
    expect(parseTerm('2.5')).toBe(2.5);
    expect(parseTerm('-0.125')).toBe(-0.125);
    expect(parseTerm('1.5e3')).toEqual(new Float(1500));
    expect(parseTerm('2.0E-3')).toBe(0.002);
    expect(parseTerm('1.0')).toEqual(new Float(1));
    expect(Object.is((parseTerm('-0.0') as Float).value, -0)).toBe(true);
    expect(format(parseTerm('1.0'))).toBe(format(new Float(1)));
  });

  it('atoms: bare, quoted with escapes, true/false as booleans', () => {
    expect(parseTerm('ok')).toBe(atom('ok'));
    expect(parseTerm('node@host')).toBe(atom('node@host'));
    expect(parseTerm('camelCase_1')).toBe(atom('camelCase_1'));
    expect(parseTerm("'Hello World'")).toBe(atom('Hello World'));
    expect(parseTerm("'it\\'s'")).toBe(atom("it's"));
    expect(parseTerm("''")).toBe(atom(''));
    expect(parseTerm('true')).toBe(true);
    expect(parseTerm('false')).toBe(false);
    expect(parseTerm("'true'")).toBe(atom('true'));
  });

  it('strings are charlists; escapes as Erlang reads them; adjacent strings join', () => {
    expect(parseTerm('"abc"')).toEqual(chars('abc'));
    expect(parseTerm('""')).toEqual([]);
    expect(parseTerm('"a\\nb\\t\\"q\\"\\\\"')).toEqual(chars('a\nb\t"q"\\'));
    expect(parseTerm('"\\x41\\x{1F600}\\101\\s"')).toEqual([0x41, 0x1f600, 0o101, 32]);
    expect(parseTerm('"héllo"')).toEqual(chars('héllo'));
    expect(parseTerm('"ab" "cd"')).toEqual(chars('abcd'));
    expect(parseTerm('"\\^a"')).toEqual([1]);
  });

  it('binaries: text (latin-1 bytes, or UTF-8 with /utf8), bytes, mixed', () => {
    expect(parseTerm('<<"abc">>')).toEqual(new TextEncoder().encode('abc'));
    expect(parseTerm('<<>>')).toEqual(new Uint8Array(0));
    expect(parseTerm('<<1, 2, 255>>')).toEqual(Uint8Array.of(1, 2, 255));
    expect(parseTerm('<<"é">>')).toEqual(Uint8Array.of(233));
    expect(parseTerm('<<"é"/utf8>>')).toEqual(Uint8Array.of(0xc3, 0xa9));
    expect(parseTerm('<<"a", 0, "b">>')).toEqual(Uint8Array.of(97, 0, 98));
    expect(() => parseTerm('<<"€">>')).toThrow(/does not fit a byte: write <<"\.\.\."\/utf8>>/);
    expect(() => parseTerm('<<256>>')).toThrow(/a binary segment must be a byte/);
    expect(parseTerm('<<1, 5:3>>')).toEqual(new BitBinary(Uint8Array.of(1, 0b1010_0000), 3));
    expect(parseTerm('<<-1:16, 256:8>>')).toEqual(Uint8Array.of(255, 255, 0));
    expect(parseTerm('<<233/utf8, 0:0>>')).toEqual(Uint8Array.of(0xc3, 0xa9));
    expect(() => parseTerm('<<1:100000>>')).toThrow(/a segment of more than 65536 bits/);
  });

  it('lists (proper and improper), tuples, maps, nesting, comments and a trailing dot', () => {
    expect(parseTerm('[]')).toEqual([]);
    expect(parseTerm('[1, [2, [3]]]')).toEqual([1, [2, [3]]]);
    expect(parseTerm('[1 | [2]]')).toEqual([1, 2]);
    expect(parseTerm('[1, 2 | tail]')).toEqual(new ImproperList([1, 2], atom('tail')));
    expect(parseTerm('{}')).toEqual(tuple());
    expect(parseTerm('{ok, {1, "a"}}')).toEqual(tuple(atom('ok'), tuple(1, chars('a'))));
    const m = parseTerm('#{a => 1, <<"k">> => [x], {t} => #{}}') as Map<unknown, unknown>;
    expect(m).toBeInstanceOf(Map);
    expect(m.get(atom('a'))).toBe(1);
    expect(equals(m as never, new Map<never, never>([[atom('a') as never, 1 as never], [new TextEncoder().encode('k') as never, [atom('x')] as never], [tuple(atom('t')) as never, new Map() as never]]))).toBe(true);
    expect(parseTerm('  [1, % a comment\n 2] . ')).toEqual([1, 2]);
    expect(format(parseTerm("[{a,'B c'},<<\"x\">>,2.5,-1]"))).toBe("[{a,'B c'},<<\"x\">>,2.5,-1]");
  });

  it('malformed Erlang is a TermSyntaxError with the offset', () => {
    const bad: [string, RegExp][] = [
      ['', /expected a term, got the end of the text at offset 0/],
      ['[1, 2', /expected ',', '\|' or '\]' in a list, got the end of the text at offset 5/],
      ['{a b}', /expected ',' or '}', got "b" at offset 3/],
      ['#{a => 1, a => 2}', /a map key appears twice at offset 10/],
      ['#{a}', /expected '=>' in a map/],
      ['"abc', /the quote " is never closed at offset 0/],
      ['Var', /expected a term, got "V"/],
      ['1 2', /unexpected "2" after the term at offset 2/],
      ['37#1', /base 37 is not in 2..36/],
      ['2#12', /"2" is not a base-2 digit/],
      ['#a', /expected '\{' after '#'/],
      ['fun() -> ok end', /unexpected "\(" after the term/],
    ];
    for (const [text, message] of bad) {
      let caught: unknown;
      try {
        parseTerm(text, { syntax: 'erlang' }); // in auto mode Var is an Elixir alias
      } catch (e) {
        caught = e;
      }
      expect(caught, text).toBeInstanceOf(TermSyntaxError);
      expect((caught as Error).message, text).toMatch(message);
    }
  });

  it('nesting deeper than 1000 is refused, not a stack overflow', () => {
    expect(() => parseTerm('['.repeat(5000) + ']'.repeat(5000))).toThrow(TermSyntaxError);
  });
});

describe('parseArgs', () => {
  it('takes a list and gives its elements', () => {
    expect(parseArgs('[1, two, "3"]')).toEqual([1, atom('two'), chars('3')]);
    expect(parseArgs('[]')).toEqual([]);
  });
  it('anything but a list is refused', () => {
    expect(() => parseArgs('{1, 2}')).toThrow(/the arguments must be a list/);
  });
});
