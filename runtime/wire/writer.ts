/** Size of a fresh slab; results larger than a quarter of it are copied out instead. */
const SLAB = 64 * 1024;

/**
 * An output buffer for one message at a time. `begin` starts a message,
 * `take` returns it: small results are views into a shared slab that is never
 * written again under them (no copy, as Node's Buffer pool does); results
 * over SLAB/4 come back as exact-size copies so they pin no spare memory.
 * Growing moves only the message in progress, so back-patch positions are
 * taken relative to its start (`offset()`), never as absolute `pos`.
 */
export class Writer {
  buf: Uint8Array;
  view: DataView;
  pos = 0;
  /** Where the message in progress starts. */
  mark = 0;
  constructor(initial = 8192) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }
  private grow(n: number): void {
    const used = this.pos - this.mark;
    let size = SLAB;
    while (size < used + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(this.mark, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
    this.pos = used;
    this.mark = 0;
  }

  /** Starts a message; a slab with little room left is left behind rather than grown. */
  begin(minRoom = 4096): void {
    if (this.buf.length - this.pos < minRoom) {
      this.buf = new Uint8Array(SLAB);
      this.view = new DataView(this.buf.buffer);
      this.pos = 0;
    }
    this.mark = this.pos;
  }
  /** Position in the message in progress, for back-patching (valid across growth). */
  offset(): number {
    return this.pos - this.mark;
  }
  /** The message in progress, and starts the next one after it. */
  take(): Uint8Array {
    if (this.pos - this.mark > SLAB / 4) return this.finish();
    const out = this.buf.subarray(this.mark, this.pos);
    this.mark = this.pos;
    return out;
  }
  /** Drops the message in progress. */
  rewind(): void {
    this.pos = this.mark;
  }
  /** The message in progress, copied out; its space is reused. */
  finish(): Uint8Array {
    const out = this.buf.slice(this.mark, this.pos);
    this.pos = this.mark;
    return out;
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
  /** Writes a u32 at an earlier `offset()` (a length known only afterwards). */
  patchU32(offset: number, v: number): void {
    this.view.setUint32(this.mark + offset, v);
  }



}
