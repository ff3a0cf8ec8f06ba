/**
 * A growable output buffer. `finish` copies the result out; `take` returns a
 * view into the slab and moves on, so consecutive results share one slab
 * (never overwritten) and no copy is made. Growing copies the bytes written
 * so far, so positions taken earlier (for back-patching) stay valid.
 */
export class Writer {
  buf: Uint8Array;
  view: DataView;
  pos = 0;
  constructor(initial = 8192) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }
  private grow(n: number): void {
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  // Unchecked puts: the caller has called ensure() for the whole run of fields.
  p8(v: number): void {
    this.buf[this.pos++] = v;
  }
  p16(v: number): void {
    this.buf[this.pos++] = v >>> 8;
    this.buf[this.pos++] = v & 0xff;
  }
  p32(v: number): void {
    this.view.setUint32(this.pos, v);
    this.pos += 4;
  }
  pi32(v: number): void {
    this.view.setInt32(this.pos, v);
    this.pos += 4;
  }
  p64(v: bigint): void {
    this.view.setBigUint64(this.pos, v);
    this.pos += 8;
  }
  pf64(v: number): void {
    this.view.setFloat64(this.pos, v);
    this.pos += 8;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }
  u16(v: number): void {
    this.ensure(2);
    this.buf[this.pos++] = v >>> 8;
    this.buf[this.pos++] = v & 0xff;
  }
  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v);
    this.pos += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.view.setInt32(this.pos, v);
    this.pos += 4;
  }
  u64(v: bigint): void {
    this.ensure(8);
    this.view.setBigUint64(this.pos, v);
    this.pos += 8;
  }
  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v);
    this.pos += 8;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  /** Writes a u32 at an earlier position (a length known only afterwards). */
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v);
  }
  /**
   * Starts a message that `take` will return: when the slab has little room
   * left, begins a fresh one rather than growing (and copying) mid-message.
   */
  begin(minRoom = 4096): number {
    if (this.buf.length - this.pos < minRoom) {
      this.buf = new Uint8Array(Math.max(this.buf.length, 65536));
      this.view = new DataView(this.buf.buffer);
      this.pos = 0;
    }
    return this.pos;
  }
  /** A view of what was written since `start`; the slab is not reused under it. */
  take(start: number): Uint8Array {
    return this.buf.subarray(start, this.pos);
  }
  /** A copy of what was written since `start`, and rewinds to `start`. */
  finish(start = 0): Uint8Array {
    const out = this.buf.slice(start, this.pos);
    this.pos = start;
    return out;
  }
}
