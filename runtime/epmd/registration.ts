/**
 * A node's entry in epmd, alive exactly as long as the ALIVE2 connection
 * (erl_dist_protocol.md: there is no unregister message, closing is how).
 * Nothing may be written on that connection again: epmd takes any byte as
 * a reason to drop the registration, so this class only ever reads or closes.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { EpmdError } from './errors.js';

export interface RegistrationEvents {
  /** The connection closed (or broke) without `close()`: the node is not registered any more. */
  lost: [error: EpmdError];
}

export class Registration {
  readonly #socket: Socket;
  readonly #events = new EventEmitter<RegistrationEvents>();
  #closed = false;
  #closing = false;
  readonly #done: Promise<void>;

  constructor(
    socket: Socket,
    /** The alive name registered. */
    readonly name: string,
    /** The distribution port registered. */
    readonly port: number,
    /** The creation epmd assigned (32-bit from ALIVE2_X_RESP, 16-bit from the old ALIVE2_RESP). */
    readonly creation: number,
    /** `epmd at host:port`, for messages. */
    readonly epmd: string,
  ) {
    this.#socket = socket;
    let broke: Error | undefined;
    this.#done = new Promise((resolve) => {
      const onClose = (): void => {
        this.#closed = true;
        resolve();
        if (this.#closing) return;
        const why = broke === undefined ? 'epmd closed the ALIVE2 connection' : broke.message;
        this.#events.emit('lost', new EpmdError('LOST', `registration of "${name}" with ${epmd} lost: ${why}`, { cause: broke }));
      };
      // Already gone (epmd closed right after answering): report it once listeners can be attached.
      if (socket.closed) {
        process.nextTick(onClose);
        return;
      }
      socket.on('data', (chunk: Buffer) => {
        // epmd never sends anything after ALIVE2_X_RESP; whatever this is, the registration cannot be trusted.
        broke = new Error(`${chunk.length} unexpected bytes from epmd on the ALIVE2 connection`);
        socket.destroy();
      });
      socket.on('error', (err) => (broke ??= err));
      socket.on('close', onClose);
      socket.resume(); // paused by the exchange that handed it over
    });
  }

  /** False once the connection is closed: the name is free in epmd again. */
  get active(): boolean {
    return !this.#closed;
  }

  on(event: 'lost', listener: (error: EpmdError) => void): this {
    this.#events.on(event, listener);
    return this;
  }

  off(event: 'lost', listener: (error: EpmdError) => void): this {
    this.#events.off(event, listener);
    return this;
  }

  /** Unregisters by closing the ALIVE2 connection; resolves once it is closed. Idempotent; no 'lost' follows. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closing = true;
      this.#socket.destroy();
    }
    return this.#done;
  }
}
