/**
 * A node's connections: the one table of links to other nodes, the
 * attempts being made (dial: EPMD look-up, TCP, the initiator's handshake)
 * and the ones being taken (accept: the acceptor's handshake), with OTP's
 * rules for two attempts between the same pair of nodes (dist_util and
 * net_kernel):
 *
 * - simultaneous connect: the acceptor whose name sorts higher answers
 *   `nok` and keeps its own attempt; the other side's caller then waits
 *   for that connection instead of calling the node unreachable;
 * - `alive`: the acceptor still has a connection to us. The initiator goes
 *   on (replacing it) unless a connection to that peer came up here
 *   meanwhile, as net_kernel's is_pending answers;
 * - a connection that replaces one still up takes the old one down first.
 *
 * Connections run over a carrier (runtime/transport/: TCP, TLS, a stream,
 * memory); where a peer listens comes from the `peers` table, the carrier
 * itself (memory) or EPMD. What a connection carries, and what its coming
 * and going means for processes, is the sink's: this file only makes and
 * ends connections.
 */
import type { Duplex } from 'node:stream';
import { Connection, ConnectionClosed } from '../connection/connection.js';
import type { Control } from '../../generated/control.js';
import { EpmdClient, EpmdPresence, type EpmdError, type EpmdMode, type PresenceInfo } from '../epmd/index.js';
import { acceptOnStream, DEFAULT_SETUP_TIMEOUT_MS, HandshakeError, initiateOnStream, simultaneousStatus } from '../handshake/index.js';
import { NodeStopped } from '../process/index.js';
import { isBeamwireError } from '../wire/errors.js';
import type { Term } from '../term/values.js';
import { alertCode, DialError, type Address, type Carrier, type Listener } from '../transport/index.js';
import { splitName } from './names.js';

export interface Link {
  readonly connection: Connection;
  readonly flags: bigint;
}

/** How a node is found: EPMD in one of its modes, or no EPMD (fixed ports; peers found by `peers` or `connect`). */
export type EpmdSettings = { readonly mode: EpmdMode; readonly port: number; readonly host?: string | undefined } | { readonly mode: 'none' };

export interface NetworkStart extends Omit<NetworkOptions, 'creation' | 'epmdPort'> {
  /** Where the distribution listener binds (default 0.0.0.0, any port). */
  readonly listen?: { readonly host?: string | undefined; readonly port?: number | undefined } | undefined;
  readonly epmd: EpmdSettings;
}

export interface NetworkOptions {
  /** Our full node name. */
  readonly name: string;
  readonly creation: number;
  readonly cookie: string;
  /** Per-node cookies (erlang:set_cookie/2). */
  readonly cookies?: Readonly<Record<string, string>> | undefined;
  readonly hidden: boolean;
  /** net_ticktime in seconds. */
  readonly ticktime: number;
  readonly carrier: Carrier;
  /** Where peers are looked up: the node's EPMD port (read back after start), or undefined when the node runs without EPMD. */
  epmdPort(): number | undefined;
  /** Fixed addresses (a port, or host and port) of peers: used before the carrier or EPMD is asked. */
  readonly peers?: Readonly<Record<string, number | Address>> | undefined;
  /** Milliseconds for the carrier's set-up (TCP connect, TLS handshake); default the setup time, 7000. */
  readonly connectTimeoutMs?: number | undefined;
  /** Largest packet taken from a peer (default the connection's, 128 MiB): a larger one closes that connection. */
  readonly maxPacket?: number | undefined;
  /** µs each connection busy-waits after a packet (ConnectionOptions.busyWait). */
  readonly busyWait?: number | undefined;
}

/**
 * A stream to `peer` that something above the node opens (a router's tunnel
 * through a tree of contexts), or undefined to dial the usual way. A
 * rejection is why `peer` cannot be reached.
 */
export type StreamRoute = (peer: string) => Promise<Duplex> | undefined;

export interface NetworkSink {
  /** A control message (and payload) that arrived on `connection`. */
  signal(connection: Connection, control: Control, payload: Term | undefined): void;
  /** A connection to `peer` is in the table. */
  up(peer: string): void;
  /** The connection to `peer` left the table. */
  down(peer: string, reason: ConnectionClosed): void;
  /** A handshake failed (not a simultaneous connect's `nok`, which is no failure). */
  handshakeError(error: HandshakeError, direction: 'in' | 'out'): void;
  /** The EPMD registration was lost (registering again has begun), or is back. */
  epmdLost(error: EpmdError): void;
  epmdRegistered(info: PresenceInfo): void;
  /** The listener failed after start. */
  listenerError(error: Error): void;
  /** The carrier refused a connection a peer opened, before any handshake (TLS: a certificate that does not verify). */
  refused(error: Error): void;
  debug(line: string): void;
}

interface Waiter {
  resolve(l: Link): void;
  reject(e: unknown): void;
}

export class Network {
  readonly #o: NetworkOptions;
  readonly #sink: NetworkSink;
  readonly #links = new Map<string, Link>();
  readonly #pending = new Map<string, Promise<Link>>();
  /** Streams still in a handshake, either direction: `stop` destroys them. */
  readonly #handshaking = new Set<Duplex>();
  /** Addresses given to `connection(peer, address)`, for that attempt and later ones. */
  readonly #known = new Map<string, Address>();
  /** Attempts that got `nok` and wait for the peer's own connection to come up. */
  readonly #awaitingPeer = new Map<string, Waiter[]>();
  /** Why the last attempt to reach a node failed (a HandshakeError, an EpmdError, ...), until a connection to it comes up. */
  readonly #failures = new Map<string, unknown>();
  /** erlang:set_cookie/2 at run time: over the start options' `cookies`. */
  readonly #cookies = new Map<string, string>();
  #route: StreamRoute | undefined;
  #stopped = false;
  #listener: Listener | undefined;
  #presence: EpmdPresence | undefined;

  constructor(options: NetworkOptions, sink: NetworkSink) {
    this.#o = options;
    this.#sink = sink;
  }

  /**
   * Listens on the carrier and registers with EPMD (unless `epmd.mode` is
   * 'none': then the creation is random, as OTP's is without epmd). The
   * sink hears nothing until the promise resolves.
   */
  static async start(o: NetworkStart, sink: NetworkSink): Promise<Network> {
    let network: Network | undefined;
    const early: Duplex[] = [];
    const listener = await o.carrier.listen(
      { node: o.name, host: o.listen?.host, port: o.listen?.port },
      (s) => (network === undefined ? early.push(s) : void network.accept(s)),
      {
        error: (e) => sink.listenerError(e),
        refused: (e) => {
          sink.debug(`refused a connection in the carrier's set-up: ${e.message}`);
          sink.refused(e);
        },
      },
    );
    let presence: EpmdPresence | undefined;
    try {
      if (o.epmd.mode !== 'none')
        presence = await EpmdPresence.start({
          name: splitName(o.name)[0],
          port: listener.address.port,
          hidden: o.hidden,
          epmdPort: o.epmd.port,
          mode: o.epmd.mode,
          host: o.epmd.host,
          debug: (l) => sink.debug(l),
        });
    } catch (e) {
      await listener.close();
      throw e;
    }
    const creation = presence?.creation ?? 1 + Math.floor(Math.random() * 0xfffffffe);
    network = new Network({ ...o, creation, epmdPort: () => presence?.epmdPort }, sink);
    network.#listener = listener;
    network.#presence = presence;
    presence?.on('lost', (e) => sink.epmdLost(e));
    presence?.on('registered', (info) => sink.epmdRegistered(info));
    for (const s of early) void network.accept(s);
    return network;
  }

  get creation(): number {
    return this.#o.creation;
  }

  /** Where peers find this node: the listener's address. */
  get address(): Address | undefined {
    return this.#listener?.address;
  }

  /** The EPMD port this node registered with; undefined without EPMD. */
  get epmdPort(): number | undefined {
    return this.#presence?.epmdPort;
  }

  get carrier(): Carrier {
    return this.#o.carrier;
  }

  /** The connection to `peer` if it is up. */
  connected(peer: string): Link | undefined {
    return this.#links.get(peer);
  }

  /** Connected nodes, sorted. */
  nodes(): string[] {
    return [...this.#links.keys()].sort();
  }

  /**
   * The connection to `peer`, made on demand; concurrent callers share one
   * attempt. `via` dials at that address (no look-up) and is remembered for
   * later attempts; a stream is used as it is (a pipe to the peer already open).
   */
  connection(peer: string, via?: Address | Duplex): Promise<Link> {
    if (this.#stopped) return Promise.reject(this.#refused(peer));
    const up = this.#links.get(peer);
    if (up) return Promise.resolve(up);
    let attempt = this.#pending.get(peer);
    if (attempt) return attempt;
    if (via !== undefined && !isStream(via)) this.#known.set(peer, via);
    attempt = this.#dial(peer, isStream(via) ? via : undefined).finally(() => this.#pending.delete(peer));
    this.#pending.set(peer, attempt);
    return attempt;
  }

  /** Records why `peer` could not be reached: the `cause` of the noconnection errors it leads to. */
  failed(peer: string, error: unknown): void {
    this.#failures.set(peer, error);
  }

  whyUnreachable(peer: string): unknown {
    return this.#failures.get(peer);
  }

  /** Closes the connection to `peer`; false when there was none. */
  disconnect(peer: string): boolean {
    const link = this.#links.get(peer);
    link?.connection.close();
    return link !== undefined;
  }

  /** For good: handshakes under way are cut, waiting callers reject with NodeStopped, every connection closes (the sink hears each go down). */
  stop(): void {
    this.#stopped = true;
    for (const s of this.#handshaking) s.destroy();
    for (const [peer, waiting] of this.#awaitingPeer) for (const w of waiting) w.reject(this.#refused(peer));
    this.#awaitingPeer.clear();
    for (const l of [...this.#links.values()]) l.connection.close();
  }

  /** After `stop` and the processes' end: unregisters from EPMD and closes the listener. */
  async close(): Promise<void> {
    const closed = this.#listener?.close();
    await this.#presence?.close();
    await closed;
  }

  /** A stream from the distribution listener, or (`frame` 2) any stream a peer dialled us over. */
  async accept(socket: Duplex, frame: 2 | 4 = this.#o.carrier.handshakeFrame): Promise<void> {
    if (this.#stopped) return void socket.destroy();
    this.#handshaking.add(socket);
    let peer: string | undefined;
    try {
      const hs = await acceptOnStream(socket, {
        name: this.#o.name,
        creation: this.#o.creation,
        cookie: this.#o.cookie,
        cookieFor: this.#cookieFor,
        hidden: this.#o.hidden,
        frame,
        markPending: (name) => {
          const refused = this.#o.carrier.checkPeerName?.(socket, name);
          if (refused !== undefined) throw refused;
          peer = name;
          return this.#links.has(name) ? 'alive' : this.#pending.has(name) ? simultaneousStatus(this.#o.name, name) : 'ok';
        },
      });
      if (this.#stopped) return void socket.destroy();
      this.#up(socket, hs.peerName, hs.flags, hs.rest);
    } catch (e) {
      socket.destroy();
      if (this.#stopped) return;
      if (e instanceof HandshakeError && e.reason === 'nok') return this.#sink.debug(`simultaneous connect from ${e.peer}: ours wins, refused theirs (nok)`);
      // Closed before it said who it is: a peer that dropped its side of a simultaneous connect, a port probe. No handshake to report.
      if (e instanceof HandshakeError && e.step === 'recv_name' && e.reason === 'closed') return this.#sink.debug(`a connection closed before naming its node`);
      this.#sink.debug(`refused a connection: ${(e as Error).message}`);
      if (peer !== undefined) this.#settlePeerAttempt(peer, { error: e });
      // After our 'alive' (our connection to it is up) it closed or said false: it keeps that connection. Nothing to report.
      if (e instanceof HandshakeError && e.step === 'recv_status') return;
      if (e instanceof HandshakeError) this.#sink.handshakeError(e, 'in');
      else if (isBeamwireError(e, 'TLS_REFUSED')) this.#sink.refused(e);
    } finally {
      this.#handshaking.delete(socket);
    }
  }

  readonly #cookieFor = (peer: string): string | undefined => this.#cookies.get(peer) ?? this.#o.cookies?.[peer];

  /** erlang:set_cookie(Peer, Cookie): the cookie for connections to and from `peer` from now on. */
  setCookie(peer: string, cookie: string): void {
    this.#cookies.set(peer, cookie);
  }

  /** Who opens streams before the usual dial (one at a time: a router). */
  setRoute(route: StreamRoute | undefined): void {
    this.#route = route;
  }

  #refused(peer: string): NodeStopped {
    return new NodeStopped(this.#o.name, `connect to ${peer}`);
  }

  /** Where `peer` listens: a fixed address, the carrier's own table, else EPMD on the peer's host. */
  async #resolve(peer: string): Promise<Address> {
    const [alive, host] = splitName(peer);
    const fixed = this.#known.get(peer) ?? this.#o.peers?.[peer];
    if (fixed !== undefined) return typeof fixed === 'number' ? { host, port: fixed } : fixed;
    const own = this.#o.carrier.resolve?.(peer);
    if (own !== undefined) return own;
    const epmdPort = this.#o.epmdPort();
    if (epmdPort === undefined) throw new DialError(peer, 'unreachable', `this node runs without EPMD and has no address for ${peer} (give it in \`peers\` or to connect)`);
    const info = await new EpmdClient({ host, port: epmdPort }).portPlease(alive);
    if (!info) throw new DialError(peer, 'unreachable', `${alive} is not registered with EPMD on ${host}:${epmdPort}`);
    return { host, port: info.port };
  }

  async #dial(peer: string, open?: Duplex): Promise<Link> {
    const carrier = this.#o.carrier;
    let socket: Duplex;
    const routed = open === undefined ? this.#route?.(peer) : undefined;
    if (open !== undefined) socket = open;
    else if (routed !== undefined) socket = await routed;
    else {
      const address = await this.#resolve(peer);
      if (this.#stopped) throw this.#refused(peer);
      socket = await carrier.dial(address, { node: peer, timeoutMs: this.#o.connectTimeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS });
    }
    if (this.#stopped) {
      socket.destroy();
      throw this.#refused(peer);
    }
    this.#handshaking.add(socket);
    try {
      let hs;
      try {
        hs = await initiateOnStream(socket, {
          name: this.#o.name,
          creation: this.#o.creation,
          peerName: peer,
          cookie: this.#o.cookie,
          cookieFor: this.#cookieFor,
          hidden: this.#o.hidden,
          // A stream handed over or routed is a plain pipe: TCP's framing, whatever the node's carrier.
          frame: open === undefined && routed === undefined ? carrier.handshakeFrame : 2,
          // 'alive': the peer still has a connection to us. As net_kernel's is_pending: go on (it is stale)
          // unless the peer's own attempt came up here meanwhile; that one stays, and this attempt ends.
          isAlive: (name) => !this.#links.has(name),
        });
      } catch (e) {
        if (this.#stopped) throw this.#refused(peer);
        // Simultaneous connect, and the peer's name sorts above ours: its attempt to us wins (dist_util). Wait for it.
        if (e instanceof HandshakeError && e.reason === 'nok') return await this.#peerAttempt(peer);
        // We answered 'alive' with false: the connection the peer made is up, and is the one to use.
        const kept = e instanceof HandshakeError && e.reason === 'alive' ? this.#links.get(peer) : undefined;
        if (kept !== undefined) return kept;
        // Over TLS 1.3 a client learns that the server refused its certificate only after its own side of
        // the TLS handshake is done, as an alert during the distribution handshake: that is a TLS refusal.
        const alert = tlsAlert(e);
        if (alert !== undefined) throw new DialError(peer, 'tls', `${peer} refused our certificate (${alert})`, e, alert);
        if (e instanceof HandshakeError) this.#sink.handshakeError(e, 'out');
        throw e;
      }
      if (this.#stopped) {
        socket.destroy();
        throw this.#refused(peer);
      }
      return this.#up(socket, hs.peerName, hs.flags, hs.rest);
    } finally {
      this.#handshaking.delete(socket);
    }
  }

  /**
   * Our attempt got `nok`: the peer is dialling us too and its attempt is
   * the one both sides keep. As net_kernel does, the caller waits for that
   * connection (signals queued for the peer stay queued) instead of calling
   * the node unreachable; only if it does not come up within the setup time
   * does the attempt fail.
   */
  #peerAttempt(peer: string): Promise<Link> {
    const up = this.#links.get(peer);
    if (up !== undefined) return Promise.resolve(up);
    this.#sink.debug(`simultaneous connect with ${peer}: its attempt wins, waiting for it`);
    return new Promise<Link>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const list = this.#awaitingPeer.get(peer);
        const i = list?.indexOf(waiter) ?? -1;
        if (i >= 0) list!.splice(i, 1);
        if (list?.length === 0) this.#awaitingPeer.delete(peer);
        reject(new HandshakeError('recv_status', 'nok', peer, `the simultaneous connection from ${peer} did not come up within ${DEFAULT_SETUP_TIMEOUT_MS} ms`));
      }, DEFAULT_SETUP_TIMEOUT_MS);
      timer.unref();
      const list = this.#awaitingPeer.get(peer);
      if (list === undefined) this.#awaitingPeer.set(peer, [waiter]);
      else list.push(waiter);
    });
  }

  /** The peer's attempt that `#peerAttempt` waits for failed or succeeded. */
  #settlePeerAttempt(peer: string, outcome: { link: Link } | { error: unknown }): void {
    const list = this.#awaitingPeer.get(peer);
    if (list === undefined) return;
    this.#awaitingPeer.delete(peer);
    for (const w of list) 'link' in outcome ? w.resolve(outcome.link) : w.reject(outcome.error);
  }

  /**
   * Installs the connection a handshake made. A connection to `peer` that is
   * still here was replaced (the acceptor answered 'alive' and the peer said
   * "true": it restarted or reconnected before we saw the old one end). As
   * net_kernel does, the old one goes down first: closing it runs `#down` for
   * it now, so its links and monitors fire noconnection and 'nodedown' is
   * emitted before the new one is built (the new one's first bytes, in `rest`,
   * are dispatched by its constructor). `#down` checks identity, so the old
   * socket's late 'close' cannot take the new connection down.
   */
  #up(socket: Duplex, peer: string, flags: bigint, rest: Uint8Array): Link {
    const old = this.#links.get(peer);
    if (old !== undefined) {
      this.#sink.debug(`a new connection from ${peer} replaces the one still up`);
      old.connection.close(new ConnectionClosed(peer, 'replaced'));
    }
    const connection = new Connection(socket, rest, {
        peer,
        flags,
        ticktime: this.#o.ticktime,
        ...(this.#o.maxPacket === undefined ? {} : { maxPacket: this.#o.maxPacket }),
        ...(this.#o.busyWait === undefined ? {} : { busyWait: this.#o.busyWait }),
      }, {
      signal: (c, ctl, payload) => this.#sink.signal(c, ctl, payload),
      closed: (c, reason) => this.#down(c, reason),
    });
    const link = { connection, flags };
    this.#links.set(peer, link);
    this.#failures.delete(peer);
    this.#sink.up(peer);
    this.#settlePeerAttempt(peer, { link });
    return link;
  }

  #down(c: Connection, reason: ConnectionClosed): void {
    if (this.#links.get(c.peer)?.connection !== c) return;
    this.#links.delete(c.peer);
    this.#sink.down(c.peer, reason);
  }
}

const isStream = (v: Address | Duplex | undefined): v is Duplex => v !== undefined && typeof (v as Duplex).pipe === 'function';

/** Node's code of a TLS alert somewhere in `e`'s causes (ERR_SSL_...), if one ended the handshake. */
function tlsAlert(e: unknown): string | undefined {
  for (let c: unknown = e, depth = 0; c instanceof Error && depth < 5; c = c.cause, depth++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_SSL_')) return alertCode(code);
  }
  return undefined;
}
