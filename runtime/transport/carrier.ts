/**
 * A carrier is what a distribution connection runs over: TCP (OTP's
 * inet_tcp_dist), TLS (inet_tls_dist), any byte stream (a child's stdio, an
 * ssh pipe, a socket pair) or memory. It opens and accepts byte streams and
 * says how the handshake frames its messages; the handshake, the connection
 * and everything above them are the same on all of them.
 */
import type { Duplex } from 'node:stream';

/** Where a node listens: what EPMD answers (or a fixed port, or a memory carrier's own table). */
export interface Address {
  readonly host: string;
  readonly port: number;
}

export interface DialOptions {
  /** The node being dialled (`name@host`): TLS checks its host against the certificate. */
  readonly node: string;
  /** Milliseconds for the carrier's own set-up (TCP connect, TLS handshake). */
  readonly timeoutMs: number;
}

export interface ListenOptions {
  /** Our node name: a memory carrier files the listener under it. */
  readonly node: string;
  readonly host?: string | undefined;
  /** 0 or absent: any free port. */
  readonly port?: number | undefined;
}

/** A stream a listener accepted, set up (for TLS: verified) and ready for the handshake. */
export type Accept = (stream: Duplex, remote: string) => void;

export interface Listener {
  readonly address: Address;
  /** Stops accepting; streams already accepted are not touched. */
  close(): Promise<void>;
}

export interface ListenerEvents {
  /** Set-up of an accepted stream failed (a TLS client with a bad certificate, a reset): reported, not fatal. */
  refused: (error: Error) => void;
  /** The listener itself failed after it started. */
  error: (error: Error) => void;
}

export interface Carrier {
  /** 'tcp', 'tls', 'stream', 'memory': for messages and status. */
  readonly kind: string;
  /**
   * The length prefix of handshake messages: 2 over TCP (dist_util's
   * `{packet, 2}`), 4 over TLS (inet_tls_dist forces `{packet, 4}` from the
   * start). After the handshake every carrier uses 4-byte frames.
   */
  readonly handshakeFrame: 2 | 4;
  /** A stream to the node at `address`, once the carrier's own set-up is done; rejects with a DialError. */
  dial(address: Address, options: DialOptions): Promise<Duplex>;
  /** Starts accepting; `events` hears what is not a stream. */
  listen(options: ListenOptions, accept: Accept, events?: Partial<ListenerEvents>): Promise<Listener>;
  /**
   * Once an accepted stream's peer has named itself in the handshake: why
   * the carrier refuses that name on this stream (TLS: the client's
   * certificate is not for the host of the name), or undefined.
   */
  checkPeerName?(stream: Duplex, peer: string): Error | undefined;
  /** For carriers addressed without EPMD (memory): where `node` listens, if the carrier knows. */
  resolve?(node: string): Address | undefined;
}
