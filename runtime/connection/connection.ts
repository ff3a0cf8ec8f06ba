/**
 * One established distribution connection (after the handshake): 4-byte
 * frames, ticks and the tick timeout, inbound packets parsed into typed
 * control messages for a sink, outbound packets batched into one socket write
 * per callback (and the promise jobs it sets off), and back-pressure instead
 * of unbounded buffering.
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

export class Connection extends EventEmitter {
  readonly peer: string;
  private readonly frames: FrameReader;
  private readonly reader: PacketReader;
  private readonly writer: PacketWriter;
  private readonly highWaterMark: number;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;
  private wroteSinceTick = false;
  private lastHeard = Date.now();
  private readonly ticker: NodeJS.Timeout;
  private readonly ticktimeMs: number;
  private closedWith: ConnectionClosed | undefined;

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
    this.ticker = setInterval(() => this.tick(), this.ticktimeMs / 4);
    this.ticker.unref();
    socket.on('data', (chunk: Uint8Array) => this.receive(chunk));
    socket.on('drain', () => this.emit('drain'));
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
   * when the queue is over the high-water mark: wait for `drained()` before
   * sending more. Throws ConnectionClosed once the connection is down.
   */
  send(control: Term, payload?: Term): boolean {
    if (this.closedWith) throw this.closedWith;
    for (const p of this.writer.write(control, payload)) {
      this.pending.push(p);
      this.pendingBytes += p.length;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // One write once the current callback and every promise job it sets off
      // have run: a tick queued from a microtask runs only after the microtask
      // queue is empty. What a callback and the processes it wakes send goes
      // out together, and a reply leaves without waiting for the check phase
      // (setImmediate cost an RPC caller ~7% of its latency, BENCHMARKS.md).
      queueMicrotask(this.flushAfterJobs);
    }
    return this.queued < this.highWaterMark;
  }

  /** Bytes waiting: ours not yet handed to the socket, and the socket's own buffer. */
  get queued(): number {
    return this.pendingBytes + this.socket.writableLength;
  }

  /** Resolves once the queue is below the high-water mark again (or the connection closes). */
  drained(): Promise<void> {
    if (this.queued < this.highWaterMark || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.queued < this.highWaterMark || this.closed) {
          this.off('drain', check);
          this.off('close', check);
          resolve();
        }
      };
      this.on('drain', check);
      this.on('close', check);
    });
  }

  close(reason: ConnectionClosed = new ConnectionClosed(this.peer, 'local')): void {
    if (this.closedWith) return;
    this.closedWith = reason;
    clearInterval(this.ticker);
    this.reader.fragments.clear();
    this.pending = [];
    this.pendingBytes = 0;
    this.socket.destroy();
    this.sink.closed(this, reason);
    this.emit('close', reason);
  }

  private readonly flushAfterJobs = (): void => void process.nextTick(this.flushNow);
  private readonly flushNow = (): void => this.flush();

  private flush(): void {
    this.flushScheduled = false;
    if (this.closedWith || this.pending.length === 0) return;
    const batch = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.wroteSinceTick = true;
    this.socket.write(batch);
  }

  private receive(chunk: Uint8Array): void {
    if (this.closedWith) return;
    this.lastHeard = Date.now();
    try {
      for (const frame of this.frames.push(chunk)) {
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
    if (!this.wroteSinceTick && this.pending.length === 0) this.socket.write(PacketWriter.TICK);
    this.wroteSinceTick = false;
  }
}
