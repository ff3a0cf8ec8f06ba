/**
 * Which language a term literal is written in, for `syntax: 'auto'`. A mark
 * is text only one of the two languages can read as data; outside quoted
 * text:
 *
 * - Elixir marks: a `:` (`:ok`, `:"a b"`, `key:`, `::`), `%{` or `%Name{`,
 *   a capitalised name (`MyApp.Foo`), `?a`, `0x`/`0o`/`0b`, a `~` sigil, or
 *   a `#` comment.
 * - Erlang marks: `#{`, a bare lowercase atom (`ok`, `node@host`: a variable
 *   in Elixir), `$a`, `16#ff`, `Value:Size` (`<<5:3>>`), a `/` (as in
 *   `<<"é"/utf8>>`) or a `%` comment.
 * - Marks of both: a TermSyntaxError naming one of each.
 * - No mark (numbers, `true`, `false`, `nil`, strings, lists, tuples,
 *   `<<1, 2>>`): Erlang, as before Elixir was accepted, so `["abc"]` stays a
 *   charlist and `['a']` an atom. Add a mark or name the syntax for Elixir's
 *   binary and charlist.
 */
import { isDigit, isLower, isNameChar, isUpper, TermSyntaxError } from './term-text.js';

export type Syntax = 'erlang' | 'elixir';

const SIGIL_CLOSE: Record<string, string> = { '(': ')', '[': ']', '{': '}', '<': '>', '"': '"', "'": "'", '/': '/', '|': '|' };

export interface Detected {
  readonly syntax: Syntax;
  /** The first mark that decided it, absent when none did (Erlang by default). */
  readonly mark?: { readonly offset: number; readonly text: string };
}

export function detectSyntax(text: string): Detected {
  let erlang: { offset: number; text: string } | undefined;
  let elixir: { offset: number; text: string } | undefined;
  const mark = (lang: Syntax, offset: number, end: number): void => {
    const m = { offset, text: text.slice(offset, end) };
    if (lang === 'erlang') erlang ??= m;
    else elixir ??= m;
  };
  let i = 0;
  const n = text.length;
  /** Past a quoted run from the opening quote at `i` to `q`. */
  const skipQuoted = (q: string): void => {
    i++;
    while (i < n && text[i] !== q) i += text[i] === '\\' ? 2 : 1;
    i++;
  };
  /** Past the character after `$` or `?` (an escape included). */
  const skipChar = (): void => {
    if (text[i] === '\\') {
      i += 2;
      if (text[i - 1] === 'x' && text[i] === '{') while (i < n && text[i - 1] !== '}') i++;
    } else i += (text.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
  };
  while (i < n) {
    const c = text[i]!;
    const at = i;
    if (c === '"' || c === "'") skipQuoted(c);
    else if (c === ':') {
      i++;
      const type = text[i] === ':'; // <<x::size(4)>>: the type (size, utf8) is no bare atom
      if (type) i++;
      while (i < n && isNameChar(text[i])) i++;
      mark('elixir', at, type ? at + 2 : Math.max(i, at + 1));
    } else if (c === '%') {
      if (text[i + 1] === '{' || isUpper(text[i + 1])) {
        mark('elixir', at, at + 2);
        i++;
      } else {
        mark('erlang', at, at + 1); // a comment
        while (i < n && text[i] !== '\n') i++;
      }
    } else if (c === '#') {
      if (text[i + 1] === '{') {
        mark('erlang', at, at + 2);
        i++;
      } else {
        mark('elixir', at, at + 1); // a comment
        while (i < n && text[i] !== '\n') i++;
      }
    } else if (c === '$') {
      i++;
      skipChar();
      mark('erlang', at, i);
    } else if (c === '?') {
      i++;
      skipChar();
      mark('elixir', at, i);
    } else if (c === '~') {
      mark('elixir', at, at + 2);
      i += 2;
      const close = SIGIL_CLOSE[text[i] ?? ''];
      if (/[a-zA-Z]/.test(text[i - 1] ?? '') && close !== undefined) {
        skipQuoted(close); // the body: ~w(a b) holds no bare atoms
        while (i < n && /[a-zA-Z]/.test(text[i]!)) i++; // modifiers, as in ~w(a b)a
      }
    } else if (c === '/') {
      mark('erlang', at, at + 1);
      i++;
    } else if (isDigit(c)) {
      while (i < n && (/[0-9a-zA-Z_#]/.test(text[i]!) || (text[i] === '.' && isDigit(text[i + 1])))) i++;
      const num = text.slice(at, i);
      if (num.includes('#')) mark('erlang', at, i);
      else if (/^0[xob]/.test(num)) mark('elixir', at, i);
      if (text[i] === ':' && isDigit(text[i + 1])) {
        mark('erlang', i, i + 1); // <<5:3>>: Value:Size
        i++;
      }
    } else if (isLower(c) || c === '_' || /[\p{Lo}\p{Lm}]/u.test(c)) {
      while (i < n && isNameChar(text[i])) i++;
      if (text[i] === '?' || text[i] === '!') i++;
      const name = text.slice(at, i);
      if (text[i] === ':' && text[i + 1] !== ':') mark('elixir', at, i + 1); // a keyword key
      else if (name !== 'true' && name !== 'false' && name !== 'nil') mark('erlang', at, i); // nil: the atom nil in both
    } else if (isUpper(c)) {
      while (i < n && (isNameChar(text[i]) || (text[i] === '.' && isUpper(text[i + 1])))) i++;
      mark('elixir', at, i);
    } else i++;
  }
  if (erlang !== undefined && elixir !== undefined) {
    const [first, second] = erlang.offset < elixir.offset ? [erlang, elixir] : [elixir, erlang];
    const lang = (m: typeof erlang): string => (m === erlang ? 'Erlang' : 'Elixir');
    throw new TermSyntaxError(
      second.offset,
      `${JSON.stringify(first.text)} at offset ${first.offset} is ${lang(first)} syntax but ${JSON.stringify(second.text)} is ${lang(second)}; write one language, or name it (--elixir)`,
    );
  }
  if (elixir !== undefined) return { syntax: 'elixir', mark: elixir };
  if (erlang !== undefined) return { syntax: 'erlang', mark: erlang };
  return { syntax: 'erlang' };
}
