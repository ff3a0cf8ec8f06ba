/**
 * Elixir term literals, read into the same term model as Erlang's:
 * `"abc"` is a UTF-8 binary, `'abc'` a charlist, `:ok` / `:"a b"` atoms,
 * `true`/`false` booleans and `nil` the atom nil, `MyApp.Foo` the atom
 * `'Elixir.MyApp.Foo'`, `[a: 1]` the list `[{a, 1}]` (keywords last, as in
 * Elixir), `%{"k" => v, a: 1}` maps (the two kinds of entry in any order,
 * which Elixir does not allow), `%Name{a: 1}` a map of the fields written
 * plus `__struct__` (no module here to fill defaults), `{...}` tuples, integers with
 * `_`, `0x`/`0o`/`0b` and `?a`, floats, `<<1, 2, "text", x::size(4)>>`
 * bitstrings, and the `~c`, `~s`, `~w` sigils. `#` starts a comment.
 * No variables, calls or interpolation: the text is data.
 */
import { atom } from '../term/atom.js';
import { equals } from '../term/compare.js';
import { ImproperList, Tuple, type Term } from '../term/values.js';
import { BitWriter, Cursor, integer, isDigit, isNameChar, isUpper, MAX_DEPTH, MAX_SEGMENT_BITS, TermSyntaxError } from './term-text.js';

export function parseElixir(text: string): Term {
  const p = new ElixirParser(text);
  p.skip();
  const t = p.term(0);
  p.skip();
  if (p.pos < text.length) throw new TermSyntaxError(p.pos, `unexpected ${JSON.stringify(text[p.pos])} after the term`);
  return t;
}

const utf8 = new TextEncoder();
/** Elixir's identifiers: a lowercase (or caseless: 日本) start makes an atom name or variable, an uppercase one an alias. */
const isNameStart = (c: string | undefined): boolean => c !== undefined && /[\p{Ll}\p{Lo}\p{Lm}\p{Nl}_]/u.test(c);
const isIdentChar = (c: string | undefined): boolean => c !== undefined && /[\p{L}\p{N}\p{Mn}\p{Mc}_@]/u.test(c);
/** Operator atoms (:+, :==), longest first; also keyword keys (+: 1) as inspect/2 prints them. */
const OPERATOR = /^(===|!==|==|!=|=~|<=|>=|&&&|\|\|\||<<<|>>>|~~~|&&|\|\||<>|\+\+|--|->|<-|\.\.|\|>|[-+*/<>!&|^@])/;
const chars = (s: string): number[] => [...s].map((ch) => ch.codePointAt(0)!);
const SIGIL_CLOSE: Record<string, string> = { '(': ')', '[': ']', '{': '}', '<': '>', '"': '"', "'": "'", '/': '/', '|': '|' };

class ElixirParser extends Cursor {
  /** Whitespace and `#` comments. */
  skip(): void {
    for (;;) {
      const c = this.s[this.pos];
      if (c === undefined) return;
      if (/\s/u.test(c)) this.pos++;
      else if (c === '#') while (this.pos < this.s.length && this.s[this.pos] !== '\n') this.pos++;
      else return;
    }
  }

  term(depth: number): Term {
    if (depth > MAX_DEPTH) throw new TermSyntaxError(this.pos, `nested deeper than ${MAX_DEPTH}`);
    this.skip();
    const c = this.peek();
    if (c === '[') return this.list(depth);
    if (c === '{') return new Tuple(this.sequence('}', depth, 'a tuple'));
    if (c === '%') return this.map(depth);
    if (c === '<' && this.peek(1) === '<') return this.bitstring();
    if (c === '"') return utf8.encode(this.quoted('"'));
    if (c === "'") return chars(this.quoted("'"));
    if (c === ':') return this.atom();
    if (c === '?') return this.char();
    if (c === '~') return this.sigil();
    if (c === '-' || c === '+' || isDigit(c)) return this.number();
    if (isUpper(c)) return atom(this.alias());
    if (isNameStart(c)) {
      const at = this.pos;
      const name = this.name();
      if (name === 'true') return true;
      if (name === 'false') return false;
      if (name === 'nil') return atom('nil');
      if (this.peek() === ':') throw new TermSyntaxError(at, `${name}: is a keyword, which Elixir allows only at the end of a list or map`);
      throw new TermSyntaxError(at, `${name} is a variable in Elixir; the atom is :${name}`);
    }
    throw this.fail('expected a term');
  }

  /** `a`, `ok?`, `save!`: a name as Elixir spells atoms and keys. */
  private name(): string {
    const from = this.pos;
    while (isIdentChar(this.peek())) this.pos++;
    if (this.peek() === '?' || this.peek() === '!') this.pos++;
    return this.s.slice(from, this.pos);
  }

  /** `Foo.Bar`: the atom 'Elixir.Foo.Bar'. */
  private alias(): string {
    const parts: string[] = [];
    for (;;) {
      const from = this.pos;
      while (isIdentChar(this.peek()) && this.peek() !== '@') this.pos++;
      parts.push(this.s.slice(from, this.pos));
      if (this.peek() === '.' && isUpper(this.peek(1))) this.pos++;
      else break;
    }
    if (this.peek() === '.') throw this.fail('an alias is Capitalised.Segments (calls are not data)');
    return `Elixir.${parts.join('.')}`;
  }

  /** `:ok`, `:ok?`, `:"a b"`, `:'a b'`, `:Foo` (the plain atom Foo), `:true`. */
  private atom(): Term {
    const at = this.pos;
    this.pos++; // :
    const c = this.peek();
    let name: string;
    if (c === '"' || c === "'") name = this.quoted(c);
    else if (isNameStart(c) || isUpper(c)) name = this.name();
    else {
      const op = OPERATOR.exec(this.s.slice(this.pos))?.[0];
      if (op === undefined) throw new TermSyntaxError(at, 'expected an atom name after ":"');
      this.pos += op.length;
      name = op;
    }
    return name === 'true' ? true : name === 'false' ? false : atom(name);
  }

  /** `[1, 2]`, `[1 | tail]`, `[a: 1]`, `[1, a: 2]` (keywords last). */
  private list(depth: number): Term {
    this.pos++; // [
    const elements: Term[] = [];
    this.skip();
    if (this.peek() === ']') {
      this.pos++;
      return elements;
    }
    let keywords = false;
    for (;;) {
      this.skip();
      const key = this.keywordKey();
      if (key !== undefined) {
        keywords = true;
        elements.push(new Tuple([key, this.term(depth + 1)]));
      } else if (keywords) throw this.fail('after a keyword (key: value) only keywords may follow');
      else elements.push(this.term(depth + 1));
      this.skip();
      const c = this.peek();
      if (c === ',') {
        this.pos++;
        this.skip();
        if (this.peek() === ']' && keywords) {
          this.pos++;
          return elements;
        }
        continue;
      }
      if (c === '|' && !keywords) {
        this.pos++;
        const tail = this.term(depth + 1);
        this.skip();
        if (this.peek() !== ']') throw this.fail("expected ']' after the tail of a list");
        this.pos++;
        return Array.isArray(tail) ? [...elements, ...tail] : new ImproperList(elements, tail);
      }
      if (c === ']') {
        this.pos++;
        return elements;
      }
      throw this.fail("expected ',', '|' or ']' in a list");
    }
  }

  /** A keyword key here (`a:`, `"a b":`), consumed with its colon; undefined (nothing consumed) if there is none. */
  private keywordKey(): Term | undefined {
    const save = this.pos;
    const c = this.peek();
    let name: string | undefined;
    if (isNameStart(c) || isUpper(c)) name = this.name();
    else if (c === '"' || c === "'") name = this.quoted(c);
    else {
      const op = OPERATOR.exec(this.s.slice(this.pos))?.[0];
      if (op !== undefined && this.s.startsWith(': ', this.pos + op.length)) {
        this.pos += op.length;
        name = op;
      }
    }
    if (name !== undefined && this.peek() === ':' && this.peek(1) !== ':' && /\s/u.test(this.peek(1) ?? '')) {
      this.pos++;
      return name === 'true' ? true : name === 'false' ? false : atom(name);
    }
    if (name !== undefined && this.peek() === ':' && this.peek(1) !== ':') throw new TermSyntaxError(this.pos, 'a keyword key needs a space after its colon (a: 1)');
    this.pos = save;
    return undefined;
  }

  /** Terms separated by commas up to `close` (a trailing comma allowed, as Elixir does). */
  private sequence(close: string, depth: number, what: string): Term[] {
    this.pos++; // the opener
    const out: Term[] = [];
    for (;;) {
      this.skip();
      if (this.peek() === close) {
        this.pos++;
        return out;
      }
      if (this.keywordKey() !== undefined) throw new TermSyntaxError(this.pos, `a keyword list inside ${what} needs brackets: [key: value]`);
      out.push(this.term(depth + 1));
      this.skip();
      const c = this.peek();
      if (c === ',') this.pos++;
      else if (c !== close) throw this.fail(`expected ',' or '${close}' in ${what}`);
    }
  }

  /** `%{k => v, a: 1}` and `%Name{a: 1}` (a map with __struct__: Elixir.Name). */
  private map(depth: number): Term {
    this.pos++; // %
    const m = new Map<Term, Term>();
    const keys: Term[] = [];
    const put = (at: number, k: Term, v: Term): void => {
      if (keys.some((x) => equals(x, k))) throw new TermSyntaxError(at, 'a map key appears twice');
      keys.push(k);
      m.set(k, v);
    };
    if (isUpper(this.peek())) put(this.pos, atom('__struct__'), atom(this.alias()));
    if (this.peek() !== '{') throw this.fail("expected '{' after '%' (a map is %{k => v})");
    this.pos++;
    for (;;) {
      this.skip();
      if (this.peek() === '}') {
        this.pos++;
        return m;
      }
      const at = this.pos;
      const key = this.keywordKey();
      if (key !== undefined) put(at, key, this.term(depth + 1));
      else {
        const k = this.term(depth + 1);
        this.skip();
        if (!this.s.startsWith('=>', this.pos)) throw this.fail("expected '=>' in a map");
        this.pos += 2;
        put(at, k, this.term(depth + 1));
      }
      this.skip();
      const c = this.peek();
      if (c === ',') this.pos++;
      else if (c !== '}') throw this.fail("expected ',' or '}' in a map");
    }
  }

  /** `<<1, 2>>`, `<<"text">>` (UTF-8), `<<x::size(4)>>`, `<<x::4>>`, `<<cp::utf8>>`, `<<"t"::binary>>`. */
  private bitstring(): Term {
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
      const value = this.peek() === '"' ? this.quoted('"') : this.number();
      let type = '';
      let size: number | undefined;
      if (this.s.startsWith('::', this.pos)) {
        this.pos += 2;
        const spec = /^(size\((\d+)\)|(\d+)|utf8|binary|bytes|integer)/.exec(this.s.slice(this.pos));
        if (spec === null) throw this.fail('expected a segment type (size(N), N, utf8, binary, integer)');
        this.pos += spec[0].length;
        if (spec[2] !== undefined || spec[3] !== undefined) size = Number(spec[2] ?? spec[3]);
        if (size !== undefined && size > MAX_SEGMENT_BITS) throw new TermSyntaxError(at, `a segment of more than ${MAX_SEGMENT_BITS} bits`);
        else type = spec[1]!;
      }
      if (typeof value === 'string') {
        if (size !== undefined || type === 'integer') throw new TermSyntaxError(at, 'a string segment is written whole (no size)');
        for (const b of utf8.encode(value)) out.push(BigInt(b), 8);
      } else {
        if (typeof value !== 'number' && typeof value !== 'bigint') throw new TermSyntaxError(at, 'a bitstring segment must be an integer or a string');
        if (typeof value === 'number' && !Number.isInteger(value)) throw new TermSyntaxError(at, 'a float segment is not supported; write the bytes');
        const v = BigInt(value);
        if (type === 'utf8') {
          if (v < 0n || v > 0x10ffffn || (v >= 0xd800n && v <= 0xdfffn)) throw new TermSyntaxError(at, `${v} is not a code point`);
          for (const b of utf8.encode(String.fromCodePoint(Number(v)))) out.push(BigInt(b), 8);
        } else if (type === 'binary' || type === 'bytes') throw new TermSyntaxError(at, 'an integer is not a binary segment');
        else out.push(v, size ?? 8); // Elixir truncates to the size, as Erlang does
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
      throw this.fail("expected ',' or '>>' in a bitstring");
    }
  }

  /** `?a`, `?\n`: the code point. */
  private char(): Term {
    this.pos++; // ?
    const c = this.peek();
    if (c === undefined) throw this.fail('expected a character after ?');
    if (c === '\\') return this.escape().codePointAt(0)!;
    const cp = this.s.codePointAt(this.pos)!;
    this.pos += cp > 0xffff ? 2 : 1;
    return cp;
  }

  /** `~c"abc"` (charlist), `~s(text)` (binary), `~w(a b)` (binaries; `a`, `c` or `s` after it for atoms, charlists, binaries). */
  private sigil(): Term {
    const at = this.pos;
    const kind = this.peek(1);
    const open = this.peek(2);
    const close = open === undefined ? undefined : SIGIL_CLOSE[open];
    if ((kind !== 'c' && kind !== 's' && kind !== 'w') || close === undefined) throw new TermSyntaxError(at, 'the sigils read here are ~c, ~s and ~w with (), [], {}, <>, "", \'\', // or ||');
    this.pos += 2;
    const body = this.quoted(open!, close);
    if (kind === 'c') return chars(body);
    if (kind === 's') return utf8.encode(body);
    const mod = /[acs]/.test(this.peek() ?? '') ? this.s[this.pos++]! : 's';
    const words = body.split(/\s+/u).filter((w) => w !== '');
    return words.map((w) => (mod === 'a' ? atom(w) : mod === 'c' ? chars(w) : utf8.encode(w)));
  }

  /** The text from the `open` quote to `close`, escapes resolved; `#{` (interpolation) is refused. */
  quoted(open: string, close = open): string {
    const start = this.pos;
    this.pos++; // opening quote
    let out = '';
    for (;;) {
      const c = this.s[this.pos];
      if (c === undefined) throw new TermSyntaxError(start, `the quote ${open} is never closed`);
      if (c === close) {
        this.pos++;
        return out;
      }
      if (c === '#' && this.peek(1) === '{') throw new TermSyntaxError(this.pos, 'interpolation (#{...}) is an expression, not data; write \\#{ for the text');
      if (c === '\\') out += this.escape();
      else {
        out += c;
        this.pos++;
      }
    }
  }

  /** An escape sequence starting at the backslash, as Elixir reads it. */
  private escape(): string {
    const at = this.pos;
    this.pos++; // backslash
    const c = this.s[this.pos];
    if (c === undefined) throw new TermSyntaxError(at, 'an escape is cut off');
    this.pos++;
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', s: ' ', e: '\x1b', b: '\b', f: '\f', v: '\v', a: '\x07', d: '\x7f', '0': '\0' };
    if (simple[c] !== undefined) return simple[c];
    if (c === 'x' || c === 'u') {
      let hex: string;
      if (this.s[this.pos] === '{') {
        const end = this.s.indexOf('}', this.pos);
        if (end < 0) throw new TermSyntaxError(at, `\\${c}{ is never closed`);
        hex = this.s.slice(this.pos + 1, end);
        this.pos = end + 1;
      } else {
        const len = c === 'x' ? 2 : 4;
        hex = this.s.slice(this.pos, this.pos + len);
        this.pos += len;
      }
      const cp = /^[0-9a-fA-F]+$/.test(hex) ? parseInt(hex, 16) : NaN;
      if (!(cp <= 0x10ffff) || (cp >= 0xd800 && cp <= 0xdfff)) throw new TermSyntaxError(at, `\\${c}${hex} is not a code point`);
      return String.fromCodePoint(cp);
    }
    return c; // `\"`, `\\`, `\#` and any other: the character itself.
  }

  /** Integers (`1_000`, `0xff`, `0o17`, `0b101`, any size) and floats (`1.5`, `1.0e-3`). */
  number(): Term {
    const start = this.pos;
    let sign = 1n;
    if (this.peek() === '-' || this.peek() === '+') {
      if (this.peek() === '-') sign = -1n;
      this.pos++;
      this.skip();
    }
    if (this.peek() === '0' && /[xob]/.test(this.peek(1) ?? '')) {
      const radix = { x: 16, o: 8, b: 2 }[this.peek(1) as 'x' | 'o' | 'b'];
      this.pos += 2;
      const isRadixDigit = (ch: string | undefined): boolean => ch !== undefined && /^[0-9a-zA-Z]$/.test(ch) && parseInt(ch, 36) < radix;
      const text = this.digits(isRadixDigit);
      if (text === '') throw this.fail(`expected base-${radix} digits`);
      if (isNameChar(this.peek())) throw this.fail(`not a base-${radix} digit`);
      let n = 0n;
      for (const ch of text.toLowerCase()) n = n * BigInt(radix) + BigInt(parseInt(ch, 36));
      return integer(sign * n);
    }
    const whole = this.digits();
    if (whole === '') throw new TermSyntaxError(start, 'expected a number');
    if (this.peek() === '.' && isDigit(this.peek(1))) return this.fraction(start, whole, sign);
    if (isNameChar(this.peek())) throw this.fail('expected a digit');
    return integer(sign * BigInt(whole));
  }
}
