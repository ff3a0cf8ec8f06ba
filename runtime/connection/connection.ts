/**
 * One established distribution connection (after the handshake): 4-byte
 * frames, ticks and the tick timeout, inbound packets parsed into typed
 * control messages for a sink, outbound packets batched into one socket write
 * per callback (and the promise jobs it sets off), and back-pressure instead
 * of unbounded buffering: `send` says when the bytes queued are over the
 * high-water mark, `drained()` waits for them to go below it again (the
 * node's `drain(peer)` and a suspended process's next receive wait on it, as
 * Erlang suspends a sender on a busy dist port).
 * Outbound bytes are copied into large chunks as they are encoded, so what a
 * burst leaves queued costs its wire size, not an object per message.
 * It never touches a mailbox: the node layer is its sink (style.md, "One seam
 * between protocol and runtime").
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { follows, parseControl, type Control } from '../../generated/control.js';
import { TermShapeError } from '../term/shape.js';
import type { DecodeOptions } from '../etf/codec.js';
import type { Term } from '../term/values.js';
import { BeamwireError } from '../wire/errors.js';
import { FrameReader } from '../wire/frames.js';
import { PacketReader, PacketWriter } from './packets.js';
import { busyWait, DEFAULT_BUSY_WAIT_US } from './spin.js';

export interface ConnectionOptions {
  /** The peer's node name, for errors and events. */
  readonly peer: string;
  /** The negotiated flags: they decide the packet form. */
  readonly flags: bigint;
  /** net_ticktime in seconds (OTP's default 60): tick every ticktime/4, give up after ticktime of silence. */
  readonly ticktime?: number;
  /** Largest packet accepted from the peer. Default 128 MiB. */
  readonly maxPacket?: number;
  /** Bytes queued (ours and the socket's) above which send() reports back-pressure. Default 8 MiB. */
  readonly highWaterMark?: number;
  readonly decode?: DecodeOptions;
  /** µs the event loop busy-waits after each packet in or out (runtime/connection/spin.ts); 0 never. Default 100. */
  readonly busyWait?: number;
}

export interface ConnectionSink {
  signal(connection: Connection, control: Control, payload: Term | undefined): void;
  closed(connection: Connection, reason: ConnectionClosed): void;
}

export type ConnectionClosedReason = 'net_tick_timeout' | 'closed' | 'bad_packet' | 'local' | 'socket_error' | 'replaced';

/**
 * Why a connection ended: `net_tick_timeout`, `closed` by the peer,
 * `bad_packet` (with the error), `local`, or `replaced` by a newer connection
 * to the same node (the handshake's `alive`). Code `CONNECTION_<REASON>`
 * (`CONNECTION_NET_TICK_TIMEOUT`, `CONNECTION_CLOSED`, ...).
 */
export class ConnectionClosed extends BeamwireError {
  override readonly name = 'ConnectionClosed';
  readonly code: `CONNECTION_${Uppercase<ConnectionClosedReason>}`;
  constructor(
    readonly peer: string,
    readonly reason: ConnectionClosedReason,
    override readonly cause?: unknown,
  ) {
    super(`connection to ${peer} ended: ${reason}${cause instanceof Error ? ` (${cause.message})` : ''}`);
    this.code = `CONNECTION_${reason.toUpperCase() as Uppercase<ConnectionClosedReason>}`;
  }
}

/**
 * The events of a Connection. Neither is an 'error': a failure closes the
 * connection, and the reason comes with 'close' (and the sink's `closed`).
 */
export interface ConnectionEvents {
  /** The bytes queued went below the high-water mark after a `send` had found them at or above it. */
  drain: [];
  /** The connection ended (once), with why. */
  close: [reason: ConnectionClosed];
}

/** Outbound bytes are copied into chunks of this size; a packet over half of it is queued as it is. */
const CHUNK = 256 * 1024;

export class Connection extends EventEmitter<ConnectionEvents> {
  readonly peer: string;
  /** Bytes queued (ours and the socket's) at or above which `send` reports back-pressure. */
  readonly highWaterMark: number;
  private readonly frames: FrameReader;
  private readonly reader: PacketReader;
  private readonly writer: PacketWriter;
  /** The chunk being filled; bytes before `start` were handed to the socket, [start, pos) not yet. */
  private chunk = new Uint8Array(0);
  private start = 0;
  private pos = 0;
  /** Finished runs of bytes (filled chunks, large packets) not yet handed to the socket, in order. */
  private segments: Uint8Array[] = [];
  private segmentBytes = 0;
  private flushScheduled = false;
  /** A send found the queue at or above the mark; 'drain' is owed once it goes below. */
  private blocked = false;
  private drainedPromise: Promise<void> | undefined;
  private wroteSinceTick = false;
  private lastHeard = Date.now();
  private readonly ticker: NodeJS.Timeout;
  private readonly ticktimeMs: number;
  private closedWith: ConnectionClosed | undefined;
  private readonly busyWaitUs: number;

  constructor(
    private readonly socket: Duplex,
    /** Bytes that arrived with the last handshake message. */
    rest: Uint8Array,
    options: ConnectionOptions,
    private readonly sink: ConnectionSink,
  ) {
    super();
    this.peer = options.peer;
    this.frames = new FrameReader(4, { maxFrame: options.maxPacket ?? 128 * 1024 * 1024 });
    this.reader = new PacketReader(options.decode ?? {});
    this.writer = new PacketWriter(options.flags);
    this.highWaterMark = options.highWaterMark ?? 8 * 1024 * 1024;
    this.ticktimeMs = (options.ticktime ?? 60) * 1000;
    this.busyWaitUs = options.busyWait ?? DEFAULT_BUSY_WAIT_US;
    this.ticker = setInterval(() => this.tick(), this.ticktimeMs / 4);
    this.ticker.unref();
    socket.on('data', (chunk: Uint8Array) => this.receive(chunk));
    socket.on('drain', this.afterWrite);
    socket.on('end', () => this.close(new ConnectionClosed(this.peer, 'closed')));
    socket.on('close', () => this.close(new ConnectionClosed(this.peer, 'closed')));
    socket.on('error', (e) => this.close(new ConnectionClosed(this.peer, 'socket_error', e)));
    if (rest.length > 0) this.receive(rest);
    // The handshake hands the socket over paused; a 'data' listener alone does not restart it.
    socket.resume();
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /**
   * Queues a control message (and its payload) for the peer. Returns false
   * when the queue is at or above the high-water mark: the message is queued
   * all the same, but the sender should wait for `drained()` before sending
   * more. Throws ConnectionClosed once the connection is down.
   */
  send(control: Term, payload?: Term): boolean {
    if (this.closedWith) throw this.closedWith;
    return this.queue(this.writer.write(control, payload));
  }

  /** As `send`, with the payload already encoded (`encode`'s bytes): for signals that waited for the connection. */
  sendEncoded(control: Term, payload: Uint8Array): boolean {
    if (this.closedWith) throw this.closedWith;
    return this.queue(this.writer.writeEncoded(control, payload));
  }

  private queue(runs: Uint8Array[]): boolean {
    for (const p of runs) this.append(p);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // One write once the current callback and every promise job it sets off
      // have run: a tick queued from a microtask runs only after the microtask
      // queue is empty. What a callback and the processes it wakes send goes
      // out together, and a reply leaves without waiting for the check phase
      // (setImmediate cost an RPC caller ~7% of its latency, BENCHMARKS.md).
      queueMicrotask(this.flushAfterJobs);
    }
    if (this.queued < this.highWaterMark) return true;
    this.blocked = true;
    return false;
  }

  /** Bytes waiting: ours not yet handed to the socket, and the socket's own buffer. */
  get queued(): number {
    return this.segmentBytes + (this.pos - this.start) + this.socket.writableLength;
  }

  /** True while the queue is at or above the high-water mark (a sender should wait for `drained()`). */
  get needsDrain(): boolean {
    return !this.closed && this.queued >= this.highWaterMark;
  }

  /**
   * Resolves once the queue is below the high-water mark (at once if it is),
   * or when the connection closes: it never rejects, since it paces a
   * sender and says nothing of delivery (a lost connection is reported by
   * 'close', and by links and monitors as noconnection). Every caller
   * waiting at the same time shares one promise.
   */
  drained(): Promise<void> {
    if (!this.needsDrain) return Promise.resolve();
    this.blocked = true;
    return (this.drainedPromise ??= new Promise<void>((resolve) => {
      const settle = (): void => {
        this.off('drain', settle);
        this.off('close', settle);
        this.drainedPromise = undefined;
        resolve();
      };
      this.on('drain', settle);
      this.on('close', settle);
    }));
  }

  close(reason: ConnectionClosed = new ConnectionClosed(this.peer, 'local')): void {
    if (this.closedWith) return;
    this.closedWith = reason;
    clearInterval(this.ticker);
    this.reader.fragments.clear();
    this.segments = [];
    this.segmentBytes = 0;
    this.chunk = new Uint8Array(0);
    this.start = this.pos = 0;
    this.socket.destroy();
    this.sink.closed(this, reason);
    this.emit('close', reason);
  }

  private readonly flushAfterJobs = (): void => void process.nextTick(this.flushNow);
  private readonly flushNow = (): void => this.flush();

  private flush(): void {
    this.flushScheduled = false;
    if (!this.closedWith) this.writeOut();
  }

  /** Copies a packet into the chunk being filled; a full chunk goes to the socket at once, so a long burst does not wait for the flush to start writing. */
  private append(p: Uint8Array): void {
    if (p.length > this.chunk.length - this.pos) {
      this.seal();
      if (this.segmentBytes >= CHUNK) this.writeOut();
      if (p.length > CHUNK / 2) {
        // Large packets are exact-size copies already (runtime/wire/writer.ts): queued as they are.
        this.segments.push(p);
        this.segmentBytes += p.length;
        return;
      }
      this.chunk = new Uint8Array(CHUNK);
      this.start = this.pos = 0;
    }
    this.chunk.set(p, this.pos);
    this.pos += p.length;
  }

  /** Moves the unwritten bytes of the chunk to `segments`. */
  private seal(): void {
    if (this.pos === this.start) return;
    this.segments.push(this.chunk.subarray(this.start, this.pos));
    this.segmentBytes += this.pos - this.start;
    this.start = this.pos;
  }

  /** Hands every queued byte to the socket: one write, or one writev for several runs. The chunk is never written again under what it handed over. */
  private writeOut(): void {
    this.seal();
    const n = this.segments.length;
    if (n === 0) return;
    this.wroteSinceTick = true;
    if (this.busyWaitUs > 0) busyWait(this.busyWaitUs);
    const segments = this.segments;
    this.segments = [];
    this.segmentBytes = 0;
    if (n === 1) return void this.socket.write(segments[0]!, this.afterWrite);
    this.socket.cork();
    for (let i = 0; i < n - 1; i++) this.socket.write(segments[i]!);
    this.socket.write(segments[n - 1]!, this.afterWrite);
    this.socket.uncork();
  }

  /** After a write reached the kernel (and on the socket's 'drain'): owed 'drain' once below the mark. */
  private readonly afterWrite = (): void => {
    if (this.blocked && !this.closedWith && this.queued < this.highWaterMark) {
      this.blocked = false;
      this.emit('drain');
    }
  };

  private receive(chunk: Uint8Array): void {
    if (this.closedWith) return;
    this.lastHeard = Date.now();
    if (this.busyWaitUs > 0) busyWait(this.busyWaitUs);
    try {
      // A plain view of the socket's Buffer: every frame, and every binary
      // decoded from it, is a subarray, and a Buffer's subarray constructs a
      // FastBuffer (two per message in the receive profile, ~3 % of its CPU).
      // It also makes `copyBinaries` copy: a Buffer's slice() is a view.
      const bytes = chunk instanceof Buffer ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength) : chunk;
      for (const frame of this.frames.push(bytes)) {
        const inbound = this.reader.read(frame);
        if (inbound.kind === 'signal') {
          const ctl = parseControl(inbound.control);
          // The schema says which operations carry a second term; a missing or extra one is a bad packet, not a guess.
          if ((follows[ctl.kind] === 'none') !== (inbound.payload === undefined))
            throw new TermShapeError(ctl.kind, follows[ctl.kind] === 'none' ? 'carries a term it should not' : `lacks its ${follows[ctl.kind]}`, inbound.control);
          this.sink.signal(this, ctl, inbound.payload);
        }
        if (this.closedWith) return;
      }
    } catch (e) {
      // Malformed bytes from the peer: a typed error and a clean close, never a crash.
      this.close(new ConnectionClosed(this.peer, 'bad_packet', e));
    }
  }

  /** As dist_util: tick when we wrote nothing in the last interval; give up after ticktime of silence. */
  private tick(): void {
    if (this.closedWith) return;
    if (Date.now() - this.lastHeard > this.ticktimeMs) {
      this.close(new ConnectionClosed(this.peer, 'net_tick_timeout'));
      return;
    }
    if (!this.wroteSinceTick && this.segmentBytes === 0 && this.pos === this.start) this.socket.write(PacketWriter.TICK);
    this.wroteSinceTick = false;
  }
}
