/**
 * Distribution over any byte stream: a child's stdio, an ssh pipe, a socket
 * pair. Dialling asks `open` for a stream to the node; the other side, which
 * did not listen anywhere, is handed its streams with `offer` (a child
 * context offers its own stdin/stdout). Handshake frames are 2 bytes, as
 * over TCP: a stream carries what a TCP connection would.
 */
import { Duplex, type Readable, type Writable } from 'node:stream';
import type { Accept, Address, Carrier, DialOptions, Listener, ListenOptions } from './carrier.js';
import { DialError } from './errors.js';

export interface StreamCarrierOptions {
  /** Opens a stream to `node` (spawns a child, runs ssh, ...). Absent: this side only accepts. */
  open?(node: string, options: DialOptions): Duplex | Promise<Duplex>;
}

export class StreamCarrier implements Carrier {
  readonly kind = 'stream';
  readonly handshakeFrame = 2;
  readonly #open: StreamCarrierOptions['open'];
  #accept: Accept | undefined;
  readonly #early: Duplex[] = [];

  constructor(options: StreamCarrierOptions = {}) {
    this.#open = options.open;
  }

  /** Every node is reachable through `open`: the address is nominal. */
  resolve(): Address | undefined {
    return this.#open === undefined ? undefined : { host: 'stream', port: 0 };
  }

  async dial(_address: Address, o: DialOptions): Promise<Duplex> {
    if (this.#open === undefined) throw new DialError(o.node, 'unreachable', 'this stream carrier only accepts (no `open`)');
    try {
      return await this.#open(o.node, o);
    } catch (e) {
      throw new DialError(o.node, 'unreachable', `opening a stream failed: ${(e as Error).message}`, e);
    }
  }

  async listen(_o: ListenOptions, accept: Accept): Promise<Listener> {
    this.#accept = accept;
    for (const s of this.#early.splice(0)) accept(s, 'stream');
    return {
      address: { host: 'stream', port: 0 },
      close: async () => void (this.#accept = undefined),
    };
  }

  /** A stream from a peer that dials us (our stdio, as a child); kept until the node listens. */
  offer(stream: Duplex): void {
    if (this.#accept !== undefined) this.#accept(stream, 'stream');
    else this.#early.push(stream);
  }
}

/** One Duplex from a readable and a writable (a child's stdout and stdin, or our own stdin and stdout). */
export function joinStreams(readable: Readable, writable: Writable): Duplex {
  return Duplex.from({ readable, writable });
}
