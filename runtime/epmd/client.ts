/**
 * A client for epmd (Erlang Port Mapper Daemon): register a node, look up
 * another node's distribution port, list the names. Each request is one
 * TCP connection with a deadline, as erl_epmd does it; a registration keeps
 * its connection open for as long as the node lives.
 */
import {
  decodeAlive2Resp,
  decodeAlive2XResp,
  decodeNamesResp,
  decodePort2RespNode,
  encodeRequest,
  RequestTag,
  ResponseTag,
  type RequestBody,
} from '../../generated/epmd.js';
import { DecodeError } from '../wire/errors.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';
import { EpmdError } from './errors.js';
import { exchange, refused, where, type CallOptions, type EpmdAddress } from './exchange.js';
import { parseNamesLines, type NodeEntry } from './names.js';
import { Registration } from './registration.js';

export const EPMD_DEFAULT_PORT = 4369;
/** NodeType of ALIVE2_REQ: informational only, hidden-ness is decided in the handshake. */
export const NODE_TYPE_NORMAL = 77;
export const NODE_TYPE_HIDDEN = 72;

export interface EpmdClientOptions {
  /** Default 127.0.0.1: epmd accepts ALIVE2_REQ from local peers only. */
  readonly host?: string;
  /** Default: $ERL_EPMD_PORT, else 4369. */
  readonly port?: number;
  /** Milliseconds for each call, connecting included (default 5000). */
  readonly timeout?: number;
}

export interface RegisterOptions extends CallOptions {
  /** The alive part of the node name (before '@'). */
  readonly name: string;
  /** The port the node's distribution listener accepts connections on. */
  readonly port: number;
  /** Registers NodeType 72 instead of 77 (epmd only stores it; OTP itself always sends 77). */
  readonly hidden?: boolean;
  /** Default 6: OTP 25+ speaks only version 6. */
  readonly highestVersion?: number;
  /** Default 6. */
  readonly lowestVersion?: number;
  /** 0 = TCP/IPv4 (default; OTP registers 0 for every transport). */
  readonly protocol?: number;
  readonly extra?: Uint8Array;
}

/** A node as PORT2_RESP describes it. */
export interface NodeInfo {
  /** Its distribution port. */
  readonly port: number;
  /** 77 normal, 72 hidden (informational only). */
  readonly nodeType: number;
  readonly protocol: number;
  readonly highestVersion: number;
  readonly lowestVersion: number;
  readonly name: string;
  readonly extra: Uint8Array;
}

export interface NamesResult {
  /** The port epmd says it listens on. */
  readonly epmdPort: number;
  readonly nodes: NodeEntry[];
}

export class EpmdClient {
  readonly host: string;
  readonly port: number;
  readonly timeout: number;

  constructor(options: EpmdClientOptions = {}) {
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? portFromEnv();
    this.timeout = options.timeout ?? 5000;
    checkPort(this.port, 'EpmdClient port');
    if (!(this.timeout > 0)) throw new EpmdError('BAD_ARGUMENT', `EpmdClient timeout must be a positive number of ms, not ${this.timeout}`);
  }

  private get address(): EpmdAddress {
    return { host: this.host, port: this.port };
  }

  /** ALIVE2_REQ: registers `name` and keeps the registration (its connection) open until `close()`. */
  async register(options: RegisterOptions): Promise<Registration> {
    const { name, port } = options;
    checkName(name);
    checkPort(port, `distribution port of "${name}"`);
    const highestVersion = options.highestVersion ?? 6;
    const lowestVersion = options.lowestVersion ?? 6;
    const what = `ALIVE2_REQ for "${name}"`;
    const to = this.address;
    const request = encode({
      tag: RequestTag.ALIVE2_REQ,
      body: {
        portNo: port,
        nodeType: options.hidden ? NODE_TYPE_HIDDEN : NODE_TYPE_NORMAL,
        protocol: options.protocol ?? 0,
        highestVersion,
        lowestVersion,
        nodeName: name,
        extra: options.extra ?? new Uint8Array(0),
      },
    });
    const answer = await exchange(to, {
      what,
      request,
      keep: true,
      maxResponse: 6,
      timeout: options.timeout ?? this.timeout,
      signal: options.signal,
      complete: (rx, closed) => {
        if (rx.length === 0) {
          if (closed) throw refused(to, what, 'epmd refuses ALIVE2_REQ from non-local peers and malformed names');
          return undefined;
        }
        const tag = rx[0]!;
        const size = tag === ResponseTag.ALIVE2_X_RESP ? 6 : tag === ResponseTag.ALIVE2_RESP ? 4 : 0;
        if (size === 0) throw badResponse(to, what, new DecodeError('BAD_TAG', 0, `${tag} is neither ALIVE2_X_RESP (118) nor ALIVE2_RESP (121)`, 'response.tag'));
        if (rx.length < size && !closed) return undefined;
        const r = new Reader(rx, 1);
        const resp = decoding(to, what, () => (size === 6 ? decodeAlive2XResp(r) : decodeAlive2Resp(r)));
        if (resp.result !== 0)
          throw new EpmdError('NAME_TAKEN', `${where(to)} refused to register "${name}" (result ${resp.result}): the name is registered already, or epmd finds it invalid`);
        return resp;
      },
    });
    return new Registration(answer.socket, name, port, answer.value.creation, where(to));
  }

  /** PORT_PLEASE2_REQ: where node `name` (the alive part) listens, or undefined when it is not registered. */
  async portPlease(name: string, options: CallOptions = {}): Promise<NodeInfo | undefined> {
    checkName(name);
    const what = `PORT_PLEASE2_REQ for "${name}"`;
    const to = this.address;
    const request = encode({ tag: RequestTag.PORT_PLEASE2_REQ, body: { nodeName: new TextEncoder().encode(name) } });
    const answer = await exchange(to, {
      what,
      request,
      // 119, Result, ten bytes of fields, Nlen + a name of at most 255 × 4 bytes, Elen + Extra.
      maxResponse: 2 + 10 + 2 + 1020 + 2 + 0xffff,
      timeout: options.timeout ?? this.timeout,
      signal: options.signal,
      complete: (rx, closed): { node: NodeInfo | undefined } | undefined => {
        if (rx.length === 0) {
          if (closed) throw refused(to, what, 'epmd does so for malformed names');
          return undefined;
        }
        if (rx[0] !== ResponseTag.PORT2_RESP) throw badResponse(to, what, new DecodeError('BAD_TAG', 0, `${rx[0]} is not PORT2_RESP (119)`, 'response.tag'));
        if (rx.length < 2) return closed ? decoding(to, what, () => new Reader(rx, 1).truncated(1)) : undefined;
        if (rx[1] !== 0) {
          if (rx.length > 2) throw badResponse(to, what, new DecodeError('TRAILING_BYTES', 2, `${rx.length - 2} bytes after a PORT2_RESP error`, 'port2_resp'));
          return { node: undefined };
        }
        try {
          const n = decodePort2RespNode(new Reader(rx, 2));
          const node = { port: n.portNo, nodeType: n.nodeType, protocol: n.protocol, highestVersion: n.highestVersion, lowestVersion: n.lowestVersion, name: n.nodeName, extra: n.extra.slice() };
          return { node };
        } catch (e) {
          if (e instanceof DecodeError && e.code === 'TRUNCATED' && !closed) return undefined;
          throw badResponse(to, what, e);
        }
      },
    });
    return answer.value.node;
  }

  /** NAMES_REQ: every name registered, as epmd lists them. */
  async names(options: CallOptions = {}): Promise<NamesResult> {
    const what = 'NAMES_REQ';
    const to = this.address;
    const answer = await exchange(to, {
      what,
      request: encode({ tag: RequestTag.NAMES_REQ, body: {} }),
      maxResponse: 1024 * 1024,
      timeout: options.timeout ?? this.timeout,
      signal: options.signal,
      // The list ends where epmd closes the connection.
      complete: (rx, closed): NamesResult | undefined => {
        if (!closed) return undefined;
        if (rx.length === 0) throw refused(to, what, 'epmd always answers NAMES_REQ, so this is not an epmd');
        const resp = decoding(to, what, () => decodeNamesResp(new Reader(rx)));
        return { epmdPort: resp.epmdPortNo, nodes: decoding(to, what, () => parseNamesLines(resp.nodeInfo)) };
      },
    });
    return answer.value;
  }
}

function encode(body: RequestBody): Uint8Array {
  const w = new Writer(64);
  encodeRequest(w, { request: body });
  return w.finish();
}

function decoding<T>(to: EpmdAddress, what: string, decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    throw badResponse(to, what, e);
  }
}

function badResponse(to: EpmdAddress, what: string, cause: unknown): EpmdError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new EpmdError('BAD_RESPONSE', `${where(to)} answered ${what} with something that is not EPMD: ${detail}`, { cause });
}

/** $ERL_EPMD_PORT, as erl and epmd read it, else 4369. */
export function portFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const text = env['ERL_EPMD_PORT'];
  if (text === undefined || text === '') return EPMD_DEFAULT_PORT;
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || port < 1 || port > 0xffff)
    throw new EpmdError('BAD_ARGUMENT', `ERL_EPMD_PORT=${JSON.stringify(text)} is not a TCP port (1..65535)`);
  return port;
}

function checkPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw new EpmdError('BAD_ARGUMENT', `${what} must be an integer in 0..65535, not ${port}`);
}

/** What epmd accepts as a name: 1..255 characters of UTF-8 without NUL; '@' would make a node name ambiguous. */
export function checkName(name: string): void {
  const chars = [...name].length;
  const why =
    chars === 0 ? 'it is empty'
    : chars > 255 ? `it has ${chars} characters, epmd takes at most 255`
    : name.includes('\0') ? 'it contains NUL'
    : name.includes('@') ? "it contains '@' (pass the alive part only, before '@')"
    : !name.isWellFormed() ? 'it has a lone surrogate (not UTF-8)'
    : undefined;
  if (why !== undefined) throw new EpmdError('BAD_ARGUMENT', `${JSON.stringify(name)} is not a node name epmd accepts: ${why}`);
}
