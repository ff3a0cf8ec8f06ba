/**
 * A TypeScript Erlang node: a facade over a ProcessTable (processes and
 * their signals), the network (runtime/node/network.ts: one Connection per
 * peer, handshakes both ways), an EPMD presence (runtime/epmd/presence.ts)
 * and the services OTP expects of a node (net_kernel, rex, erpc). OTP sees
 * it as a peer: net_adm:ping gets pong, messages, links, monitors and exits
 * cross in both directions. Its life ends with `stop()`, after which
 * nothing of it runs and every operation fails with NodeStopped.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { ConnectionClosed } from '../connection/connection.js';
import { portFromEnv, type EpmdError, type PresenceInfo } from '../epmd/index.js';
import type { HandshakeError } from '../handshake/index.js';
import { linkGraph, NodeStopped, ProcessError, ProcessTable, silentLogger, stderrLogger, type ProcessFn, type Process, type ProcessContext, type Destination, type RemoteInbound, type Logger } from '../process/index.js';
import { Atom, atom } from '../term/atom.js';
import { Pid, Reference, Tuple, type Term } from '../term/values.js';
import { startRex, call, cast, ExposedModules, invoke, reply, rpc, rpcCast, RpcError, serve, serveSpawnRequest, stopCalls } from '../rpc/index.js';
import type { CallOptions, From, Implementation, RpcHost, RpcOptions, Server, ServerSpec } from '../rpc/index.js';
import { dispatch, type Door, type Tap } from './inbound.js';
import { fullName, splitName } from './names.js';
import { Network, type EpmdSettings, type NetworkSink, type StreamRoute } from './network.js';
import { tcp, TlsCarrier, TlsOptionsError, type Address, type Carrier, type TlsCertificate, type TlsOptions } from '../transport/index.js';
import { Outbound } from './remote.js';
import { isAuth, startServices } from './services.js';
import { CA_SERVER, certificateReply, certificateRequest, CertificateRequestError, certificateServer, type CertificateService, type ServeCertificatesOptions } from './certificates.js';
import { linkWatcher, monitorWatcher, type NodeMonitor } from './watchers.js';
import { checkProbeInterval, Observer, publish, type DiscoverOptions, type Discovery, type LatencyEstimate, type LatencyOptions, type NodeStatus } from '../observe/index.js';
import { Scopes, type PgScope, type PubSub, type PubSubOptions } from '../pg/index.js';
import { Global } from '../global/index.js';
import { Dflag } from '../../generated/handshake.js';
import { kindOf, withPolicy, type KindSpawner, type SpawnOptions } from './kinds.js';

export interface NodeOptions {
  /** `ts` (then `ts@<short host>`) or `ts@host`. */
  name: string;
  cookie: string;
  /** Connect without PUBLISHED: Erlang lists this node in nodes(hidden). */
  hidden?: boolean;
  /**
   * Which EPMD: 'auto' (default) uses one that answers on the port, else
   * starts the embedded one; 'external' requires a running epmd; 'embedded'
   * always starts ours. `port` defaults to $ERL_EPMD_PORT or 4369; 0 starts
   * the embedded one on any free port (read it back from `node.epmdPort`).
   * When the registration is lost the node registers again with backoff
   * ('epmdLost', then 'epmdRegistered'); in 'auto' and 'embedded' mode it
   * starts the embedded EPMD on the port itself when nothing answers there
   * (the beamwire node that ran it stopped, or epmd was killed); 'external'
   * only waits for an epmd to come back. `host` is where the embedded EPMD
   * listens (default 0.0.0.0). 'none': no EPMD at all, as OTP's
   * `-dist_listen`/`-erl_epmd_port` set-ups: the node listens on
   * `listen.port` without registering, and finds peers only through
   * `peers` or `connect(peer, { port })`.
   */
  epmd?: 'auto' | 'external' | 'embedded' | 'none' | { mode?: 'auto' | 'external' | 'embedded' | 'none'; port?: number; host?: string };
  /** What connections run over (runtime/transport/): TCP by default; a MemoryCarrier, a StreamCarrier, a TlsCarrier. */
  transport?: Carrier;
  /**
   * TLS distribution, as OTP's `-proto_dist inet_tls`: the same as
   * `transport: new TlsCarrier(tls)`. `cert`, `key` and `ca` are PEM text or
   * file paths; `verify` (default true) is mutual authentication, OTP's
   * verify_peer + fail_if_no_peer_cert. Swap the certificate later with
   * `rotateCertificate`. Not together with `transport`.
   */
  tls?: TlsOptions;
  /** Fixed addresses of peers (`name@host` → port, or host and port): used before EPMD is asked. */
  peers?: Record<string, number | Address>;
  /** Milliseconds for a connect's carrier set-up (TCP connect, TLS handshake); default 7000, OTP's net_setuptime. */
  connectTimeout?: number;
  /** Largest distribution packet taken from a peer, in bytes (default 128 MiB): a larger one closes that connection with a typed error. */
  maxPacket?: number;
  /** net_ticktime in seconds (default 60, as OTP). */
  ticktime?: number;
  /**
   * Microseconds the event loop busy-waits (polls without sleeping) after
   * each distribution packet in or out, as OTP's schedulers do (`+sbwt`):
   * a reply within the window is read without waking a sleeping thread.
   * Default 100; 0 turns it off (a node that must idle at no CPU at all,
   * as `erl +sbwt none`). $BEAMWIRE_BUSY_WAIT overrides the default.
   */
  busyWait?: number;
  /** Where the distribution listener binds (default 0.0.0.0, any port). */
  listen?: { host?: string; port?: number };
  /** Per-node cookies (erlang:set_cookie/2). */
  cookies?: Record<string, string>;
  /**
   * Milliseconds between latency probes of every connection (each probe
   * spaced by × U(1, 1.5), as Chaski's keep-alive), so that `status()`
   * reports a latency for each. Default 0: none; `latency(peer)` still probes on demand.
   */
  probeInterval?: number;
  /** Debug lines (dropped messages, ignored requests). Default: none. */
  debug?: (line: string) => void;
  /** Where crash reports of this node's processes go; 'silent' drops them. Default: stderr ({@link stderrLogger}). */
  logger?: Logger | 'silent';
}

export interface RequestCertificateOptions {
  /** The name the certificate is for (`name@host`). */
  node: string;
  /** The CA node, running `serveCertificates`. */
  caNode: string;
  /** The cluster's distribution cookie. */
  cookie: string;
  /** A one-time token the CA issued for `node`, or whatever its `authorize` checks. */
  token: string;
  epmd?: NodeOptions['epmd'];
  peers?: NodeOptions['peers'];
  /** Milliseconds for the CA's answer (default 10000). */
  timeout?: number;
  debug?: (line: string) => void;
}

/**
 * What a node emits. None of them is `'error'` unless a listener for it is
 * attached: a node never crashes its process with an unhandled 'error'
 * event; what it would report there goes to the debug lines instead.
 */
export interface NodeEvents {
  /** A connection to `node` is up, whichever side dialled. */
  nodeup: [node: string];
  /** The connection to `node` ended: `reason` as ConnectionClosed gives it (`closed`, `net_tick_timeout`, `local`, ...). */
  nodedown: [node: string, reason: ConnectionClosed['reason']];
  /**
   * A handshake failed: `in` for a peer that dialled us, `out` for our own
   * attempt (the error says the step and reason; a wrong cookie says so).
   * A simultaneous connect's `nok` is not a failure and is not reported, nor
   * is a connection that closes before it names its node (the other half of
   * a simultaneous connect, a port probe): both are debug lines.
   */
  handshakeError: [error: HandshakeError, direction: 'in' | 'out'];
  /**
   * The EPMD registration ended without `stop()` (epmd killed or restarted,
   * or the beamwire node that ran the embedded EPMD stopped): the node is
   * registering again, with backoff, and taking the embedded EPMD over in
   * 'auto' and 'embedded' mode. Information only; nothing to do.
   */
  epmdLost: [error: EpmdError];
  /** Registered with EPMD again after `epmdLost`: Erlang nodes find this one again. */
  epmdRegistered: [info: PresenceInfo];
  /** Only with a listener: the distribution listener failed after start (otherwise a debug line). */
  error: [error: Error];
  /**
   * A connection a peer opened was refused by the carrier, before any
   * handshake: over TLS a TlsRefused (code TLS_REFUSED) whose `tlsCode`
   * names why (CERT_HAS_EXPIRED, UNABLE_TO_VERIFY_LEAF_SIGNATURE,
   * NO_PEER_CERTIFICATE, or a TLS handshake that failed). Also a debug line.
   */
  refused: [error: Error];
}

const SHUTDOWN = atom('shutdown');
const NORMAL = atom('normal');
/** How long `stop()` waits for servers' `terminate` (OTP's default shutdown for a worker child: 5000 ms). */
const SERVER_SHUTDOWN_MS = 5000;
/** How long global's resolver waits for a resolve function run elsewhere (OTP waits forever; a name then goes to the peer's pid). */
const GLOBAL_RPC_MS = 30_000;


export class Node extends EventEmitter<NodeEvents> {
  readonly name: string;
  readonly creation: number;
  /** Where this node's reports go: crash reports, supervisor reports (NodeOptions.logger). */
  readonly logger: Logger;
  private readonly table: ProcessTable;
  private readonly inbound: RemoteInbound;
  private readonly outbound: Outbound;
  /** Where every inbound control message enters (runtime/node/inbound.ts). */
  private readonly door: Door;
  private readonly network: Network;
  /** Servers started with `serve` (and behaviours started without a parent) still running: a stop gives them `terminate`, as a supervisor's shutdown does. */
  private readonly servers = new Set<Pick<Server, 'stop' | 'exited'>>();
  private readonly modules = new ExposedModules();
  private readonly taps = new Map<Atom, Tap>();
  private readonly rpcHost: RpcHost;
  /** discover, latency, status, diagnostics_channel (runtime/observe). */
  private readonly observer: Observer;
  private readonly scopes: Scopes;
  /** OTP's `global` on this node (runtime/global; README "global"): names shared with every visible node's global_name_server. */
  readonly global: Global;
  private stopped = false;
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly options: NodeOptions,
    name: string,
    network: (sink: NetworkSink) => Network,
  ) {
    super();
    this.name = name;
    this.network = network({
      signal: (c, ctl, payload) => dispatch(this.door, c, ctl, payload),
      up: (peer) => {
        this.observer.up(peer, this.network.connected(peer)?.flags ?? 0n);
        this.emit('nodeup', peer);
        this.outbound.flush(peer);
        this.global.nodeUp(peer);
      },
      down: (peer, reason) => {
        this.inbound.nodeDown(atom(peer));
        this.observer.down(peer, reason.reason);
        this.global.nodeDown(peer);
        this.emit('nodedown', peer, reason.reason);
      },
      handshakeError: (e, direction) => this.emit('handshakeError', e, direction),
      epmdLost: (e) => this.emit('epmdLost', e),
      epmdRegistered: (info) => this.emit('epmdRegistered', info),
      listenerError: (e) => this.report(e),
      refused: (e) => this.emit('refused', e),
      debug: (l) => this.debug(l),
    });
    this.creation = this.network.creation;
    this.logger = options.logger === 'silent' ? silentLogger : (options.logger ?? stderrLogger);
    this.table = new ProcessTable({ name: atom(name), creation: this.creation }, { logger: this.logger });
    this.outbound = new Outbound({
      connected: (n) => this.network.connected(n),
      connect: (n) => this.network.connection(n),
      unreachable: (n, e) => this.unreachable(atom(n), e),
    });
    this.inbound = this.table.attachRemote(this.outbound);
    startServices(this.table, (l) => this.debug(l));
    this.rpcHost = {
      table: this.table,
      debug: (l) => this.debug(l),
      whyUnreachable: (n) => this.network.whyUnreachable(n.name),
    };
    this.door = {
      inbound: this.inbound,
      out: this.outbound,
      spawn: (req, args) => serveSpawnRequest(this.rpcHost, this.modules, req, args),
      debug: (l) => this.debug(l),
      taps: this.taps,
    };
    startRex(this.table, this.modules, (l) => this.debug(l));
    this.observer = new Observer(
      {
        name,
        table: this.table,
        carrier: this.network.carrier.kind,
        epmdPort: () => this.epmdPort,
        address: () => this.network.address,
        links: () => this.network.nodes().flatMap((peer) => {
          const l = this.network.connected(peer);
          return l === undefined ? [] : [{ peer, flags: l.flags, queued: l.connection.queued }];
        }),
        connect: (peer, via) => this.network.connection(peer, via).then(() => undefined),
        groups: () => this.scopes.groups(),
        debug: (l) => this.debug(l),
      },
      options.probeInterval,
    );
    this.scopes = new Scopes({
      table: this.table,
      nodes: () => this.network.nodes(),
      onNodeUp: (up) => (this.on('nodeup', up), () => void this.off('nodeup', up)),
      debug: (l) => this.debug(l),
    }, (scope) => void scope.watch((c) => publish(c.kind, () => ({ node: this.name, scope: scope.name, group: c.group, pids: c.pids }))));
    this.global = new Global({
      table: this.table,
      nodes: () => this.network.nodes(),
      // A hidden node, or a hidden connection, is left out of global, as in OTP.
      visible: (n) => !(options.hidden ?? false) && ((this.network.connected(n)?.flags ?? 0n) & Dflag.PUBLISHED) !== 0n,
      connect: (n) => this.connect(n),
      disconnect: (n) => void this.network.disconnect(n),
      rpc: (n, m, f, a) => rpc(this.rpcHost, n, m, f, a, { timeout: GLOBAL_RPC_MS }),
      debug: (l) => this.debug(l),
    });
    this.modules.expose(atom('global'), this.global.module);
  }

  /** Where this node's EPMD listens (also where peers are looked up); 0 when it runs without EPMD. */
  get epmdPort(): number {
    return this.network.epmdPort ?? 0;
  }

  /** Where the distribution listener is (what EPMD tells peers; with `epmd: 'none'`, what they must be told). */
  get address(): Address | undefined {
    return this.network.address;
  }

  /** Starts a node: listener, EPMD registration (running epmd or the embedded one), services. */
  static async start(options: NodeOptions): Promise<Node> {
    const name = fullName(options.name);
    checkProbeInterval(options.probeInterval);
    // Until the constructor gives the sink, nothing reaches it: the sink is bound as the node is built.
    let sink!: NetworkSink;
    const network = await Network.start(
      {
        name,
        cookie: options.cookie,
        cookies: options.cookies,
        hidden: options.hidden ?? false,
        ticktime: options.ticktime ?? 60,
        carrier: carrierOf(options),
        peers: options.peers,
        connectTimeoutMs: options.connectTimeout,
        maxPacket: options.maxPacket,
        busyWait: busyWaitOf(options.busyWait),
        listen: options.listen,
        epmd: epmdSettings(options),
      },
      {
        signal: (...a) => sink.signal(...a),
        up: (p) => sink.up(p),
        down: (p, r) => sink.down(p, r),
        handshakeError: (e, d) => sink.handshakeError(e, d),
        epmdLost: (e) => sink.epmdLost(e),
        epmdRegistered: (i) => sink.epmdRegistered(i),
        listenerError: (e) => sink.listenerError(e),
        refused: (e) => sink.refused(e),
        debug: (l) => (sink === undefined ? options.debug?.(`[${name}] ${l}`) : sink.debug(l)),
      },
    );
    return new Node(options, name, (s) => ((sink = s), network));
  }

  // -- processes -------------------------------------------------------------

  /** @internal Spawns the 'thread' and 'os' kinds: set by runtime/kinds when it loads. */
  static spawnKind: KindSpawner<Node> | undefined;

  /**
   * Starts `fn` as a process. With `kind: 'thread' | 'os'` (paragram's kinds;
   * runtime/kinds) it runs in a pooled worker thread or child process, and
   * the handle comes once it runs there: `fn` is shipped as its source text,
   * so it must be self-contained (README "Processes in threads and OS processes").
   */
  spawn(fn: ProcessFn, options?: SpawnOptions & { readonly kind?: 'local' }): Process;
  spawn(fn: ProcessFn, options: SpawnOptions & { readonly kind: 'thread' | 'os' }): Promise<Process>;
  spawn(fn: ProcessFn, options?: SpawnOptions): Process | Promise<Process>;
  spawn(fn: ProcessFn, options?: SpawnOptions): Process | Promise<Process> {
    this.live('spawn');
    const kind = kindOf(options, Node.spawnKind !== undefined);
    if (kind === 'local') return this.table.spawn(withPolicy(fn, options?.exitPolicy));
    return Node.spawnKind!(this, kind, fn, { exitPolicy: options?.exitPolicy ?? 'erlang' });
  }
  /** {@link spawn}, linked to `parent` (for a thread or OS process, before it runs). */
  spawnLink(parent: Pid, fn: ProcessFn, options?: SpawnOptions & { readonly kind?: 'local' }): Process;
  spawnLink(parent: Pid, fn: ProcessFn, options: SpawnOptions & { readonly kind: 'thread' | 'os' }): Promise<Process>;
  spawnLink(parent: Pid, fn: ProcessFn, options?: SpawnOptions): Process | Promise<Process>;
  spawnLink(parent: Pid, fn: ProcessFn, options?: SpawnOptions): Process | Promise<Process> {
    this.live('spawn_link');
    const kind = kindOf(options, Node.spawnKind !== undefined);
    if (kind === 'local') return this.table.spawnLink(parent, withPolicy(fn, options?.exitPolicy));
    return Node.spawnKind!(this, kind, fn, { link: parent, exitPolicy: options?.exitPolicy ?? 'erlang' });
  }

  /** paragram's `graph`: this node's link graph as Graphviz dot, clustered by node. */
  linkGraph(): string {
    return linkGraph(this.table, this.name);
  }
  /**
   * A process that only reacts (ProcessTable.spawnHandler): `init` runs at
   * once with its context and returns the function each message is handed
   * to, synchronously and in arrival order. For services whose state is a
   * table (the router's receivers), without a receive per message.
   */
  spawnHandler(init: (self: ProcessContext) => (message: Term) => void): Process {
    this.live('spawn');
    return this.table.spawnHandler(init);
  }
  register(name: string | Atom, pid: Pid): void {
    this.live('register');
    this.table.register(toAtom(name), pid);
  }
  unregister(name: string | Atom): void {
    this.table.unregister(toAtom(name));
  }
  whereis(name: string | Atom): Pid | undefined {
    return this.table.whereis(toAtom(name));
  }

  /** `dest ! msg`: a pid, a local registered name, `[name, node]`, or an alias. */
  send(dest: Pid | Reference | string | Atom | [string | Atom, string | Atom], msg: Term): void {
    this.live('send');
    this.table.send(destination(dest), msg);
  }

  /**
   * Waits until the connection to `peer` can take more. Resolves at once
   * when its queued bytes are below the high-water mark (8 MiB), or when
   * there is no connection; while one is being set up with more than 16 Ki
   * signals waiting for it, once they went out; else once the bytes are
   * below the mark again, or the connection went down. `send` never waits:
   * a loop of sends to a slow peer awaits this between batches to keep its
   * memory bounded. It paces, it does not confirm delivery (`monitor` and
   * 'nodedown' tell what was lost): the only rejection is NodeStopped, on a
   * node already stopped (a drain under way when it stops resolves). Processes need not call
   * it: a `self.send` that found the connection busy suspends the process at
   * its next `receive` until it drains, as Erlang does on a busy dist port.
   */
  drain(peer: string | Atom): Promise<void> {
    if (this.stopped) return Promise.reject(new NodeStopped(this.name, 'drain'));
    return this.outbound.drain(typeof peer === 'string' ? fullName(peer) : peer.name);
  }

  /** exit(Pid, Reason) from the node itself. */
  exit(pid: Pid, reason: Term): void {
    this.live('exit');
    this.table.exit(pid, reason);
  }

  /**
   * Links `pid` to a watcher process; `onExit` gets the reason when the link
   * breaks (noconnection when its node goes). Returns a function that unlinks.
   */
  link(pid: Pid, onExit: (reason: Term) => void): () => void {
    this.live('link');
    return linkWatcher(this.table, pid, onExit);
  }

  /** Undoes `link`: the function it returned. */
  unlink(handle: () => void): void {
    handle();
  }

  /** Undoes `monitor`. */
  demonitor(handle: { demonitor(): void }): void {
    handle.demonitor();
  }

  /** Monitors a pid, a local name or `[name, node]`; `down` resolves with the DOWN reason (noproc, noconnection, ...). */
  monitor(target: Pid | string | Atom | [string | Atom, string | Atom]): NodeMonitor {
    this.live('monitor');
    return monitorWatcher(this.table, monitorTarget(target));
  }

  // -- groups (runtime/pg; README "Phoenix.PubSub from Node") -------------------

  /** The pg scope `scope` (default `pg`, OTP's default scope) on this node, started on first use: pg:join, get_members, monitor, ... */
  pg(scope: string = 'pg'): PgScope {
    this.live('pg');
    return this.scopes.scope(scope);
  }

  /** This node's part of the Phoenix.PubSub server `name` (`MyApp.PubSub`): subscribe, broadcast (PG2 adapter, pg scope `Phoenix.PubSub`). */
  pubsub(name: string, options?: PubSubOptions): PubSub {
    this.live('pubsub');
    return this.scopes.pubsub(name, options);
  }

  // -- RPC (runtime/rpc; README "RPC") ---------------------------------------------

  /**
   * erpc:call(Node, Module, Fun, Args): runs `module:fun(...args)` on `node`
   * (an OTP node, or this one for exposed modules) and resolves with its value.
   * Rejects with RpcError (`class` throw | exit | error, `reason`,
   * `stacktrace`) or, after `timeout` ms (default: none), CallTimeoutError.
   */
  rpc(node: string | Atom, module: string | Atom, fun: string | Atom, args: Term[], options: RpcOptions = {}): Promise<Term> {
    if (this.stopped) return Promise.reject(new NodeStopped(this.name, 'rpc'));
    const n = toAtom(node);
    if (n.name === this.name) return this.rpcLocal(toAtom(module), toAtom(fun), args);
    return rpc(this.rpcHost, n, toAtom(module), toAtom(fun), args, options);
  }

  /** erpc:cast(Node, Module, Fun, Args): runs it on `node`, fire and forget (failures are not reported, as in erpc). */
  rpcCast(node: string | Atom, module: string | Atom, fun: string | Atom, args: Term[]): void {
    this.live('rpcCast');
    const n = toAtom(node);
    if (n.name === this.name) void invoke(this.modules, toAtom(module), toAtom(fun), args);
    else rpcCast(this.rpcHost, n, toAtom(module), toAtom(fun), args);
  }

  /**
   * gen_server:call(Dest, Request, Timeout): a pid, a local name or `[name, node]`.
   * Rejects with RpcError (`exit`, reason `noproc`, `{nodedown, Node}` or the
   * server's exit reason) or, after `timeout` ms (default 5000), CallTimeoutError.
   */
  call(dest: Pid | string | Atom | [string | Atom, string | Atom], request: Term, options: CallOptions = {}): Promise<Term> {
    if (this.stopped) return Promise.reject(new NodeStopped(this.name, 'call'));
    return call(this.rpcHost, monitorTarget(dest), request, options);
  }

  /** gen_server:cast(Dest, Request): fire and forget; never fails. */
  cast(dest: Pid | string | Atom | [string | Atom, string | Atom], request: Term): void {
    this.live('cast');
    cast(this.rpcHost, monitorTarget(dest), request);
  }

  /**
   * Makes `module` callable from Erlang: erpc:call/cast, rpc:call and
   * spawn/4 to this node run `implementation[fun](...args)` (sync or async).
   * Exposing a module again replaces it. See runtime/rpc/exposed.ts for
   * how results and exceptions map to Erlang.
   */
  expose(module: string | Atom, implementation: Implementation): void {
    this.live('expose');
    this.modules.expose(toAtom(module), implementation);
  }

  /** Stops exposing `module` (calls then get undef); false if it was not exposed. */
  unexpose(module: string | Atom): boolean {
    return this.modules.unexpose(toAtom(module));
  }

  /** Starts a gen_server-compatible server registered as `name` (see runtime/rpc/server.ts). */
  serve<S>(name: string | Atom, spec: ServerSpec<S>): Promise<Server> {
    if (this.stopped) return Promise.reject(new NodeStopped(this.name, 'serve'));
    return serve(this.rpcHost, toAtom(name), spec).then((server) => {
      this.servers.add(server);
      void server.exited.then(() => this.servers.delete(server));
      return server;
    });
  }

  /** @internal A behaviour started without a parent (runtime/behaviours/): `stop()` stops it as it stops servers. */
  adopt(server: Pick<Server, 'stop' | 'exited'>): void {
    this.servers.add(server);
    void server.exited.then(() => this.servers.delete(server));
  }

  /**
   * Makes this node a CA for its cluster (runtime/node/certificates.ts): a
   * server registered as `beamwire_ca` signs the certificate requests that
   * `Node.requestCertificate` sends, for the node name the authorizer
   * approves. Without `authorize`, only one-time tokens from
   * `issueToken(node)` authorize; nothing is signed for anyone who merely asks.
   */
  async serveCertificates(options: ServeCertificatesOptions): Promise<CertificateService> {
    this.live('serveCertificates');
    const { answer, tokens } = await certificateServer(options, (l) => this.debug(l));
    const server = await this.serve<undefined>(CA_SERVER, {
      handleCall: async (request, from) => {
        const pid = from.elements[0];
        return { reply: await answer(request, pid instanceof Pid ? pid.node.name : '?'), state: undefined };
      },
    });
    return {
      issueToken: (node, o) => {
        if (tokens === undefined) throw new RangeError('serveCertificates was given its own `authorize`: it issues no tokens');
        return tokens.issue(fullName(node), o?.ttlMs);
      },
      stop: () => server.stop(NORMAL),
    };
  }

  /**
   * Gets a certificate for `node` from the CA node `caNode` (which runs
   * `serveCertificates`), before this node has one: a temporary hidden
   * node (plain distribution, the cluster's `cookie`) sends a CSR made
   * here, with `token`; the key stays here. Resolves with PEMs for
   * `Node.start({ tls })` or `rotateCertificate`; rejects with
   * CertificateRequestError (`unauthorized`, ..., or `unreachable`).
   */
  static async requestCertificate(options: RequestCertificateOptions): Promise<{ cert: string; key: string; ca: string }> {
    const node = fullName(options.node);
    const caNode = fullName(options.caNode);
    const temp = await Node.start({
      name: `certreq_${randomBytes(4).toString('hex')}@${splitName(node)[1]}`,
      cookie: options.cookie,
      hidden: true,
      logger: 'silent',
      ...(options.epmd === undefined ? {} : { epmd: options.epmd }),
      ...(options.peers === undefined ? {} : { peers: options.peers }),
      ...(options.debug === undefined ? {} : { debug: options.debug }),
    });
    try {
      const { request, keyPem } = await certificateRequest(node, options.token);
      let reply: Term;
      try {
        reply = await temp.call([CA_SERVER, caNode], request, { timeout: options.timeout ?? 10_000 });
      } catch (e) {
        throw new CertificateRequestError('unreachable', `cannot ask ${caNode} for a certificate: ${(e as Error).message}`, e);
      }
      return { ...certificateReply(reply, caNode), key: keyPem };
    } finally {
      await temp.stop();
    }
  }

  /** gen_server:reply(From, Reply): answers a call a server left with `{ noreply: true }`. */
  reply(from: From, value: Term): void {
    reply((to, m) => this.table.send(to, m), from, value);
  }

  private async rpcLocal(module: Atom, fun: Atom, args: Term[]): Promise<Term> {
    const r = await invoke(this.modules, module, fun, args);
    const what = `${module.name}:${fun.name}/${args.length} on ${this.name}`;
    switch (r.kind) {
      case 'return':
        return r.value;
      case 'throw':
        throw new RpcError('throw', r.value, [], what);
      case 'exit':
        throw new RpcError('exit', r.reason, [], what);
      case 'error':
        throw new RpcError('error', r.reason, r.stack, what);
    }
  }

  /** net_adm:ping/1: 'pong' when `node` answers net_kernel's is_auth, else 'pang'. */
  async ping(node: string, timeoutMs = 7000): Promise<'pong' | 'pang'> {
    this.live('ping');
    const peer = fullName(node);
    if (peer === this.name) return 'pong';
    try {
      await this.connect(peer);
    } catch (e) {
      this.debug(`ping ${peer}: ${(e as Error).message}`);
      return 'pang';
    }
    return isAuth(this.table, peer, timeoutMs);
  }

  /**
   * erlang:disconnect_node/1: closes the connection to `node` (its links and
   * monitors fire noconnection, 'nodedown' is emitted). False when there was none.
   */
  disconnect(node: string): boolean {
    return this.network.disconnect(fullName(node));
  }

  /**
   * Swaps the TLS certificate (and key; and CA when given) for connections
   * made from now on, dialled or accepted, without a restart; connections
   * already up keep theirs. Throws TlsOptionsError when the node does not run
   * over TLS or `next` is unusable (then nothing changes).
   */
  rotateCertificate(next: TlsCertificate): void {
    this.live('rotateCertificate');
    const carrier = this.network.carrier;
    if (!(carrier instanceof TlsCarrier)) throw new TlsOptionsError('rotateCertificate', `this node runs over ${carrier.kind}, not TLS`);
    carrier.rotate(next);
  }

  // -- cluster services (runtime/observe; README "Cluster services") -----------

  /**
   * Finds nodes through EPMD `names` on each of `hosts` and connects to each
   * (net_adm:world_list/1): resolves with those that took our cookie, those
   * that refused (the handshake's error), and the unreachable; never rejects
   * for one bad host. `timeout` (default 5000 ms) bounds each host.
   */
  discover(options: DiscoverOptions): Promise<Discovery> {
    if (this.stopped) return Promise.reject(new NodeStopped(this.name, 'discover'));
    return this.observer.discover(options);
  }

  /**
   * Probes `peer` (connecting if need be) with net_adm:ping's is_auth call,
   * `probes` times (default 5), and resolves with the connection's latency
   * estimate in ms, smoothed as Chaski smooths it (runtime/observe/smoothing.ts).
   * Rejects with LatencyError (`unreachable`, `no_answer`, `self`).
   */
  latency(peer: string, options?: LatencyOptions): Promise<LatencyEstimate> {
    if (this.stopped) return Promise.reject(new NodeStopped(this.name, 'latency'));
    return this.observer.latency(fullName(peer), options);
  }

  /** Connections (with latency when probed), processes and registered names, and pg's groups once a pg runs here. */
  status(): NodeStatus {
    return this.observer.status();
  }

  /** Connected nodes (visible and hidden). */
  nodes(): string[] {
    return this.network.nodes();
  }

  /** Whether `stop()` has been called: every operation then fails with NodeStopped. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /**
   * Stops the node for good: no new connection in or out (handshakes under
   * way are cut), calls in flight reject with NodeStopped, every connection
   * closes (its links and monitors fire `noconnection`, 'nodedown' is
   * emitted), servers started with `serve` stop with `shutdown` and run
   * `terminate` (for up to 5 s, as a supervisor's shutdown of a worker),
   * every process ends with `shutdown` (`node.monitor`'s `down`
   * resolves with it), the EPMD registration and the listener close (and
   * the embedded EPMD, if this node runs it). Nothing is left to keep the
   * Node.js process alive. Idempotent: a second call returns the same promise.
   */
  stop(): Promise<void> {
    if (this.stopping === undefined) {
      this.stopped = true;
      this.stopping = this.shutdown();
    }
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    stopCalls(this.rpcHost, new NodeStopped(this.name, 'a call in flight'));
    this.observer.stop();
    this.global.prepareShutdown();
    this.network.stop();
    // One turn for processes to take the noconnection DOWNs and EXITs just delivered, before they are ended.
    await new Promise((r) => setImmediate(r));
    // Servers stop with `shutdown` and run `terminate`, given SERVER_SHUTDOWN_MS as a supervisor's child spec gives it; then everything ends.
    if (this.servers.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((r) => (timer = setTimeout(r, SERVER_SHUTDOWN_MS)));
      await Promise.race([Promise.allSettled([...this.servers].map((s) => s.stop(SHUTDOWN))), late]);
      clearTimeout(timer);
    }
    this.table.shutdown(SHUTDOWN);
    await this.network.close();
  }

  /** An attempt to reach `node` failed: what waited for it is dropped and its links and monitors fire noconnection, with `error` as the cause. */
  private unreachable(node: Atom, error: unknown): void {
    this.debug(`cannot reach ${node.name}: ${(error as Error).message}`);
    this.network.failed(node.name, error);
    this.inbound.nodeDown(node);
  }

  /** Throws NodeStopped once the node is stopped. */
  private live(operation: string): void {
    if (this.stopped) throw new NodeStopped(this.name, operation);
  }

  // -- connections (runtime/node/network.ts) ------------------------------------

  /**
   * net_kernel:connect_node/1: connects to `peer` unless already connected
   * (concurrent callers share one attempt). Rejects with why it could not
   * (a HandshakeError, an EpmdError, NodeStopped, ...). Sending connects on
   * demand anyway; this is for failing early and clearly.
   */
  async connect(peer: string, via?: { port: number; host?: string } | { stream: Duplex }): Promise<void> {
    this.live('connect');
    const name = fullName(peer);
    if (via === undefined) await this.network.connection(name);
    else if ('stream' in via) await this.network.connection(name, via.stream);
    else await this.network.connection(name, { host: via.host ?? splitName(name)[1], port: via.port });
  }

  /** erlang:get_cookie(): this node's own cookie. */
  getCookie(): string {
    return this.options.cookie;
  }

  /**
   * erlang:set_cookie(Peer, Cookie): the cookie this node uses with `peer`
   * from now on, both when it connects and when `peer` connects to it.
   */
  setCookie(peer: string, cookie: string): void {
    this.network.setCookie(fullName(peer), cookie);
  }

  /**
   * @internal A router's hooks: `route` opens a stream to a node before the
   * usual dial is tried (a tunnel through a tree of contexts); `tap` takes
   * the messages other nodes send to a registered name, with the peer each
   * came over (a name's messages then never reach a process).
   */
  routeThrough(route: StreamRoute | undefined): void {
    this.network.setRoute(route);
  }

  /** @internal See {@link routeThrough}. Returns the undo. */
  tap(name: string | Atom, tap: Tap): () => void {
    const n = toAtom(name);
    if (this.taps.has(n)) throw new ProcessError('BADARG', 'tap', `${n.name} is tapped already`);
    this.taps.set(n, tap);
    return () => void (this.taps.get(n) === tap && this.taps.delete(n));
  }

  /**
   * Takes a distribution connection a peer opened over `stream` (a pipe
   * from a parent, a socket pair): the acceptor's handshake runs on it with
   * TCP's framing, and the connection joins the others.
   */
  accept(stream: Duplex): void {
    this.live('accept');
    void this.network.accept(stream, 2);
  }

  private debug(line: string): void {
    this.options.debug?.(`[${this.name}] ${line}`);
  }

  /** 'error' only to a listener; otherwise a debug line (never an unhandled 'error' event). */
  private report(e: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', e);
    else this.debug(`error: ${e.message}`);
  }
}

function carrierOf(o: NodeOptions): Carrier {
  if (o.tls === undefined) return o.transport ?? tcp;
  if (o.transport !== undefined) throw new TlsOptionsError('tls', 'give `tls` or `transport`, not both');
  return new TlsCarrier(o.tls);
}

/** The busy-wait window in µs: the option, else $BEAMWIRE_BUSY_WAIT, else the connection's default. */
function busyWaitOf(us: number | undefined): number | undefined {
  const v = us ?? (process.env.BEAMWIRE_BUSY_WAIT === undefined ? undefined : Number(process.env.BEAMWIRE_BUSY_WAIT));
  if (v === undefined) return undefined;
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`busyWait must be a number of microseconds, 0 or more (got ${us ?? `$BEAMWIRE_BUSY_WAIT=${process.env.BEAMWIRE_BUSY_WAIT}`})`);
  return v;
}

function epmdSettings(o: NodeOptions): EpmdSettings {
  const e = o.epmd ?? 'auto';
  if (e === 'none' || (typeof e === 'object' && e.mode === 'none')) return { mode: 'none' };
  if (typeof e === 'string') return { mode: e, port: portFromEnv() };
  return { mode: e.mode ?? 'auto', port: e.port ?? portFromEnv(), host: e.host };
}

const toAtom = (n: string | Atom): Atom => (typeof n === 'string' ? atom(n) : n);

function monitorTarget(t: Pid | string | Atom | [string | Atom, string | Atom]): Pid | Atom | Tuple<[Atom, Atom]> {
  if (Array.isArray(t)) return new Tuple<[Atom, Atom]>([toAtom(t[0]), toAtom(t[1])]);
  return typeof t === 'string' ? atom(t) : t;
}

function destination(d: Pid | Reference | string | Atom | [string | Atom, string | Atom]): Destination {
  if (Array.isArray(d)) return new Tuple<[Atom, Atom]>([toAtom(d[0]), toAtom(d[1])]);
  if (typeof d === 'string') return atom(d);
  return d;
}
