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
    const rest = this.take(this.buffered);
    return rest;
  }

  private next(): Uint8Array | undefined {
    const h = this.header;
    if (this.buffered < h) return undefined;
    const head = this.peek(h);
    const len = h === 2 ? (head[0]! << 8) | head[1]! : ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
    if (len > this.limits.maxFrame)
      throw new DecodeError('SIZE_LIMIT', this.consumed, `frame of ${len} bytes exceeds the limit of ${this.limits.maxFrame}`);
    if (this.buffered < h + len) return undefined;
    this.take(h);
    return this.take(len);
  }

  private peek(n: number): Uint8Array {
    const first = this.chunks[0]!;
    if (first.length >= n) return first;
    return this.join(n, false);
  }

  private take(n: number): Uint8Array {
    this.consumed += n;
    if (n === 0) return new Uint8Array(0);
    const first = this.chunks[0]!;
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return first.subarray(0, n);
    }
    if (first.length === n) {
      this.chunks.shift();
      this.buffered -= n;
      return first;
    }
    return this.join(n, true);
  }

  /** The first `n` bytes as one array (n <= buffered); consumes them when `consume`. */
  private join(n: number, consume: boolean): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    let i = 0;
    while (filled < n) {
      const c = this.chunks[i]!;
      const part = Math.min(c.length, n - filled);
      out.set(c.subarray(0, part), filled);
      filled += part;
      if (consume) {
        if (part === c.length) this.chunks.splice(i, 1);
        else {
          this.chunks[i] = c.subarray(part);
          i++;
        }
      } else i++;
    }
    if (consume) this.buffered -= n;
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
