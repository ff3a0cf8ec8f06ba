/** What the Erlang and the Elixir literal readers share: the error, the cursor, number helpers. */
import { BeamwireError } from '../wire/errors.js';
import { BitBinary, Float, type Term } from '../term/values.js';

/** Text that is not a term literal, and where: `offset` counts UTF-16 units from the start. */
export class TermSyntaxError extends BeamwireError {
  override readonly name = 'TermSyntaxError';
  readonly code = 'TERM_SYNTAX';
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(`${message} at offset ${offset}`);
  }
}

export const MAX_DEPTH = 1000;
/** Bits in one Value:Size segment: enough for any literal, too few to stall on `<<1:999999999>>`. */
export const MAX_SEGMENT_BITS = 1 << 16;

export const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
export const isLower = (c: string | undefined): boolean => c !== undefined && /\p{Ll}/u.test(c);
export const isUpper = (c: string | undefined): boolean => c !== undefined && /\p{Lu}/u.test(c);
export const isNameChar = (c: string | undefined): boolean => c !== undefined && /[\p{L}\p{N}_@]/u.test(c);

/** Numbers within ±(2^53-1) as number, beyond as bigint (the term model's rule). */
export function integer(n: bigint): Term {
  return n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n;
}

/** A position in the text and the moves both readers make. */
export class Cursor {
  pos = 0;
  constructor(readonly s: string) {}

  peek(ahead = 0): string | undefined {
    return this.s[this.pos + ahead];
  }

  fail(message: string): TermSyntaxError {
    const got = this.s[this.pos];
    return new TermSyntaxError(this.pos, `${message}, got ${got === undefined ? 'the end of the text' : JSON.stringify(got)}`);
  }

  /** Decimal digits with `_` between digits; returns them without the `_`. */
  digits(isDigitChar: (c: string | undefined) => boolean = isDigit): string {
    const from = this.pos;
    while (isDigitChar(this.peek()) || (this.peek() === '_' && isDigitChar(this.s[this.pos - 1]) && isDigitChar(this.s[this.pos + 1]))) this.pos++;
    return this.s.slice(from, this.pos).replaceAll('_', '');
  }

  /** After the whole part of a float: `.digits` and an optional exponent; a Float where the value is integral. */
  fraction(start: number, whole: string, sign: bigint): Term {
    this.pos++; // .
    const frac = this.digits();
    let exp = '';
    if (this.peek() === 'e' || this.peek() === 'E') {
      const save = this.pos;
      this.pos++;
      let es = '';
      if (this.peek() === '-' || this.peek() === '+') es = this.s[this.pos++]!;
      const ed = this.digits();
      if (ed === '') this.pos = save;
      else exp = `e${es}${ed}`;
    }
    const v = Number(`${whole}.${frac}${exp}`) * Number(sign);
    if (!Number.isFinite(v)) throw new TermSyntaxError(start, 'the float is out of range');
    return floatTerm(v);
  }
}

/** The term model: a Float only where a number would read as an integer (or is -0.0). */
export const floatTerm = (v: number): Term => (Number.isInteger(v) || Object.is(v, -0) ? new Float(v) : v);

/** Segments of any bit size, most significant bit first, as a binary or (if the bits do not fill the last byte) a BitBinary. */
export class BitWriter {
  private readonly bytes: number[] = [];
  private acc = 0;
  private used = 0; // bits in acc

  push(value: bigint, size: number): void {
    for (let i = size - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | Number((value >> BigInt(i)) & 1n);
      if (++this.used === 8) {
        this.bytes.push(this.acc);
        this.acc = 0;
        this.used = 0;
      }
    }
  }

  done(): Uint8Array | BitBinary {
    if (this.used === 0) return Uint8Array.from(this.bytes);
    return new BitBinary(Uint8Array.from([...this.bytes, this.acc << (8 - this.used)]), this.used);
  }
}
