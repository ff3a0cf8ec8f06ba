/**
 * Runs a handshake over any byte stream (a socket, a TLS socket, a child's
 * stdio): `{packet, 2}` framing as over TCP, or `{packet, 4}` as
 * inet_tls_dist uses from the start (`frame`), the setup timer
 * (net_setuptime, 7 s by default, reset at every step as dist_util's
 * reset_timer/1 is), and the hand-over to the connection layer. On success the
 * socket is left paused with no listeners of ours, and `rest` holds whatever
 * arrived after the last handshake message: those bytes already use 4-byte
 * frames. The new owner must attach its 'error' and 'data' listeners and then
 * call `socket.resume()`: a 'data' listener alone does not restart a stream
 * that was paused explicitly. On failure the stream is ended (a last status
 * may still go out, nothing else is sent) and destroyed.
 */
import type { Duplex } from 'node:stream';
import { FrameReader, frame } from '../wire/frames.js';
import { HandshakeError, TransportError } from './errors.js';
import { accept, type AcceptorOptions } from './acceptor.js';
import { initiate, type InitiatorOptions, type InitiatorResult } from './initiator.js';
import type { HandshakeResult, Transport } from './transport.js';

export const DEFAULT_SETUP_TIMEOUT_MS = 7000;
/** How long a failed attempt may take to flush its last message before the socket is destroyed. */
const LINGER_MS = 1000;

export interface SetupOptions {
  /** Milliseconds without progress before the attempt is abandoned (OTP's net_setuptime). */
  setupTimeoutMs?: number;
  /** Length prefix of handshake messages: 2 (TCP, the default) or 4 (TLS). */
  frame?: 2 | 4;
}

/** The negotiated result plus the bytes after the last handshake message. */
export type StreamHandshake<R> = R & { readonly rest: Uint8Array };

/** Dial side: `stream` is connected (or connecting) to `o.peerName`'s distribution port. */
export function initiateOnStream(stream: Duplex, o: InitiatorOptions & SetupOptions): Promise<StreamHandshake<InitiatorResult>> {
  return overStream(stream, o, (t) => initiate(t, o));
}

/** Listen side: `stream` came from the distribution listener. */
export function acceptOnStream(stream: Duplex, o: AcceptorOptions & SetupOptions): Promise<StreamHandshake<HandshakeResult>> {
  return overStream(stream, o, (t) => accept(t, o));
}

async function overStream<R extends HandshakeResult>(stream: Duplex, o: SetupOptions, run: (t: Transport) => Promise<R>): Promise<StreamHandshake<R>> {
  const st = new StreamTransport(stream, o.setupTimeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS, o.frame ?? 2);
  let result: R;
  try {
    result = await run(st);
  } catch (e) {
    // end(), not destroy(): a last status ('not_allowed', 'nok') must still reach the peer.
    st.abort(new TransportError('closed', 'handshake failed'), true);
    throw e;
  }
  // The timer can fire while no step is reading (a slow callback): the socket is gone even though the steps finished.
  if (st.failure !== undefined) throw new HandshakeError('setup_timeout', st.failure.reason, result.peerName, st.failure.message);
  return { ...result, rest: st.finish() };
}

class StreamTransport implements Transport {
  failure: TransportError | undefined;
  private readonly reader: FrameReader;
  private readonly frames: Uint8Array[] = [];
  private waiting: { resolve(b: Uint8Array): void; reject(e: Error): void } | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: Duplex,
    private readonly timeoutMs: number,
    private readonly frameBytes: 2 | 4,
  ) {
    // A 4-byte length is bounded too: no handshake message is near 64 KiB.
    this.reader = new FrameReader(frameBytes, { maxFrame: 0xffff });
    stream.on('data', this.onData);
    stream.on('close', this.onClose);
    stream.on('end', this.onClose);
    stream.on('error', this.onError);
    if (stream.destroyed) this.abort(new TransportError('closed', 'the socket was already closed'));
    else this.arm();
  }

  send(payload: Uint8Array): void {
    if (this.failure === undefined) this.stream.write(frame(this.frameBytes, payload));
  }

  recv(): Promise<Uint8Array> {
    const next = this.frames.shift();
    if (next !== undefined) {
      this.arm();
      return Promise.resolve(next);
    }
    if (this.failure !== undefined) return Promise.reject(this.failure);
    this.arm();
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  /**
   * Ends the attempt: stops the timer, closes the socket, fails a pending recv.
   * `flush` lets queued bytes out first (bounded by LINGER_MS). Idempotent.
   */
  abort(why: TransportError, flush = false): void {
    clearTimeout(this.timer);
    if (this.failure !== undefined) return;
    this.failure = why;
    this.detach();
    const socket = this.stream;
    if (flush && !socket.destroyed) {
      socket.on('error', () => {}); // the peer may reset first; nothing is left to report
      socket.end();
      setTimeout(() => socket.destroy(), LINGER_MS).unref();
    } else socket.destroy();
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(why);
  }

  /**
   * Hands the stream over. Frames already split off after the last handshake
   * message were really connection data read with the handshake's reader, so
   * they are put back into bytes exactly as they arrived.
   */
  finish(): Uint8Array {
    clearTimeout(this.timer);
    this.stream.pause();
    this.detach();
    const parts = [...this.frames.map((f) => frame(this.frameBytes, f)), this.reader.takeRest()];
    this.frames.length = 0;
    const rest = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      rest.set(p, at);
      at += p.length;
    }
    return rest;
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () => this.abort(new TransportError('timeout', `no handshake progress for ${this.timeoutMs} ms (setup timeout)`)),
      this.timeoutMs,
    );
  }

  private detach(): void {
    this.stream.off('data', this.onData);
    this.stream.off('close', this.onClose);
    this.stream.off('end', this.onClose);
    this.stream.off('error', this.onError);
  }

  private readonly onData = (chunk: Buffer): void => {
    let frames: Uint8Array[];
    try {
      frames = this.reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } catch (e) {
      // Only a 4-byte length can exceed the limit: a peer that is not speaking the handshake.
      return this.abort(new TransportError('closed', `bad handshake frame: ${(e as Error).message}`));
    }
    for (const f of frames) {
      const w = this.waiting;
      if (w !== undefined) {
        this.waiting = undefined;
        w.resolve(f);
      } else this.frames.push(f);
    }
  };

  private readonly onClose = (): void => this.abort(new TransportError('closed', 'the peer closed the connection'));

  private readonly onError = (e: Error): void => this.abort(new TransportError('closed', `socket error: ${e.message}`, e));
}
