/**
 * What the state machines need from a connection — whole handshake messages
 * in and out, without the 2-byte frame (OTP's `#hs_data{f_send, f_recv}`) —
 * and what they hand back.
 * socket.ts adapts a net.Socket; `memoryPair` joins two state machines in one
 * process, for tests and for anything that wants a handshake without TCP.
 */
import { TransportError } from './errors.js';

/** What both state machines hand back once the last message has passed. */
export interface HandshakeResult {
  /** The other node's full name (for a NAME_ME peer, the name the acceptor assigned). */
  readonly peerName: string;
  readonly peerCreation: number;
  /** The flags the peer offered, MANDATORY_25_DIGEST expanded. */
  readonly peerFlags: bigint;
  /** The negotiated flags (ours AND theirs), which both sides use from now on. */
  readonly flags: bigint;
  /** True unless both sides offered PUBLISHED. */
  readonly hidden: boolean;
}

export interface Transport {
  /** Queues one message. Failures surface at the next `recv`, as they do on a socket. */
  send(payload: Uint8Array): void;
  /** The next message; rejects with TransportError when the transport closed or timed out. */
  recv(): Promise<Uint8Array>;
}

/** An in-process transport end; `close` ends both directions, as closing a socket does. */
export interface MemoryTransport extends Transport {
  close(): void;
  readonly closed: boolean;
}

class MemoryEnd implements MemoryTransport {
  peer!: MemoryEnd;
  private inbox: Uint8Array[] = [];
  private waiting: { resolve(b: Uint8Array): void; reject(e: Error): void } | undefined;
  closed = false;

  send(payload: Uint8Array): void {
    if (this.closed) return; // like a write to a dead socket: the next recv reports it
    this.peer.deliver(Uint8Array.from(payload));
  }

  recv(): Promise<Uint8Array> {
    const next = this.inbox.shift();
    if (next !== undefined) return Promise.resolve(next);
    if (this.closed) return Promise.reject(new TransportError('closed', 'the other end closed the transport'));
    if (this.waiting !== undefined) return Promise.reject(new Error('recv while another recv is pending'));
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  close(): void {
    this.shutdown();
    this.peer.shutdown();
  }

  private deliver(payload: Uint8Array): void {
    if (this.closed) return;
    const w = this.waiting;
    if (w !== undefined) {
      this.waiting = undefined;
      w.resolve(payload);
    } else this.inbox.push(payload);
  }

  /** Messages already delivered stay readable, as bytes in a socket buffer do. */
  private shutdown(): void {
    this.closed = true;
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(new TransportError('closed', 'the other end closed the transport'));
  }
}

/** Two connected in-memory transports: what one sends, the other receives. */
export function memoryPair(): [MemoryTransport, MemoryTransport] {
  const a = new MemoryEnd();
  const b = new MemoryEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
