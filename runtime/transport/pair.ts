/**
 * Two connected in-process byte streams (Node 22's `stream.duplexPair`, which
 * Node 20 lacks): what one end writes the other reads, with back-pressure —
 * a write's callback waits until the reader wants more — and `destroy` on
 * either end closing both, as closing a socket does.
 */
import { Duplex } from 'node:stream';

class End extends Duplex {
  other!: End;
  /** The callback of a write the other end is not ready for. */
  private pending: (() => void) | undefined;

  override _read(): void {
    const next = this.other.pending;
    this.other.pending = undefined;
    next?.();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    if (this.other.destroyed) return done(new Error('the other end of the stream pair is closed'));
    if (this.other.push(chunk)) done();
    else this.pending = () => done();
  }

  override _final(done: (e?: Error | null) => void): void {
    this.other.push(null);
    done();
  }

  override _destroy(e: Error | null, done: (e?: Error | null) => void): void {
    const p = this.pending;
    this.pending = undefined;
    p?.();
    if (!this.other.destroyed) this.other.destroy();
    done(e);
  }
}

export function duplexPair(): [Duplex, Duplex] {
  const a = new End();
  const b = new End();
  a.other = b;
  b.other = a;
  return [a, b];
}
