import { DecodeError } from './errors.js';

/**
 * A cursor over bytes that already exist. Every read is checked against
 * `end` before it happens, so a length field can never make the decoder read
 * or allocate past the input.
 */
export class Reader {
  readonly view: DataView;
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    pos = 0,
    readonly end = buf.length,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = pos;
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
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }
  u32(): number {
    if (this.end - this.pos < 4) this.truncated(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  i32(): number {
    if (this.end - this.pos < 4) this.truncated(4);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    if (this.end - this.pos < 8) this.truncated(8);
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }
  f64(): number {
    if (this.end - this.pos < 8) this.truncated(8);
    const v = this.view.getFloat64(this.pos);
    this.pos += 8;
    return v;
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
