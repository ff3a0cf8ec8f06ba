/**
 * Elixir literals for `beamwire rpc` (runtime/cli/elixir-literals.ts) and the
 * 'auto' rule that tells them from Erlang's (runtime/cli/term-syntax.ts).
 * Each case is Elixir source and the term Elixir would build; the interop
 * file test/interop/elixir-literals.test.ts checks the same against elixir.
 */
import { describe, expect, it } from 'vitest';
import { formatElixir } from '../../runtime/cli/elixir-format.js';
import { detectSyntax, moduleName, parseArgs, parseTerm, parseTermList, TermSyntaxError } from '../../runtime/cli/term-parser.js';
import { atom, BitBinary, equals, Float, ImproperList, isBeamwireError, tuple, type Term } from '../../runtime/index.js';

const chars = (s: string): number[] => [...s].map((c) => c.codePointAt(0)!);
const bin = (s: string): Uint8Array => new TextEncoder().encode(s);
const ex = (text: string): Term => parseTerm(text, { syntax: 'elixir' });
const same = (text: string, want: Term): void => {
  const got = ex(text);
  expect(equals(got, want), `${text} gave ${String(got)}`).toBe(true);
};

describe("parseTerm(text, { syntax: 'elixir' })", () => {
  it('"abc" is a UTF-8 binary, \'abc\' a charlist, escapes as Elixir reads them', () => {
    expect(ex('"abc"')).toEqual(bin('abc'));
    expect(ex('"héllo €"')).toEqual(bin('héllo €'));
    expect(ex('""')).toEqual(new Uint8Array(0));
    expect(ex('"a\\nb\\t\\"q\\"\\\\\\#{x}"')).toEqual(bin('a\nb\t"q"\\#{x}'));
    expect(ex('"\\x41\\u00e9\\u{1F600}\\0\\a\\e"')).toEqual(bin('Aé\u{1f600}\0\x07\x1b'));
    expect(ex("'abc'")).toEqual(chars('abc'));
    expect(ex("'é'")).toEqual([0xe9]);
  });

  it('atoms: :ok, :"quoted", :Foo, operators, aliases as Elixir.*, true/false/nil', () => {
    expect(ex(':ok')).toBe(atom('ok'));
    expect(ex(':ok?')).toBe(atom('ok?'));
    expect(ex(':save!')).toBe(atom('save!'));
    expect(ex(':"hello world"')).toBe(atom('hello world'));
    expect(ex(":'it is'")).toBe(atom('it is'));
    expect(ex(':node@host')).toBe(atom('node@host'));
    expect(ex(':Foo')).toBe(atom('Foo'));
    expect(ex(':+')).toBe(atom('+'));
    expect(ex(':==')).toBe(atom('=='));
    expect(ex('MyApp.Foo')).toBe(atom('Elixir.MyApp.Foo'));
    expect(ex('Enum')).toBe(atom('Elixir.Enum'));
    expect(ex('true')).toBe(true);
    expect(ex(':false')).toBe(false);
    expect(ex('nil')).toBe(atom('nil'));
  });

  it('integers (_, 0x, 0o, 0b, ?a, any size) and floats', () => {
    expect(ex('1_000_000')).toBe(1000000);
    expect(ex('-42')).toBe(-42);
    expect(ex('0xFF')).toBe(255);
    expect(ex('0o17')).toBe(15);
    expect(ex('0b1010')).toBe(10);
    expect(ex('-0x10')).toBe(-16);
    expect(ex('0xFFFF_FFFF_FFFF_FFFF')).toBe(0xffffffffffffffffn);
    expect(ex('?a')).toBe(97);
    expect(ex('?\\n')).toBe(10);
    expect(ex('?é')).toBe(0xe9);
    expect(ex('1.5')).toBe(1.5);
    expect(ex('1.0e-3')).toBe(0.001);
    expect(ex('1.0')).toEqual(new Float(1));
    expect(Object.is((ex('-0.0') as Float).value, -0)).toBe(true);
  });

  it('lists, keyword lists (keywords last), improper lists, tuples', () => {
    same('[1, [2, [3]]]', [1, [2, [3]]]);
    same('[a: 1, b: "two"]', [tuple(atom('a'), 1), tuple(atom('b'), bin('two'))]);
    same('[1, 2, a: 3]', [1, 2, tuple(atom('a'), 3)]);
    same('["quoted key": 1, ok?: true]', [tuple(atom('quoted key'), 1), tuple(atom('ok?'), true)]);
    same('[a: 1,]', [tuple(atom('a'), 1)]);
    same('[1 | 2]', new ImproperList([1], 2));
    same('[1, 2 | [3]]', [1, 2, 3]);
    same('{}', tuple());
    same('{:ok, {1, "a"}}', tuple(atom('ok'), tuple(1, bin('a'))));
    same('[[a: 1], %{}]', [[tuple(atom('a'), 1)], new Map()]);
    // Keys as inspect/2 prints them: caseless letters, @, operators, quoted.
    same('[日本: 1, node@host: 2, +: 3, "\\n": 4]', [tuple(atom('日本'), 1), tuple(atom('node@host'), 2), tuple(atom('+'), 3), tuple(atom('\n'), 4)]);
    expect(ex(':日本')).toBe(atom('日本'));
  });

  it('maps: %{k => v}, %{a: 1}, both kinds together, and %Struct{}', () => {
    same('%{}', new Map());
    same('%{a: 1, "k" => [:x]}', new Map<Term, Term>([[atom('a'), 1], [bin('k'), [atom('x')]]]));
    same('%{"k" => 1, b: 2}', new Map<Term, Term>([[bin('k'), 1], [atom('b'), 2]]));
    same('%{{:t} => %{}}', new Map<Term, Term>([[tuple(atom('t')), new Map()]]));
    same('%URI{host: "h", port: 80}', new Map<Term, Term>([[atom('__struct__'), atom('Elixir.URI')], [atom('host'), bin('h')], [atom('port'), 80]]));
  });

  it('bitstrings: bytes, UTF-8 strings, ::utf8, ::size(n) and bit sizes', () => {
    expect(ex('<<1, 2, 255>>')).toEqual(Uint8Array.of(1, 2, 255));
    expect(ex('<<>>')).toEqual(new Uint8Array(0));
    expect(ex('<<"é">>')).toEqual(Uint8Array.of(0xc3, 0xa9));
    expect(ex('<<"a", 0, "b"::binary>>')).toEqual(Uint8Array.of(97, 0, 98));
    expect(ex('<<233::utf8>>')).toEqual(Uint8Array.of(0xc3, 0xa9));
    expect(ex('<<256>>')).toEqual(Uint8Array.of(0)); // truncated to 8 bits, as Elixir does
    expect(ex('<<1::16>>')).toEqual(Uint8Array.of(0, 1));
    expect(ex('<<-1::size(16)>>')).toEqual(Uint8Array.of(255, 255));
    const bits = ex('<<1::1, 5::3>>');
    expect(bits).toBeInstanceOf(BitBinary);
    expect((bits as BitBinary).bytes).toEqual(Uint8Array.of(0b1101_0000));
    expect((bits as BitBinary).bits).toBe(4);
  });

  it('sigils ~c, ~s, ~w and # comments', () => {
    expect(ex('~c"abc"')).toEqual(chars('abc'));
    expect(ex('~s(a "q")')).toEqual(bin('a "q"'));
    same('~w(a b)', [bin('a'), bin('b')]);
    same('~w[x y]a', [atom('x'), atom('y')]);
    same('[1, # one\n 2]', [1, 2]);
  });

  it('malformed Elixir is a TermSyntaxError with the offset and a hint', () => {
    const bad: [string, RegExp][] = [
      ['', /expected a term, got the end of the text at offset 0/],
      ['foo', /foo is a variable in Elixir; the atom is :foo at offset 0/],
      ['[a: 1, 2]', /after a keyword \(key: value\) only keywords may follow, got "2" at offset 7/],
      ['{a: 1}', /a keyword list inside a tuple needs brackets/],
      ['[a:1]', /a keyword key needs a space after its colon/],
      ['"#{x}"', /interpolation \(#\{\.\.\.\}\) is an expression, not data; write \\#\{ for the text at offset 1/],
      ['%{a: 1, a: 2}', /a map key appears twice at offset 8/],
      ['1e10', /expected a digit, got "e" at offset 1/],
      ['0b102', /not a base-2 digit/],
      ['Foo.bar', /an alias is Capitalised\.Segments/],
      ['<<1.5>>', /a float segment is not supported/],
      ['[1, 2].', /unexpected "\." after the term at offset 6/],
      ['~r/x/', /the sigils read here are ~c, ~s and ~w/],
      [':', /expected an atom name after ":" at offset 0/],
    ];
    for (const [text, message] of bad) {
      let caught: unknown;
      try {
        ex(text);
      } catch (e) {
        caught = e;
      }
      expect(caught, text).toBeInstanceOf(TermSyntaxError);
      expect(isBeamwireError(caught, 'TERM_SYNTAX'), text).toBe(true);
      expect((caught as Error).message, text).toMatch(message);
    }
    expect(() => ex('['.repeat(5000) + ']'.repeat(5000))).toThrow(/nested deeper than 1000/);
  });
});

describe("syntax 'auto' (the default)", () => {
  it('an Elixir mark makes it Elixir', () => {
    for (const [text, mark] of [
      ['[:ok]', ':ok'],
      ['[a: 1]', 'a:'],
      ['%{"k" => 1}', '%{'],
      ['[1, # one\n 2]', '#'],
      ['[MyApp.Foo]', 'MyApp.Foo'],
      ['[?a]', '?a'],
      ['[0xff]', '0xff'],
      ['[~c"x"]', '~c'],
      ['[~w(a b)a]', '~w'],
      ['[<<1::4>>]', '::'],
      ['[<<1::size(4)>>]', '::'],
    ]) {
      expect(detectSyntax(text!), text).toEqual({ syntax: 'elixir', mark: { offset: text!.indexOf(mark!), text: mark } });
    }
    expect(parseTermList('["abc", :ok]')).toEqual([bin('abc'), atom('ok')]);
    expect(parseTermList('[%{a: 1}]')).toEqual([new Map([[atom('a'), 1]])]);
  });

  it('an Erlang mark makes it Erlang', () => {
    for (const [text, mark] of [
      ['[ok]', 'ok'],
      ['[#{}]', '#{'],
      ['[$a]', '$a'],
      ['[16#ff]', '16#ff'],
      ['[<<"é"/utf8>>]', '/'],
      ['[<<5:3>>]', ':'],
      ['[1, % comment\n 2]', '%'],
      ['[node@host]', 'node@host'],
    ]) {
      expect(detectSyntax(text!), text).toEqual({ syntax: 'erlang', mark: { offset: text!.indexOf(mark!), text: mark } });
    }
    expect(parseTermList('["abc", ok]')).toEqual([chars('abc'), atom('ok')]);
  });

  it('no mark at all is Erlang: "abc" stays a charlist', () => {
    for (const text of ['["abc"]', '[1, 2.5, {true, false, nil}]', "['x']", '[<<1, 2>>]', '[]', '[1 | 2]']) expect(detectSyntax(text), text).toEqual({ syntax: 'erlang' });
    expect(parseTermList('["abc"]')).toEqual([chars('abc')]);
    expect(parseTermList("['a b']")).toEqual([atom('a b')]);
    expect(parseTermList('[nil, ok]')).toEqual([atom('nil'), atom('ok')]); // nil is the same atom in both
  });

  it('marks inside quotes do not count', () => {
    expect(detectSyntax('["a: #{b} %{c}", \'x:\']')).toEqual({ syntax: 'erlang' });
    // The quote after $ or ? is a character, not the start of a string.
    expect(detectSyntax('[$", 1]')).toEqual({ syntax: 'erlang', mark: { offset: 1, text: '$"' } });
    expect(detectSyntax('[?", :ok]')).toEqual({ syntax: 'elixir', mark: { offset: 1, text: '?"' } });
  });

  it('marks of both languages are a TermSyntaxError naming one of each', () => {
    expect(() => parseTermList('[ok, :ok]')).toThrow(/"ok" at offset 1 is Erlang syntax but ":ok" is Elixir; write one language, or name it \(--elixir\) at offset 5/);
    expect(() => parseTermList('%{a: #{}}')).toThrow(TermSyntaxError);
    // A pinned syntax reports the other language's mark as a plain syntax error.
    expect(() => parseTermList('[ok, :ok]', { syntax: 'erlang' })).toThrow(/expected a term, got ":" at offset 5/);
    expect(() => parseTermList('[ok, :ok]', { syntax: 'elixir' })).toThrow(/ok is a variable in Elixir/);
  });

  it('parseArgs is parseTermList', () => {
    expect(parseArgs).toBe(parseTermList);
    expect(parseArgs('[a: 1]')).toEqual([tuple(atom('a'), 1)]);
    expect(() => parseTermList('%{}')).toThrow(/the arguments must be a list/);
  });
});

describe('moduleName', () => {
  it('an alias is its Elixir. atom, :name the plain atom, except in erlang mode', () => {
    expect(moduleName('Enum')).toBe('Elixir.Enum');
    expect(moduleName('MyApp.Foo', { syntax: 'elixir' })).toBe('Elixir.MyApp.Foo');
    expect(moduleName('Elixir.Enum')).toBe('Elixir.Enum');
    expect(moduleName(':lists')).toBe('lists');
    expect(moduleName('lists')).toBe('lists');
    expect(moduleName('Enum', { syntax: 'erlang' })).toBe('Enum');
    expect(moduleName(':lists', { syntax: 'erlang' })).toBe(':lists');
  });
});

describe('formatElixir (what inspect/2 prints; test/interop/elixir-literals.test.ts checks it against elixir)', () => {
  it('scalars, atoms, aliases, strings and charlists', () => {
    const cases: [Term, string][] = [
      [1000, '1000'], [new Float(1000), '1000.0'], [new Float(1e15), '1000000000000000.0'], [new Float(1e16), '1.0e16'], [0.1, '0.1'], [new Float(-0), '-0.0'], [1e-7, '1.0e-7'],
      [2n ** 70n, '1180591620717411303424'], [true, 'true'], [atom('nil'), 'nil'], [atom('ok'), ':ok'], [atom('a b'), ':"a b"'], [atom('Elixir.Foo.Bar'), 'Foo.Bar'],
      [atom('Elixir.foo'), ':"Elixir.foo"'], [atom('Foo'), ':Foo'], [atom('+'), ':+'], [atom('::'), ':"::"'], [atom('ok?'), ':ok?'], [atom('日本'), ':日本'], [atom('\0\x01'), ':"\\0\\x01"'],
      [bin('héllo\n"#{x}"'), '"héllo\\n\\"\\#{x}\\""'], [Uint8Array.of(0xff, 1), '<<255, 1>>'], [bin(''), '""'], [chars('abc'), '~c"abc"'], [chars('it\'s "q"'), '~c"it\'s \\"q\\""'], [[233], '[233]'],
      [atom('\u0114'), ':"\u0114"'], [atom('a\u0138'), ':"a\u0138"'], [atom('\u0113'), ':\u0113'],
    ];
    for (const [t, want] of cases) expect(formatElixir(t), want).toBe(want);
  });

  it('lists, keyword lists, tuples, maps in key order, bitstrings', () => {
    expect(formatElixir([tuple(atom('a'), 1), tuple(atom('b c'), 2), tuple(atom('nil'), 3)])).toBe('[a: 1, "b c": 2, nil: 3]');
    expect(formatElixir([tuple(atom('Elixir.Foo'), 1)])).toBe('[{Foo, 1}]');
    expect(formatElixir(new ImproperList([1], 2))).toBe('[1 | 2]');
    expect(formatElixir(tuple())).toBe('{}');
    expect(formatElixir(new Map<Term, Term>([[bin('b'), 1], [atom('a'), 2], [1, 3], [new Float(1), 4], [[], 5]]))).toBe('%{1 => 3, 1.0 => 4, :a => 2, [] => 5, "b" => 1}');
    expect(formatElixir(new Map<Term, Term>([[atom('b'), 1], [atom('a'), 2]]))).toBe('%{a: 2, b: 1}');
    expect(formatElixir(new BitBinary(Uint8Array.of(1, 0b0100_0000), 3))).toBe('<<1, 2::size(3)>>');
  });

  it('what it prints, the Elixir reader reads back', () => {
    const t: Term = [tuple(atom('ok'), new Map<Term, Term>([[atom('k'), [bin('v'), chars('cl'), atom('Elixir.A.B'), new Float(1e300)]]])), tuple(atom('x y'), new ImproperList([1], atom('t')))];
    expect(equals(ex(formatElixir(t)), t)).toBe(true);
  });
});
