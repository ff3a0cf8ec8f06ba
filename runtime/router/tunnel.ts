/**
 * One end of a tunnel: a byte stream between two nodes of a context tree
 * that the routers between them carry hop by hop as messages. A node's
 * distribution connection runs over it as over a pipe, so every context
 * looks directly connected to every other.
 */
import { Duplex } from 'node:stream';

export interface TunnelWire {
  /** Sends bytes toward the other end; resolves when the next hop can take more. */
  data(bytes: Uint8Array): Promise<void>;
  /** Tells the other end this one closed. */
  close(): void;
}

export class TunnelStream extends Duplex {
  #remoteClosed = false;

  constructor(
    readonly id: string,
    private readonly wire: TunnelWire,
  ) {
    super({ allowHalfOpen: false });
  }

  /** Bytes from the other end. */
  deliver(bytes: Uint8Array): void {
    this.push(bytes);
  }

  /** The other end (or a router between) closed it. */
  remoteClose(): void {
    this.#remoteClosed = true;
    this.push(null);
    this.destroy();
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.wire.data(chunk).then(() => cb(), cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (e?: Error | null) => void): void {
    this.wire.data(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk))).then(() => cb(), cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    cb();
  }

  override _destroy(e: Error | null, cb: (e?: Error | null) => void): void {
    if (!this.#remoteClosed) this.wire.close();
    cb(e);
  }
}
