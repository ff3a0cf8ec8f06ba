/**
 * Term literals as `beamwire rpc` takes its argument list, in Erlang's syntax
 * or Elixir's (elixir-literals.ts), chosen by `syntax` or detected
 * (term-syntax.ts). Erlang, read here: integers (`-12`, `16#ff`, `1_000`, `$a`),
 * floats (`1.5`, `2.0e-3`), atoms (`ok`, `'quoted atom'`, `true`/`false` as
 * booleans), strings (`"abc"`, a charlist: a list of code points; adjacent
 * strings join), binaries (`<<"text">>`, `<<"é"/utf8>>`, `<<1,2,3>>`), lists
 * (`[a, b | T]` included), tuples and maps (`#{k => v}`). An optional
 * trailing `.` is allowed. Anything else is a TermSyntaxError naming the
 * offset. No variables, funs, pids or expressions: the text is data.
 */
import { atom } from '../term/atom.js';
import { equals } from '../term/compare.js';
import { ImproperList, Tuple, type Term } from '../term/values.js';
import { parseElixir } from './elixir-literals.js';
import { BitWriter, Cursor, integer, isDigit, isLower, isNameChar, MAX_DEPTH, MAX_SEGMENT_BITS, TermSyntaxError } from './term-text.js';
import { detectSyntax, type Syntax } from './term-syntax.js';

export { TermSyntaxError } from './term-text.js';
export { detectSyntax, type Detected, type Syntax } from './term-syntax.js';

export interface ParseOptions {
  /** Which language the text is in; 'auto' (the default) decides by detectSyntax's rule. */
  readonly syntax?: Syntax | 'auto';
}

/** Parses one term literal. */
export function parseTerm(text: string, options: ParseOptions = {}): Term {
  const syntax = options.syntax ?? 'auto';
  if (syntax === 'elixir' || (syntax === 'auto' && detectSyntax(text).syntax === 'elixir')) return parseElixir(text);
  return parseErlang(text);
}

/** Parses an argument list: the text must be a proper list (`[]`, `[1, a]`; Elixir: `[1, :a]`, `[a: 1]`). */
export function parseTermList(text: string, options: ParseOptions = {}): Term[] {
  const t = parseTerm(text, options);
  if (!Array.isArray(t)) throw new TermSyntaxError(0, 'the arguments must be a list, such as [1, "two", three] (Erlang) or [1, "two", :three] (Elixir)');
  return t;
}

/** The name parseTermList had; kept so callers written against it still work. Prefer parseTermList (node:util has a parseArgs). */
export const parseArgs = parseTermList;

const utf8 = new TextEncoder();

/** One Erlang term literal, an optional trailing `.` included. */
function parseErlang(text: string): Term {
  const p = new ErlangParser(text);
  p.skip();
  const t = p.term(0);
  p.skip();
  if (p.peek() === '.') {
    p.pos++;
    p.skip();
  }
  if (p.pos < text.length) throw new TermSyntaxError(p.pos, `unexpected ${JSON.stringify(text[p.pos])} after the term`);
  return t;
}

class ErlangParser extends Cursor {
  /** Whitespace and `%` comments. */
  skip(): void {
    for (;;) {
      const c = this.s[this.pos];
      if (c === undefined) return;
      if (/\s/u.test(c)) this.pos++;
      else if (c === '%') while (this.pos < this.s.length && this.s[this.pos] !== '\n') this.pos++;
      else return;
    }
  }

  private expect(ch: string): void {
    this.skip();
    if (this.s[this.pos] !== ch) throw this.fail(`expected ${JSON.stringify(ch)}`);
    this.pos++;
  }

  term(depth: number): Term {
    if (depth > MAX_DEPTH) throw new TermSyntaxError(this.pos, `nested deeper than ${MAX_DEPTH}`);
    this.skip();
    const c = this.peek();
    if (c === '[') return this.list(depth);
    if (c === '{') return this.tuple(depth);
    if (c === '#') return this.map(depth);
    if (c === '<' && this.s[this.pos + 1] === '<') return this.binary();
    if (c === '"') return this.strings();
    if (c === "'") return atom(this.quoted("'"));
    if (c === '$') return this.char();
    if (c === '-' || c === '+' || isDigit(c)) return this.number();
    if (isLower(c)) {
      const start = this.pos;
      while (isNameChar(this.peek())) this.pos++;
      const name = this.s.slice(start, this.pos);
      return name === 'true' ? true : name === 'false' ? false : atom(name);
    }
    throw this.fail('expected a term');
  }

  private list(depth: number): Term {
    this.pos++; // [
    const elements: Term[] = [];
    this.skip();
    if (this.peek() === ']') {
      this.pos++;
      return elements;
    }
    for (;;) {
      elements.push(this.term(depth + 1));
      this.skip();
      const c = this.peek();
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === '|') {
        this.pos++;
        const tail = this.term(depth + 1);
        this.expect(']');
        if (Array.isArray(tail)) return [...elements, ...tail];
        return new ImproperList(elements, tail);
      }
      if (c === ']') {
        this.pos++;
        return elements;
      }
      throw this.fail("expected ',', '|' or ']' in a list");
    }
  }

  private tuple(depth: number): Term {
    this.pos++; // {
    const elements = this.sequence('}', depth);
    return new Tuple(elements);
  }

  /** Terms separated by commas up to `close`. */
  private sequence(close: string, depth: number): Term[] {
    const out: Term[] = [];
    this.skip();
    if (this.peek() === close) {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.term(depth + 1));
      this.skip();
      const c = this.peek();
      if (c === ',') this.pos++;
      else if (c === close) {
        this.pos++;
        return out;
      } else throw this.fail(`expected ',' or '${close}'`);
    }
  }

  private map(depth: number): Term {
    this.pos++; // #
    if (this.peek() !== '{') throw this.fail("expected '{' after '#' (a map is #{K => V})");
    this.pos++;
    const m = new Map<Term, Term>();
    const keys: Term[] = [];
    this.skip();
    if (this.peek() === '}') {
      this.pos++;
      return m;
    }
    for (;;) {
      this.skip();
      const at = this.pos;
      const k = this.term(depth + 1);
      this.skip();
      if (this.s.startsWith('=>', this.pos)) this.pos += 2;
      else throw this.fail("expected '=>' in a map");
      const v = this.term(depth + 1);
      if (keys.some((x) => equals(x, k))) throw new TermSyntaxError(at, 'a map key appears twice');
      keys.push(k);
      m.set(k, v);
      this.skip();
      const c = this.peek();
      if (c === ',') this.pos++;
      else if (c === '}') {
        this.pos++;
        return m;
      } else throw this.fail("expected ',' or '}' in a map");
    }
  }

  /** `<<"text">>`, `<<"text"/utf8>>`, `<<1, 2, 255>>`, `<<5:3>>`, `<<233/utf8>>` and mixes of them. */
  private binary(): Term {
    this.pos += 2; // <<
    const out = new BitWriter();
    this.skip();
    if (this.s.startsWith('>>', this.pos)) {
      this.pos += 2;
      return new Uint8Array(0);
    }
    for (;;) {
      this.skip();
      const at = this.pos;
      if (this.peek() === '"') {
        const text = this.quoted('"');
        this.skip();
        if (this.s.startsWith('/utf8', this.pos)) {
          this.pos += 5;
          for (const b of utf8.encode(text)) out.push(BigInt(b), 8);
        } else {
          for (const ch of text) {
            const cp = ch.codePointAt(0)!;
            if (cp > 255) throw new TermSyntaxError(at, `${JSON.stringify(ch)} does not fit a byte: write <<"..."/utf8>> for UTF-8`);
            out.push(BigInt(cp), 8);
          }
        }
      } else {
        const n = BigInt(this.integerOnly() as number | bigint);
        if (this.peek() === ':' && isDigit(this.peek(1))) {
          this.pos++;
          const size = Number(this.digits());
          if (size > MAX_SEGMENT_BITS) throw new TermSyntaxError(at, `a segment of more than ${MAX_SEGMENT_BITS} bits`);
          out.push(n, size); // truncated to Size bits, as Erlang does
        } else if (this.s.startsWith('/utf8', this.pos)) {
          this.pos += 5;
          if (n < 0n || n > 0x10ffffn || (n >= 0xd800n && n <= 0xdfffn)) throw new TermSyntaxError(at, `${n} is not a code point`);
          for (const b of utf8.encode(String.fromCodePoint(Number(n)))) out.push(BigInt(b), 8);
        } else if (n < 0n || n > 255n) throw new TermSyntaxError(at, 'a binary segment must be a byte (0..255), Value:Size or a string');
        else out.push(n, 8);
      }
      this.skip();
      if (this.peek() === ',') {
        this.pos++;
        continue;
      }
      if (this.s.startsWith('>>', this.pos)) {
        this.pos += 2;
        return out.done();
      }
      throw this.fail("expected ',' or '>>' in a binary");
    }
  }

  private integerOnly(): Term {
    const at = this.pos;
    const t = this.number();
    if (typeof t !== 'number' && typeof t !== 'bigint') throw new TermSyntaxError(at, 'expected an integer');
    if (typeof t === 'number' && !Number.isInteger(t)) throw new TermSyntaxError(at, 'expected an integer');
    return t;
  }

  /** One or more adjacent "..." strings: a charlist (list of code points). */
  private strings(): Term {
    let text = '';
    do {
      text += this.quoted('"');
      this.skip();
    } while (this.peek() === '"');
    return [...text].map((ch) => ch.codePointAt(0)!);
  }

  /** `$a`, `$\n`: the code point. */
  private char(): Term {
    this.pos++; // $
    const c = this.s[this.pos];
    if (c === undefined) throw this.fail('expected a character after $');
    if (c === '\\') return this.escape().codePointAt(0)!;
    const cp = this.s.codePointAt(this.pos)!;
    this.pos += cp > 0xffff ? 2 : 1;
    return cp;
  }

  /** The text between `q` quotes, escapes resolved. */
  quoted(q: string): string {
    const start = this.pos;
    this.pos++; // opening quote
    let out = '';
    for (;;) {
      const c = this.s[this.pos];
      if (c === undefined) throw new TermSyntaxError(start, `the quote ${q} is never closed`);
      if (c === q) {
        this.pos++;
        return out;
      }
      if (c === '\\') out += this.escape();
      else {
        out += c;
        this.pos++;
      }
    }
  }

  /** An escape sequence starting at the backslash, as Erlang reads it. */
  private escape(): string {
    const at = this.pos;
    this.pos++; // backslash
    const c = this.s[this.pos];
    if (c === undefined) throw new TermSyntaxError(at, 'an escape is cut off');
    this.pos++;
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', s: ' ', e: '\x1b', b: '\b', f: '\f', v: '\v', d: '\x7f', '\\': '\\', '"': '"', "'": "'" };
    if (simple[c] !== undefined) return simple[c];
    if (c >= '0' && c <= '7') {
      let digits = c;
      while (digits.length < 3 && /[0-7]/.test(this.s[this.pos] ?? '')) digits += this.s[this.pos++];
      return String.fromCodePoint(parseInt(digits, 8));
    }
    if (c === 'x') {
      let hex: string;
      if (this.s[this.pos] === '{') {
        const end = this.s.indexOf('}', this.pos);
        if (end < 0) throw new TermSyntaxError(at, '\\x{ is never closed');
        hex = this.s.slice(this.pos + 1, end);
        this.pos = end + 1;
      } else {
        hex = this.s.slice(this.pos, this.pos + 2);
        this.pos += 2;
      }
      const cp = /^[0-9a-fA-F]+$/.test(hex) ? parseInt(hex, 16) : NaN;
      if (!(cp <= 0x10ffff)) throw new TermSyntaxError(at, `\\x${hex} is not a code point`);
      return String.fromCodePoint(cp);
    }
    if (c === '^') {
      const ch = this.s[this.pos++];
      if (ch === undefined) throw new TermSyntaxError(at, 'an escape is cut off');
      return String.fromCharCode(ch.charCodeAt(0) & 31);
    }
    return c; // Erlang: an unknown escape is the character itself.
  }

  /** Integers (any size, `Base#digits`, `_` separators) and floats. */
  number(): Term {
    const start = this.pos;
    let sign = 1n;
    if (this.peek() === '-' || this.peek() === '+') {
      if (this.peek() === '-') sign = -1n;
      this.pos++;
      this.skip();
    }
    const digitsAt = this.pos;
    const whole = this.digits();
    if (whole === '') throw new TermSyntaxError(start, 'expected a number');
    if (this.peek() === '#') {
      const base = Number(whole);
      if (!(base >= 2 && base <= 36)) throw new TermSyntaxError(digitsAt, `base ${whole} is not in 2..36`);
      this.pos++;
      const from = this.pos;
      while (/[0-9a-zA-Z_]/.test(this.peek() ?? '')) this.pos++;
      const text = this.s.slice(from, this.pos).replaceAll('_', '').toLowerCase();
      let n = 0n;
      for (const ch of text) {
        const d = parseInt(ch, 36);
        if (!(d < base)) throw new TermSyntaxError(from, `${JSON.stringify(ch)} is not a base-${base} digit`);
        n = n * BigInt(base) + BigInt(d);
      }
      if (text === '') throw new TermSyntaxError(from, `expected base-${base} digits`);
      return integer(sign * n);
    }
    if (this.peek() === '.' && isDigit(this.s[this.pos + 1])) return this.fraction(start, whole, sign);
    return integer(sign * BigInt(whole));
  }
}

/**
 * The module atom a MODULE argument names. Elixir (and 'auto') read
 * `MyApp.Foo` as its alias `Elixir.MyApp.Foo` and `:lists` as `lists`;
 * anything else, and every name in 'erlang' mode, is taken as written.
 */
export function moduleName(text: string, options: ParseOptions = {}): string {
  if ((options.syntax ?? 'auto') === 'erlang') return text;
  if (text.startsWith(':') && text.length > 1) return text.slice(1);
  if (/^\p{Lu}[\p{L}\p{N}_]*(\.\p{Lu}[\p{L}\p{N}_]*)*$/u.test(text) && !text.startsWith('Elixir.')) return `Elixir.${text}`;
  return text;
}
