/**
 * An embedded EPMD, wire-compatible with Erlang's epmd (erts/epmd/src/
 * epmd_srv.c): real `erl` nodes register with it and find each other
 * through it. One request per connection; the connection of a successful
 * ALIVE2_REQ stays open and holds the registration. Anything malformed is
 * answered as epmd answers it, by closing the connection without a reply;
 * a request longer than `maxFrame` is refused from its length field, before
 * any of it is buffered.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { encodeAlive2Resp, encodeAlive2XResp, encodePort2RespNode, readRequestBody, RequestTag, ResponseTag, type Alive2Req } from '../../generated/epmd.js';
import { DecodeError } from '../wire/errors.js';
import { FrameReader } from '../wire/frames.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';
import { formatNamesLine } from './names.js';
import { NodeTable, type RegisteredNode } from './registry.js';

export interface EpmdServerOptions {
  /** 0 (default) lets the OS choose; read the result from `.port`. */
  readonly port?: number;
  /** Default 127.0.0.1. Use 0.0.0.0 when other hosts must look nodes up. */
  readonly host?: string;
  /**
   * Largest request accepted, in bytes. Default 3057, epmd's own limit (its
   * 3060-byte input buffer holds the u16 length and a NUL too); the longest
   * valid ALIVE2_REQ is 13 + 2 × 1020 bytes.
   */
  readonly maxFrame?: number;
  /** Milliseconds a connection may take to send its request (default 10000); ALIVE2 connections then wait forever. */
  readonly requestTimeout?: number;
  /** As `epmd -relaxed_command_check`: KILL_REQ even with nodes registered, and STOP_REQ. */
  readonly relaxedCommandCheck?: boolean;
  /** Open connections at most (default 1000); more are refused by the OS listener. */
  readonly maxConnections?: number;
  /** Where failures of the listener after start-up go (an accept failing, e.g. EMFILE); the EPMD keeps serving. */
  readonly debug?: (line: string) => void;
}

/** The answer to a request: written, then the connection closes unless `keep`. */
interface Reply {
  readonly bytes: Uint8Array;
  /** ALIVE2: the connection stays open, with no timeout, until the peer closes it or sends anything more. */
  readonly keep?: boolean;
  /** The name the kept connection holds (none after a refused ALIVE2). */
  readonly registers?: string;
  /** After the answer is sent and the connection closed. */
  readonly then?: () => void;
}

const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class EpmdServer {
  readonly #server: Server;
  readonly #options: Required<Omit<EpmdServerOptions, 'port' | 'host' | 'debug'>>;
  readonly #table = new NodeTable();
  readonly #sockets = new Set<Socket>();
  /** The ALIVE2 connection of each registered name, to close it on STOP_REQ. */
  readonly #aliveSockets = new Map<string, Socket>();
  #nextConn = 0;
  #closed: Promise<void> | undefined;

  private constructor(
    server: Server,
    readonly host: string,
    readonly port: number,
    options: EpmdServerOptions,
  ) {
    this.#server = server;
    this.#options = {
      maxFrame: options.maxFrame ?? 3057,
      requestTimeout: options.requestTimeout ?? 10_000,
      relaxedCommandCheck: options.relaxedCommandCheck ?? false,
      maxConnections: options.maxConnections ?? 1000,
    };
    server.maxConnections = this.#options.maxConnections;
    server.on('connection', (socket) => this.#accept(socket));
    // net.Server emits 'error' when an accept fails; unheard, that would crash the process hosting this EPMD.
    server.on('error', (e) => options.debug?.(`embedded EPMD on ${host}:${port}: ${e.message}`));
  }

  /** Listens on `host:port`; rejects with the listen error (EADDRINUSE when an epmd runs there already). */
  static start(options: EpmdServerOptions = {}): Promise<EpmdServer> {
    const host = options.host ?? '127.0.0.1';
    const server = createServer();
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port: options.port ?? 0 }, () => {
        server.off('error', reject);
        const address = server.address();
        const port = typeof address === 'object' && address !== null ? address.port : 0;
        resolve(new EpmdServer(server, host, port, options));
      });
    });
  }

  /** The nodes registered now, newest first. */
  get nodes(): readonly RegisteredNode[] {
    return this.#table.registered();
  }

  /** Stops listening and drops every connection, so every registration ends. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= new Promise((resolve) => {
      this.#server.close(() => resolve());
      for (const socket of this.#sockets) socket.destroy();
    });
    return this.#closed;
  }

  #accept(socket: Socket): void {
    const conn = ++this.#nextConn;
    const local = isLocalAddress(socket.remoteAddress, socket.localAddress);
    const frames = new FrameReader(2, { maxFrame: this.#options.maxFrame });
    /** After an ALIVE2 answer: any byte read then closes the connection (and unregisters what it registered). */
    let kept = false;
    let alive: string | undefined;
    let answered = false;
    this.#sockets.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(this.#options.requestTimeout, () => socket.destroy());
    // A reset peer is an ordinary end of a connection here; 'close' follows and cleans up.
    socket.on('error', () => {});
    socket.on('close', () => {
      this.#sockets.delete(socket);
      if (alive !== undefined) this.#unregister(alive, conn);
    });
    socket.on('data', (chunk: Buffer) => {
      if (kept) {
        // epmd_srv.c: "got more than expected on ALIVE socket": the node is unregistered and the connection closed.
        socket.destroy();
        return;
      }
      if (answered) return; // One request per connection; the answer is on its way and the connection closing.
      let got: Uint8Array[];
      try {
        got = frames.push(chunk);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        socket.destroy(); // SIZE_LIMIT: a length field over maxFrame, refused before its bytes are kept.
        return;
      }
      const request = got[0];
      if (request === undefined) return;
      answered = true;
      // epmd reads a request and whatever came with it at once, and refuses the lot if there is more than the request.
      const more = got.length > 1 || frames.takeRest().length > 0;
      const reply = more ? undefined : this.#handle(request, { socket, conn, local });
      if (reply === undefined) socket.destroy();
      else if (reply.keep) {
        kept = true;
        alive = reply.registers;
        socket.setTimeout(0);
        socket.write(reply.bytes);
      } else
        socket.end(reply.bytes, () => {
          socket.destroy();
          reply.then?.();
        });
    });
  }

  /** What to answer; undefined to close without a reply. */
  #handle(frame: Uint8Array, peer: { socket: Socket; conn: number; local: boolean }): Reply | undefined {
    let req;
    try {
      // Not decodeRequestBody: epmd reads the fields it needs and ignores bytes after them.
      req = readRequestBody(new Reader(frame));
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      // epmd checks only the layout of an ALIVE2_REQ at first; a name that is not UTF-8 is refused later, as a taken one is.
      if (e.code === 'BAD_UTF8' && frame[0] === RequestTag.ALIVE2_REQ && peer.local && alive2LayoutOk(frame))
        return alive2Refused((frame[5]! << 8) | frame[6]!);
      return undefined; // Unknown tag, truncated fields: epmd closes without a reply.
    }
    const body = req.body;
    switch (req.tag) {
      case RequestTag.ALIVE2_REQ: {
        // epmd: local peers only; otherwise as alive2LayoutOk (the decoder has checked the lengths).
        const alive = body as Alive2Req;
        if (!peer.local || frame.length <= 13 || alive.nodeName.includes('\0')) return undefined;
        return this.#alive2(alive, peer.socket, peer.conn);
      }
      case RequestTag.PORT_PLEASE2_REQ:
        return this.#portPlease(nameOf(frame));
      case RequestTag.NAMES_REQ:
        return { bytes: this.#names() };
      case RequestTag.DUMP_REQ:
        return peer.local ? { bytes: this.#dump() } : undefined;
      case RequestTag.KILL_REQ:
        return peer.local ? this.#kill() : undefined;
      case RequestTag.STOP_REQ:
        return peer.local && this.#options.relaxedCommandCheck ? this.#stop(nameOf(frame)) : undefined;
      default:
        return undefined;
    }
  }

  #alive2(req: Alive2Req, socket: Socket, conn: number): Reply {
    const node = this.#table.register(req, conn);
    if (node === undefined) return alive2Refused(req.highestVersion);
    this.#aliveSockets.set(req.nodeName, socket);
    return { bytes: alive2Resp(req.highestVersion, 0, node.creation), keep: true, registers: req.nodeName };
  }

  #unregister(name: string, conn?: number): void {
    if (this.#table.unregister(name, conn) !== undefined) this.#aliveSockets.delete(name);
  }

  #portPlease(name: string | undefined): Reply | undefined {
    if (name === undefined) return undefined;
    const node = this.#table.lookup(name);
    const w = new Writer(64);
    w.u8(ResponseTag.PORT2_RESP);
    if (node === undefined) w.u8(1);
    else {
      w.u8(0);
      encodePort2RespNode(w, node);
    }
    return { bytes: w.finish() };
  }

  #names(): Uint8Array {
    return join([u32(this.port), ...this.#table.registered().map((n) => formatNamesLine({ name: n.nodeName, port: n.portNo }))]);
  }

  /** DUMP_RESP with epmd_srv.c's formats (angle brackets and a NUL after each entry). */
  #dump(): Uint8Array {
    const active = this.#table.registered().map((n) => `active name     <${n.nodeName}> at port ${n.portNo}, fd = ${n.conn}\n\0`);
    const old = this.#table.unregistered().map((n) => `old/unused name <${n.name}>, port = ${n.port}, fd = ${n.conn} \n\0`);
    return join([u32(this.port), ...[...active, ...old].map((s) => encoder.encode(s))]);
  }

  /** "NO" while nodes are registered (unless relaxed); "OK" stops this EPMD, as `epmd -kill` stops epmd. */
  #kill(): Reply {
    if (!this.#options.relaxedCommandCheck && this.#table.registered().length > 0) return { bytes: encoder.encode('NO') };
    return { bytes: encoder.encode('OK'), then: () => void this.close() };
  }

  #stop(name: string | undefined): Reply | undefined {
    if (name === undefined) return undefined;
    const socket = this.#aliveSockets.get(name);
    if (socket === undefined) return { bytes: encoder.encode('NOEXIST') };
    this.#unregister(name);
    socket.destroy();
    return { bytes: encoder.encode('STOPPED') };
  }
}

/** ALIVE2_X_RESP to a version 6 node, the old ALIVE2_RESP (16-bit creation) to an older one. */
function alive2Resp(highestVersion: number, result: number, creation: number): Uint8Array {
  const w = new Writer(16);
  if (highestVersion >= 6) {
    w.u8(ResponseTag.ALIVE2_X_RESP);
    encodeAlive2XResp(w, { result, creation });
  } else {
    w.u8(ResponseTag.ALIVE2_RESP);
    encodeAlive2Resp(w, { result, creation });
  }
  return w.finish();
}

/**
 * Result 1 with creation 99, as epmd answers a taken or invalid name. epmd
 * keeps this connection open like a registration (OTP 25 verified) until the
 * peer closes it or sends more; erl_epmd closes it at once.
 */
function alive2Refused(highestVersion: number): Reply {
  return { bytes: alive2Resp(highestVersion, 1, 99), keep: true };
}

/** The length checks epmd makes before it looks at the name: Nlen and Elen fit in the frame, at least one byte of name, no NUL in it. */
function alive2LayoutOk(frame: Uint8Array): boolean {
  if (frame.length <= 13) return false;
  const nlen = (frame[9]! << 8) | frame[10]!;
  if (13 + nlen > frame.length) return false;
  const elen = (frame[11 + nlen]! << 8) | frame[12 + nlen]!;
  return 13 + nlen + elen <= frame.length && !frame.subarray(11, 11 + nlen).includes(0);
}

/**
 * The name after the tag of PORT_PLEASE2_REQ / STOP_REQ: one trailing NUL
 * tolerated; empty, NUL inside, bad UTF-8 or over 255 characters is
 * undefined (epmd closes without answering).
 */
function nameOf(frame: Uint8Array): string | undefined {
  let end = frame.length;
  if (end > 1 && frame[end - 1] === 0) end--;
  const bytes = frame.subarray(1, end);
  if (bytes.length === 0 || bytes.includes(0)) return undefined;
  try {
    const name = strictUtf8.decode(bytes);
    return [...name].length <= 255 ? name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether epmd would call a peer local: 127.x.x.x, ::1, or the very address
 * the connection came in on (the host talking to itself through its own IP).
 * ALIVE2, DUMP, KILL and STOP from anyone else are closed without a reply.
 */
export function isLocalAddress(remote: string | undefined, local: string | undefined): boolean {
  if (remote === undefined) return false; // epmd: no peer name is not local
  const r = remote.replace(/^::ffff:/i, '');
  return r.startsWith('127.') || r === '::1' || r === local?.replace(/^::ffff:/i, '');
}

function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v);
  return b;
}

function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
