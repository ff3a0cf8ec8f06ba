import { DecodeError } from './errors.js';

const f64Word = new Float64Array(1);
const f64Bytes = new Uint8Array(f64Word.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A cursor over bytes that already exist. Every read is checked against
 * `end` before it happens, so a length field can never make the decoder read
 * or allocate past the input. Reusable: `reset` points it at new bytes.
 */
export class Reader {
  buf: Uint8Array;
  pos: number;
  end: number;
  #view: DataView | undefined;

  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  reset(buf: Uint8Array, pos = 0, end = buf.length): void {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    this.#view = undefined;
  }

  /** Made on first use: most terms never read a float or a 64-bit field. */
  get view(): DataView {
    return (this.#view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength));
  }

  /** Throws TRUNCATED unless `n` more bytes exist. */
  need(n: number): void {
    if (n > this.end - this.pos) this.truncated(n);
  }

  truncated(n: number): never {
    throw new DecodeError('TRUNCATED', this.pos, `need ${n} bytes, ${this.end - this.pos} left`);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  u8(): number {
    if (this.pos >= this.end) this.truncated(1);
    return this.buf[this.pos++]!;
  }
  u16(): number {
    if (this.end - this.pos < 2) this.truncated(2);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return (b[p]! << 8) | b[p + 1]!;
  }
  u32(): number {
    if (this.end - this.pos < 4) this.truncated(4);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }
  i32(): number {
    if (this.end - this.pos < 4) this.truncated(4);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
  }
  u64(): bigint {
    if (this.end - this.pos < 8) this.truncated(8);
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }
  f64(): number {
    if (this.end - this.pos < 8) this.truncated(8);
    // Through a shared scratch word rather than a DataView made for this buffer.
    const b = this.buf;
    const p = this.pos;
    if (LITTLE_ENDIAN) for (let i = 0; i < 8; i++) f64Bytes[i] = b[p + 7 - i]!;
    else for (let i = 0; i < 8; i++) f64Bytes[i] = b[p + i]!;
    this.pos = p + 8;
    return f64Word[0]!;
  }
  /** A view (no copy) of the next `n` bytes. */
  bytes(n: number): Uint8Array {
    if (n > this.end - this.pos) this.truncated(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  /** Everything up to `end`. */
  rest(): Uint8Array {
    return this.bytes(this.end - this.pos);
  }
  fail(code: DecodeError['code'], detail: string, at = this.pos): never {
    throw new DecodeError(code, at, detail);
  }
}
