/**
 * A TypeScript Erlang node: a distribution listener registered with EPMD
 * (a running epmd, or the embedded one), handshakes both ways, one
 * Connection per peer, and a ProcessTable whose remote signals travel over
 * them. OTP sees it as a peer: net_adm:ping gets pong, messages, links,
 * monitors and exits cross in both directions.
 */
import { EventEmitter } from 'node:events';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { Connection, ConnectionClosed } from '../connection/connection.js';
import { EpmdClient, EpmdServer, findEpmd, portFromEnv, type Registration } from '../epmd/index.js';
import { acceptOnSocket, initiateOnSocket, simultaneousStatus } from '../handshake/index.js';
import { P, on, type ProcessFn, type Process, type Destination, type RemoteInbound } from '../process/index.js';
import { ProcessTable } from '../process/table.js';
import { Atom, atom } from '../term/atom.js';
import { Pid, Reference, Tuple, type Term } from '../term/values.js';
import { call, cast, ExposedModules, invoke, reply, rpc, rpcCast, RpcError, serve, serveSpawnRequest } from '../rpc/index.js';
import type { CallOptions, From, Implementation, RpcHost, RpcOptions, Server as GenServer, ServerSpec } from '../rpc/index.js';
import { startRex } from '../rpc/rex.js';
import { dispatch } from './inbound.js';
import { fullName, splitName } from './names.js';
import { Outbound } from './remote.js';
import { startServices } from './services.js';

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
   */
  epmd?: 'auto' | 'external' | 'embedded' | { mode?: 'auto' | 'external' | 'embedded'; port?: number };
  /** net_ticktime in seconds (default 60, as OTP). */
  ticktime?: number;
  /** Where the distribution listener binds (default 0.0.0.0, any port). */
  listen?: { host?: string; port?: number };
  /** Per-node cookies (erlang:set_cookie/2). */
  cookies?: Record<string, string>;
  /** Debug lines (dropped messages, ignored requests). Default: none. */
  debug?: (line: string) => void;
}

interface Link {
  connection: Connection;
  flags: bigint;
}

export class Node extends EventEmitter {
  readonly name: string;
  readonly creation: number;
  private readonly table: ProcessTable;
  private readonly inbound: RemoteInbound;
  private readonly outbound: Outbound;
  private readonly links = new Map<string, Link>();
  private readonly pending = new Map<string, Promise<Link>>();
  private readonly modules = new ExposedModules();
  private readonly rpcHost: RpcHost;
  private stopped = false;

  private constructor(
    private readonly options: NodeOptions,
    name: string,
    private readonly server: Server,
    private readonly registration: Registration,
    private readonly embedded: EpmdServer | undefined,
    /** Where this node's EPMD listens (also where peers are looked up). */
    readonly epmdPort: number,
  ) {
    super();
    this.name = name;
    this.creation = registration.creation;
    this.table = new ProcessTable({ name: atom(name), creation: registration.creation });
    this.outbound = new Outbound({
      connected: (n) => this.links.get(n),
      connect: (n) => this.connect(n),
      unreachable: (n, e) => {
        this.debug(`cannot reach ${n}: ${(e as Error).message}`);
        this.inbound.nodeDown(atom(n));
      },
    });
    this.inbound = this.table.attachRemote(this.outbound);
    startServices(this.table, (l) => this.debug(l));
    this.rpcHost = {
      table: this.table,
      inbound: this.inbound,
      control: (n, ctl, payload) => this.control(n, ctl, payload),
      groupLeader: () => this.table.whereis(atom('user')) ?? this.table.pid,
      debug: (l) => this.debug(l),
    };
    startRex(this.table, this.modules, (l) => this.debug(l));
    server.on('connection', (s: Socket) => void this.accept(s));
    registration.on('lost', (e) => this.emit('error', e));
  }

  /** Starts a node: listener, EPMD registration (running epmd or the embedded one), services. */
  static async start(options: NodeOptions): Promise<Node> {
    const name = fullName(options.name);
    const [alive] = splitName(name);
    const { mode, port } = epmdSettings(options);
    let embedded: EpmdServer | undefined;
    if (mode === 'embedded' || (mode === 'auto' && !(await findEpmd(port)))) embedded = await EpmdServer.start({ port, host: '0.0.0.0' });
    const server = createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.listen?.port ?? 0, options.listen?.host ?? '0.0.0.0', () => resolve());
    });
    try {
      const listenPort = (server.address() as { port: number }).port;
      // Port 0 for the embedded EPMD means any free port: register (and look peers up) where it really listens.
      const epmdPort = embedded?.port ?? port;
      const registration = await new EpmdClient({ port: epmdPort }).register({ name: alive, port: listenPort, hidden: options.hidden ?? false });
      return new Node(options, name, server, registration, embedded, epmdPort);
    } catch (e) {
      server.close();
      await embedded?.close();
      throw e;
    }
  }

  // -- processes -------------------------------------------------------------

  spawn(fn: ProcessFn): Process {
    return this.table.spawn(fn);
  }
  spawnLink(parent: Pid, fn: ProcessFn): Process {
    return this.table.spawnLink(parent, fn);
  }
  register(name: string | Atom, pid: Pid): void {
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
    this.table.send(destination(dest), msg);
  }

  /**
   * Waits until the connection to `peer` can take more. Resolves at once
   * when its queued bytes are below the high-water mark (8 MiB), or when
   * there is no connection; while one is being set up with more than 16 Ki
   * signals waiting for it, once they went out; else once the bytes are
   * below the mark again, or the connection went down. `send` never waits:
   * a loop of sends to a slow peer awaits this between batches to keep its
   * memory bounded. Never rejects: it paces, it does not confirm delivery
   * (`monitor` and 'nodedown' tell what was lost). Processes need not call
   * it: a `self.send` that found the connection busy suspends the process at
   * its next `receive` until it drains, as Erlang does on a busy dist port.
   */
  drain(peer: string | Atom): Promise<void> {
    return this.outbound.drain(typeof peer === 'string' ? fullName(peer) : peer.name);
  }

  /** exit(Pid, Reason) from the node itself. */
  exit(pid: Pid, reason: Term): void {
    this.table.exit(pid, reason);
  }

  /**
   * Links `pid` to a watcher process; `onExit` gets the reason when the link
   * breaks (noconnection when its node goes). Returns a function that unlinks.
   */
  link(pid: Pid, onExit: (reason: Term) => void): () => void {
    let unlink = (): void => {};
    this.table.spawn(async (self) => {
      self.trapExit(true);
      self.link(pid);
      unlink = () => self.exit(atom('normal'));
      const reason = await self.receive([on(P.tuple(atom('EXIT'), P.pid(pid), P.bind('reason')), ({ reason }) => reason)]);
      onExit(reason as Term);
    });
    return () => unlink();
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
  monitor(target: Pid | string | Atom | [string | Atom, string | Atom]): { ref: Promise<Reference>; down: Promise<Term>; demonitor(): void } {
    let setRef!: (r: Reference) => void;
    const ref = new Promise<Reference>((r) => (setRef = r));
    let stop = (): void => {};
    const down = new Promise<Term>((resolve) => {
      this.table.spawn(async (self) => {
        const r = self.monitor(monitorTarget(target));
        setRef(r);
        stop = () => {
          self.demonitor(r);
          self.exit(atom('normal'));
        };
        resolve((await self.receive([on(P.tuple(atom('DOWN'), P.ref(r), P.any, P.any, P.bind('reason')), ({ reason }) => reason)])) as Term);
      });
    });
    return { ref, down, demonitor: () => stop() };
  }

  // -- RPC (runtime/rpc; README "RPC") ---------------------------------------------

  /**
   * erpc:call(Node, Module, Fun, Args): runs `module:fun(...args)` on `node`
   * (an OTP node, or this one for exposed modules) and resolves with its value.
   * Rejects with RpcError (`class` throw | exit | error, `reason`,
   * `stacktrace`) or, after `timeout` ms (default: none), TimeoutError.
   */
  rpc(node: string | Atom, module: string | Atom, fun: string | Atom, args: Term[], options: RpcOptions = {}): Promise<Term> {
    const n = toAtom(node);
    if (n.name === this.name) return this.rpcLocal(toAtom(module), toAtom(fun), args);
    return rpc(this.rpcHost, n, toAtom(module), toAtom(fun), args, options);
  }

  /** erpc:cast(Node, Module, Fun, Args): runs it on `node`, fire and forget (failures are not reported, as in erpc). */
  rpcCast(node: string | Atom, module: string | Atom, fun: string | Atom, args: Term[]): void {
    const n = toAtom(node);
    if (n.name === this.name) void invoke(this.modules, toAtom(module), toAtom(fun), args);
    else rpcCast(this.rpcHost, n, toAtom(module), toAtom(fun), args);
  }

  /**
   * gen_server:call(Dest, Request, Timeout): a pid, a local name or `[name, node]`.
   * Rejects with RpcError (`exit`, reason `noproc`, `{nodedown, Node}` or the
   * server's exit reason) or, after `timeout` ms (default 5000), TimeoutError.
   */
  call(dest: Pid | string | Atom | [string | Atom, string | Atom], request: Term, options: CallOptions = {}): Promise<Term> {
    return call(this.rpcHost, monitorTarget(dest), request, options);
  }

  /** gen_server:cast(Dest, Request): fire and forget; never fails. */
  cast(dest: Pid | string | Atom | [string | Atom, string | Atom], request: Term): void {
    cast(this.rpcHost, monitorTarget(dest), request);
  }

  /**
   * Makes `module` callable from Erlang: erpc:call/cast, rpc:call and
   * spawn/4 to this node run `implementation[fun](...args)` (sync or async).
   * Exposing a module again replaces it. See runtime/rpc/exposed.ts for
   * how results and exceptions map to Erlang.
   */
  expose(module: string | Atom, implementation: Implementation): void {
    this.modules.expose(toAtom(module), implementation);
  }

  /** Stops exposing `module` (calls then get undef); false if it was not exposed. */
  unexpose(module: string | Atom): boolean {
    return this.modules.unexpose(toAtom(module));
  }

  /** Starts a gen_server-compatible server registered as `name` (see runtime/rpc/server.ts). */
  serve<S>(name: string | Atom, spec: ServerSpec<S>): Promise<GenServer> {
    return serve(this.rpcHost, toAtom(name), spec);
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

  /** Sends a control message the process table has no verb for (SPAWN_REQUEST); an unreachable node fires noconnection. */
  private async control(node: Atom, ctl: Tuple, payload?: Term): Promise<void> {
    let link = this.links.get(node.name);
    if (link === undefined) {
      try {
        link = await this.connect(node.name);
      } catch (e) {
        this.debug(`cannot reach ${node.name}: ${(e as Error).message}`);
        this.inbound.nodeDown(node);
        return;
      }
    }
    link.connection.send(ctl, payload);
  }

  /** net_adm:ping/1: 'pong' when `node` answers net_kernel's is_auth, else 'pang'. */
  async ping(node: string, timeoutMs = 7000): Promise<'pong' | 'pang'> {
    const peer = fullName(node);
    if (peer === this.name) return 'pong';
    try {
      await this.connect(peer);
    } catch (e) {
      this.debug(`ping ${peer}: ${(e as Error).message}`);
      return 'pang';
    }
    let answer: 'pong' | 'pang' = 'pang';
    const proc = this.table.spawn(async (self) => {
      // gen:call(net_kernel on peer, {is_auth, us}): monitor, call, wait for the reply or DOWN.
      const dest = new Tuple<[Atom, Atom]>([atom('net_kernel'), atom(peer)]);
      const mref = self.monitor(dest);
      self.send(dest, new Tuple([atom('$gen_call'), new Tuple([self.pid, mref]), new Tuple([atom('is_auth'), atom(this.name)])]));
      const r = await self.receive(
        [on(P.tuple(P.ref(mref), atom('yes')), () => 'pong' as const), on(P.tuple(atom('DOWN'), P.ref(mref), P.any, P.any, P.any), () => 'pang' as const)],
        { timeout: timeoutMs, after: () => 'pang' as const },
      );
      self.demonitor(mref, { flush: true });
      answer = r;
    });
    await proc.exited;
    return answer;
  }

  /** Connected nodes (visible and hidden). */
  nodes(): string[] {
    return [...this.links.keys()].sort();
  }

  /** Closes every connection, leaves EPMD, stops the listener (and the embedded EPMD). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const l of this.links.values()) l.connection.close();
    await this.registration.close();
    await new Promise<void>((r) => this.server.close(() => r()));
    await this.embedded?.close();
  }

  // -- connections -------------------------------------------------------------

  private cookieFor = (peer: string): string | undefined => this.options.cookies?.[peer];

  /** The connection to `peer`, made on demand; concurrent callers share one attempt. */
  connect(peer: string): Promise<Link> {
    const up = this.links.get(peer);
    if (up) return Promise.resolve(up);
    let attempt = this.pending.get(peer);
    if (attempt) return attempt;
    attempt = this.dial(peer).finally(() => this.pending.delete(peer));
    this.pending.set(peer, attempt);
    return attempt;
  }

  private async dial(peer: string): Promise<Link> {
    const [alive, host] = splitName(peer);
    const info = await new EpmdClient({ host, port: this.epmdPort }).portPlease(alive);
    if (!info) throw new Error(`${peer} is not registered with EPMD on ${host}:${this.epmdPort}`);
    const socket = tcpConnect({ host, port: info.port, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const hs = await initiateOnSocket(socket, {
      name: this.name,
      creation: this.creation,
      peerName: peer,
      cookie: this.options.cookie,
      cookieFor: this.cookieFor,
      hidden: this.options.hidden ?? false,
    });
    return this.up(socket, hs.peerName, hs.flags, hs.rest);
  }

  private async accept(socket: Socket): Promise<void> {
    socket.setNoDelay(true);
    try {
      const hs = await acceptOnSocket(socket, {
        name: this.name,
        creation: this.creation,
        cookie: this.options.cookie,
        cookieFor: this.cookieFor,
        hidden: this.options.hidden ?? false,
        markPending: (peer) => (this.links.has(peer) ? 'alive' : this.pending.has(peer) ? simultaneousStatus(this.name, peer) : 'ok'),
      });
      this.up(socket, hs.peerName, hs.flags, hs.rest);
    } catch (e) {
      this.debug(`refused a connection: ${(e as Error).message}`);
      this.emit('handshakeError', e);
      socket.destroy();
    }
  }

  /**
   * Installs the connection a handshake made. A connection to `peer` that is
   * still here was replaced (the acceptor answered 'alive' and the peer said
   * "true": it restarted or reconnected before we saw the old one end). As
   * net_kernel does, the old one goes down first: closing it runs `down` for
   * it now, so its links and monitors fire noconnection and 'nodedown' is
   * emitted before the new one is built (the new one's first bytes, in `rest`,
   * are dispatched by its constructor). `down` checks identity, so the old
   * socket's late 'close' cannot take the new connection down.
   */
  private up(socket: Socket, peer: string, flags: bigint, rest: Uint8Array): Link {
    const old = this.links.get(peer);
    if (old !== undefined) {
      this.debug(`a new connection from ${peer} replaces the one still up`);
      old.connection.close(new ConnectionClosed(peer, 'replaced'));
    }
    const connection = new Connection(socket, rest, { peer, flags, ticktime: this.options.ticktime ?? 60 }, {
      signal: (c, ctl, payload) =>
        dispatch(this.inbound, c, ctl, payload, (l) => this.debug(l), (req, args, answer) => serveSpawnRequest(this.rpcHost, this.modules, req, args, answer)),
      closed: (c, reason) => this.down(c, reason),
    });
    const link = { connection, flags };
    this.links.set(peer, link);
    this.emit('nodeup', peer);
    this.outbound.flush(peer);
    return link;
  }

  private down(c: Connection, reason: ConnectionClosed): void {
    if (this.links.get(c.peer)?.connection !== c) return;
    this.links.delete(c.peer);
    this.inbound.nodeDown(atom(c.peer));
    this.emit('nodedown', c.peer, reason.reason);
  }

  private debug(line: string): void {
    this.options.debug?.(`[${this.name}] ${line}`);
  }
}

function epmdSettings(o: NodeOptions): { mode: 'auto' | 'external' | 'embedded'; port: number } {
  const e = o.epmd ?? 'auto';
  if (typeof e === 'string') return { mode: e, port: portFromEnv() };
  return { mode: e.mode ?? 'auto', port: e.port ?? portFromEnv() };
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
