/**
 * An in-memory network: nodes started with the same MemoryCarrier reach one
 * another by name, without sockets or EPMD (tests, and nodes that live in one
 * process). Handshake frames are 2 bytes, as over TCP, so the bytes are
 * exactly what a TCP connection would carry.
 */
import type { Duplex } from 'node:stream';
import type { Accept, Address, Carrier, DialOptions, Listener, ListenOptions } from './carrier.js';
import { DialError } from './errors.js';
import { duplexPair } from './pair.js';

export class MemoryCarrier implements Carrier {
  readonly kind = 'memory';
  readonly handshakeFrame = 2;
  readonly #byPort = new Map<number, Accept>();
  readonly #byNode = new Map<string, number>();
  #nextPort = 1;

  resolve(node: string): Address | undefined {
    const port = this.#byNode.get(node);
    return port === undefined ? undefined : { host: 'memory', port };
  }

  async dial(address: Address, o: DialOptions): Promise<Duplex> {
    const accept = this.#byPort.get(address.port);
    if (accept === undefined) throw new DialError(o.node, 'refused', `nothing listens on memory port ${address.port}`);
    const [ours, theirs] = duplexPair();
    // The acceptor sees it on a later turn, as a socket's 'connection' comes after connect().
    setImmediate(() => accept(theirs, `memory:${o.node}`));
    return ours;
  }

  async listen(o: ListenOptions, accept: Accept): Promise<Listener> {
    const port = o.port !== undefined && o.port !== 0 ? o.port : this.#nextPort++;
    if (this.#byPort.has(port)) throw new DialError(o.node, 'refused', `memory port ${port} is taken`);
    this.#byPort.set(port, accept);
    this.#byNode.set(o.node, port);
    return {
      address: { host: 'memory', port },
      close: async () => {
        this.#byPort.delete(port);
        if (this.#byNode.get(o.node) === port) this.#byNode.delete(o.node);
      },
    };
  }
}
