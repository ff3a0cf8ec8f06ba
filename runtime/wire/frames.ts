/**
 * Splits a byte stream into length-prefixed frames (`{packet, 2}` during the
 * handshake, `{packet, 4}` once connected, and EPMD's u16 requests). Chunks
 * are kept as they arrive and joined only when a whole frame is present, so a
 * length field cannot make it allocate more than the bytes that came.
 */
import { DecodeError } from './errors.js';

export interface FrameLimits {
  /** Largest frame accepted; a longer length field is an error before any byte of it is buffered. */
  maxFrame: number;
}

export class FrameReader {
  private chunks: Uint8Array[] = [];
  /**
   * Where the unread bytes of `chunks[0]` start. An offset rather than a
   * re-sliced first chunk: a frame costs one view (its body), not four
   * (header, body and the rest after each), on a connection's hot path.
   */
  private offset = 0;
  private buffered = 0;
  /** Bytes consumed from the stream so far, for error offsets. */
  private consumed = 0;

  constructor(
    /** 2 or 4: the size of the big-endian length prefix. */
    public header: 2 | 4,
    readonly limits: FrameLimits = { maxFrame: 64 * 1024 * 1024 },
  ) {}

  /** Adds bytes from the socket and returns every frame now complete (a 4-byte frame of length 0 is a tick: an empty Uint8Array). */
  push(chunk: Uint8Array): Uint8Array[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: Uint8Array[] = [];
    for (;;) {
      const frame = this.next();
      if (frame === undefined) return out;
      out.push(frame);
    }
  }

  /** Bytes received but not yet part of a returned frame (switching framing hands them on). */
  takeRest(): Uint8Array {
    return this.take(this.buffered);
  }

  private next(): Uint8Array | undefined {
    const h = this.header;
    if (this.buffered < h) return undefined;
    let head = this.chunks[0]!;
    let at = this.offset;
    if (head.length - at < h) {
      head = this.join(h, false);
      at = 0;
    }
    const len =
      h === 2 ? (head[at]! << 8) | head[at + 1]! : ((head[at]! << 24) | (head[at + 1]! << 16) | (head[at + 2]! << 8) | head[at + 3]!) >>> 0;
    if (len > this.limits.maxFrame)
      throw new DecodeError('SIZE_LIMIT', this.consumed, `frame of ${len} bytes exceeds the limit of ${this.limits.maxFrame}`);
    if (this.buffered < h + len) return undefined;
    this.skip(h);
    return this.take(len);
  }

  /** Consumes `n` buffered bytes without a view of them. */
  private skip(n: number): void {
    this.consumed += n;
    this.buffered -= n;
    while (n > 0) {
      const left = this.chunks[0]!.length - this.offset;
      if (left > n) {
        this.offset += n;
        return;
      }
      n -= left;
      this.chunks.shift();
      this.offset = 0;
    }
  }

  private take(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const first = this.chunks[0]!;
    const at = this.offset;
    const left = first.length - at;
    if (left < n) {
      this.consumed += n;
      return this.join(n, true);
    }
    this.consumed += n;
    this.buffered -= n;
    if (left > n) {
      this.offset = at + n;
      return first.subarray(at, at + n);
    }
    this.chunks.shift();
    this.offset = 0;
    return at === 0 ? first : first.subarray(at);
  }

  /** The first `n` bytes as one array (n <= buffered); consumes them when `consume`. */
  private join(n: number, consume: boolean): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    let i = 0;
    let at = this.offset;
    while (filled < n) {
      const c = this.chunks[i]!;
      const part = Math.min(c.length - at, n - filled);
      out.set(c.subarray(at, at + part), filled);
      filled += part;
      if (at + part === c.length) {
        i++;
        at = 0;
      } else at += part;
    }
    if (consume) {
      this.chunks.splice(0, i);
      this.offset = at;
      this.buffered -= n;
    }
    return out;
  }
}

/** `payload` with its big-endian length prefix. */
export function frame(header: 2 | 4, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(header + payload.length);
  if (header === 2) {
    if (payload.length > 0xffff) throw new RangeError(`a 2-byte frame holds at most 65535 bytes, not ${payload.length}`);
    out[0] = payload.length >>> 8;
    out[1] = payload.length & 0xff;
  } else new DataView(out.buffer).setUint32(0, payload.length);
  out.set(payload, header);
  return out;
}
