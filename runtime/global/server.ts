/**
 * global_name_server (global.erl's gen_server, protocol version 8 as OTP 25
 * to 29 speak it): the connect protocol with every visible peer, the name
 * and lock tables, and sync. A handler process: each message is handled at
 * once and in order; what waits (the locker's lock rounds, the resolver's
 * rpc) runs beside it and comes back tagged, so a stale answer is dropped as
 * OTP drops it (a connect restarted or cancelled has a new tag).
 *
 * The per-peer state is OTP's process dictionary (sync_tag_my, sync_tag_his,
 * wait_lock, save_ops, pre_connect, prot_vsn, lock_id) in `Conn`.
 * Not taken part in: global groups (a node with `global_groups` configured
 * talks to us as if it had none) and names of C nodes (register_ext is kept
 * as a plain name, not linked).
 */
import { ProcessExit, type Process, type ProcessContext } from '../process/index.js';
import { Atom } from '../term/atom.js';
import { equals, termKey as refKey } from '../term/compare.js';
import { format } from '../term/format.js';
import { tuple } from '../term/make.js';
import { TermShapeError } from '../term/shape.js';
import { Pid, Reference, Tuple, type Term } from '../term/values.js';
import { gen, parseGen } from '../../generated/gen.js';
import { global as msg, parseGlobal, type Global as Msg } from '../../generated/global.js';
import { callerOf, genReply } from './calls.js';
import type { GlobalHost } from './host.js';
import { lockerMessages, startLocker } from './locker.js';
import { Registry, type NameEntry } from './registry.js';
import { exchangeNames, nameTriple, resolveIt, type ResolveSide } from './resolve.js';
import { addToKnown, knownList, nodeList, nodeVsn, VSN } from './known.js';

export const GNS = Atom.of('global_name_server');
const A = {
  insert: Atom.of('insert'),
  delete: Atom.of('delete'),
  locker: Atom.of('locker'),
  noLongerAPid: Atom.of('no_longer_a_pid'),
  yes: Atom.of('yes'),
  ok: Atom.of('ok'),
  vsn: Atom.of('vsn'),
  lock: Atom.of('lock'),
  unused: Atom.of('unused'),
  undefined: Atom.of('undefined'),
  down: Atom.of('DOWN'),
  noproc: Atom.of('noproc'),
  genCall: Atom.of('$gen_call'),
  genCast: Atom.of('$gen_cast'),
  getKnown: Atom.of('get_known'),
  getSynced: Atom.of('get_synced'),
  getProtocolVersion: Atom.of('get_protocol_version'),
  getNamesExt: Atom.of('get_names_ext'),
};

/** OTP's process-dictionary entries for one peer's connect. */
interface Conn {
  myTag?: Term | undefined;
  hisTag?: Term | undefined;
  protVsn?: number | undefined;
  /** wait_lock: our lock is set, or the peer's names came first. */
  waitLock?: 'lock_is_set' | { names: Term[] } | undefined;
  /** save_ops: our resolver's ops, or the peer's `resolved` that came first. */
  saveOps?: Term[] | { hisKnown: Term[]; namesExt: Term; hisResolved: Term[] } | undefined;
  preConnect?: { vsn: number; initMsg: Term; hisTag: Term } | undefined;
  lockId?: Term | undefined;
}

interface Syncer {
  readonly waiting: Set<Atom>;
  readonly done: () => void;
}

type NodeDownType = 'disconnected' | 'remove_connection' | 'ignore_node';

export class NameServer {
  readonly node: Atom;
  readonly registry: Registry;
  readonly #host: GlobalHost;
  #self!: ProcessContext;
  #locker!: Pid;
  #process!: Process;
  /** known: node → protocol version of the nodes synced with us. */
  readonly #known = new Map<Atom, number>();
  readonly #pending = new Map<Atom, number>();
  readonly #removing = new Set<Atom>();
  readonly #synced = new Set<Atom>();
  /** The resolver of each connect under way, by the tag it was started with. */
  readonly #resolvers = new Map<Atom, Term>();
  readonly #conns = new Map<Atom, Conn>();
  readonly #syncers = new Set<Syncer>();
  /** lost_connection reports already passed on: {NodeA, NodeB} → {XCreation, OpId}. */
  readonly #lost = new Map<string, { x: Term; opId: number | bigint; timer: NodeJS.Timeout }>();
  /** Our monitor of each peer's global_name_server (ref key → node): a peer without one takes no part. */
  readonly #peerWatch = new Map<string, Atom>();
  readonly #watchOf = new Map<Atom, Reference>();
  /** Visible peers that run no global (a C or Java node, a node that stopped its global): sync does not wait for them. */
  readonly #withoutGlobal = new Set<Atom>();
  /** prepare_shutdown: the node is stopping; its connections going is no partition to report. */
  #stopping = false;
  #tags = 0;
  #opIds = 0;
  /** What identifies this node's incarnation in lost_connection (OTP: a random extension plus the creation). */
  readonly #xCreation: bigint;
  readonly #side: ResolveSide;

  constructor(host: GlobalHost) {
    this.#host = host;
    this.node = host.table.node.name;
    this.#xCreation = (BigInt(Math.floor(Math.random() * 2 ** 26)) << 32n) + BigInt(host.table.node.creation);
    this.registry = new Registry({
      watch: (pid) => this.#self.monitor(pid),
      unwatch: (ref) => void this.#self.demonitor(ref, { flush: true }),
    });
    this.#side = {
      node: this.node,
      exit: (pid, reason) => host.table.exit(pid, reason),
      send: (pid, m) => host.table.send(pid, m),
      rpc: (node, args) => host.rpc(node, Atom.of('global'), Atom.of('resolve_it'), args),
      info: (line) => host.debug(line),
    };
  }

  /** Starts the server (registered as global_name_server) and its locker. */
  start(): Process {
    const table = this.#host.table;
    this.#process = table.spawnHandler((self) => {
      this.#self = self;
      return (m) => this.#handle(m);
    });
    table.register(GNS, this.#process.pid);
    this.#locker = startLocker(table, {
      node: this.node,
      canSetLock: (id) => this.registry.canSetLock(id),
      isGlobalLockSet: () => this.registry.isGlobalLockSet(),
      lockIsSet: (node, tag, lockId) => this.#lockIsSet(node, tag, lockId),
      debug: (l) => this.#host.debug(l),
    }).pid;
    return this.#process;
  }

  get pid(): Pid {
    return this.#process.pid;
  }

  // -- what the node and the API ask -----------------------------------------------

  /** global:whereis_name/1: a local pid only while it lives. */
  where(name: Term): Pid | undefined {
    const e = this.registry.lookup(name);
    if (e === undefined) return undefined;
    if (e.pid.node === this.node && this.#host.table.process(e.pid)?.alive !== true) return undefined;
    return e.pid;
  }

  /** The nodes synced with us (global's known). */
  knownNodes(): Atom[] {
    return [...this.#known.keys()];
  }

  /** global:sync/1: resolves once every node of `nodes` is synced with us or down. */
  sync(nodes: readonly Atom[]): Promise<void> {
    const waiting = new Set(nodes.filter((n) => n !== this.node && !this.#synced.has(n) && !this.#withoutGlobal.has(n)));
    for (const n of waiting) if (!this.#host.visible(n.name)) waiting.delete(n);
    if (waiting.size === 0) return Promise.resolve();
    return new Promise((done) => this.#syncers.add({ waiting, done }));
  }

  /** global:resolve_it/4 as this node runs it (an rpc from a peer resolving a clash over one of our pids). */
  resolveIt(method: Term, name: Term, pid1: Term, pid2: Term): Promise<Term> {
    return resolveIt(this.#side, method, name, pid1, pid2);
  }

  /** OTP's prepare_shutdown (init:stop): from now on no connect starts and no lost connection is reported. */
  prepareShutdown(): void {
    this.#stopping = true;
  }

  nodeUp(node: Atom): void {
    if (this.#host.visible(node.name)) this.#post(() => this.#handleNodeup(node));
  }

  nodeDown(node: Atom): void {
    this.#post(() => {
      this.#unwatchPeer(node);
      this.#withoutGlobal.delete(node);
      this.#tellSyncers(node);
      this.#handleNodedown(node, 'disconnected');
    });
  }

  /** Runs `fn` as the server, in order with its messages (the node's events come from outside any process). */
  #post(fn: () => void): void {
    if (this.#process.alive) this.#host.table.post(fn);
  }

  // -- messages -----------------------------------------------------------------------

  #handle(m: Term): void {
    try {
      const env = m instanceof Tuple && (m.elements[0] === A.genCall || m.elements[0] === A.genCast) ? parseGen(m) : undefined;
      if (env?.kind === 'gen_call') this.#call(env.from, env.request);
      else if (env?.kind === 'gen_cast') this.#message(env.request, 'cast');
      else if (m instanceof Tuple && m.size === 5 && m.elements[0] === A.down && m.elements[1] instanceof Reference) this.#down(m.elements[1], m.elements[4]!);
      else this.#message(m, 'info');
    } catch (e) {
      // Never end over one message: peers' lockers and syncs wait on this server, and would hang without it.
      if (e instanceof ProcessExit) throw e;
      const what = e instanceof TermShapeError ? 'a malformed message' : `${format(m).slice(0, 120)} (${(e as Error).stack ?? String(e)})`;
      this.#host.debug(`global_name_server dropped ${what}`);
    }
  }

  #call(from: Term, request: Term): void {
    const reply = (v: Term): void => void genReply(this.#self, from, v);
    const caller = callerOf(from);
    if (request === A.getKnown) return reply(this.knownNodes());
    if (request === A.getSynced) return reply([...this.#synced]);
    if (request === A.getProtocolVersion) return reply(VSN);
    if (request === A.getNamesExt) return reply([]);
    const r = request instanceof Tuple ? parseGlobal(request) : undefined;
    if (r === undefined || caller === undefined) return this.#host.debug(`global_name_server ignored the call ${format(request).slice(0, 120)}`);
    switch (r.kind) {
      case 'set_lock':
        return reply(this.registry.setLock(r.id, caller));
      case 'del_lock':
        this.registry.delLock(r.id, caller);
        return reply(true);
      case 'register':
      case 'register_ext':
        this.#insName(r.name, r.pid, r.method, { pid: caller });
        return reply(A.yes);
      case 'unregister':
        this.registry.deleteName(r.name);
        return reply(A.ok);
      case 'sync':
        void this.sync(r.nodes.filter((n): n is Atom => n instanceof Atom)).then(() => reply(A.ok));
        return;
      default:
        this.#host.debug(`global_name_server ignored the call ${format(request).slice(0, 120)}`);
    }
  }

  #message(m: Term, how: 'cast' | 'info'): void {
    let r: Msg;
    try {
      r = parseGlobal(m);
    } catch (e) {
      if (!(e instanceof TermShapeError)) throw e;
      this.#host.debug(`global_name_server ignored the ${how} ${format(m).slice(0, 120)}`);
      return;
    }
    switch (r.kind) {
      case 'init_connect':
        return this.#initConnectMsg(r.vsn, r.node, r.locker);
      case 'init_connect_ack':
        return this.#initConnectAck(r.node, r.hisMyTag, r.hisHisTag);
      case 'cancel_connect':
        if (this.#tagIs(r.node, r.myTag)) {
          this.#cancelLocker(r.node, r.myTag);
          this.#conns.delete(r.node);
          this.#pending.delete(r.node);
          this.#restartConnect(r.node, r.myTag);
        }
        return;
      case 'lock_set_tagged':
        if (this.#tagIs(r.locker.node, r.myTag)) this.#self.send(this.#locker, m);
        return;
      case 'lock_set':
        this.#self.send(this.#locker, m);
        return;
      case 'exchange':
        if (this.#tagIs(r.node, r.myTag)) this.#exchange(r.node, r.names);
        else this.#cancelLocker(r.node, r.myTag);
        return;
      case 'resolved':
        return this.#resolvedMsg(r.node, r.resolved, r.known, r.namesExt, r.myTag);
      case 'new_nodes':
        return this.#newNodes(r.node, r.ops, r.namesExt, r.nodes, r.extraInfo);
      case 'in_sync':
        return this.#inSync(r.node);
      case 'remove_connection':
        return this.#removeConnection(r.node);
      case 'lost_connection':
        return this.#lostConnection(m, r.nodeA, r.xCreation, r.opId, r.nodeB);
      case 'whereis':
        genReply(this.#self, r.from, this.where(r.name) ?? A.undefined);
        return;
      default:
        this.#host.debug(`global_name_server ignored the ${how} ${format(m).slice(0, 120)}`);
    }
  }

  #down(ref: Reference, reason: Term): void {
    const peer = this.#peerWatch.get(refKey(ref));
    if (peer !== undefined) return this.#peerServerDown(peer, reason);
    for (const e of this.registry.down(ref)) this.#host.debug(`global: ${format(e.name)} released (${format(e.pid)} ended)`);
  }

  /** The peer's global_name_server is not there (noproc): it takes no part, and nothing waits for it. */
  #peerServerDown(node: Atom, reason: Term): void {
    const ref = this.#watchOf.get(node);
    if (ref !== undefined) this.#peerWatch.delete(refKey(ref));
    this.#watchOf.delete(node);
    if (reason !== A.noproc || !this.#host.visible(node.name)) return; // a connection that went: nodedown says so
    this.#host.debug(`global: ${node.name} runs no global_name_server: left out of global`);
    this.#withoutGlobal.add(node);
    this.#cancelLocker(node, this.#conns.get(node)?.myTag);
    this.#conns.delete(node);
    this.#pending.delete(node);
    this.#resolvers.delete(node);
    this.#tellSyncers(node);
  }

  #watchPeer(node: Atom): void {
    if (this.#watchOf.has(node)) return;
    const ref = this.#self.monitor(new Tuple<[Atom, Atom]>([GNS, node]));
    this.#watchOf.set(node, ref);
    this.#peerWatch.set(refKey(ref), node);
  }

  #unwatchPeer(node: Atom): void {
    const ref = this.#watchOf.get(node);
    if (ref === undefined) return;
    this.#self.demonitor(ref, { flush: true });
    this.#peerWatch.delete(refKey(ref));
    this.#watchOf.delete(node);
  }

  // -- the connect, one peer at a time (handle_nodeup .. resolved) --------------------

  #conn(node: Atom): Conn {
    let c = this.#conns.get(node);
    if (c === undefined) this.#conns.set(node, (c = {}));
    return c;
  }
  #tagIs(node: Atom, tag: Term): boolean {
    const mine = this.#conns.get(node)?.myTag;
    return mine !== undefined && equals(mine, tag);
  }

  /** gen_server:cast to a peer's name server, only over a connection that is up (never reconnecting). */
  #cast(node: Atom, m: Term): void {
    this.#send(node, gen.genCast(m));
  }
  #send(node: Atom, m: Term): void {
    if (this.#host.visible(node.name)) this.#self.send(new Tuple<[Atom, Atom]>([GNS, node]), m);
  }

  #handleNodeup(node: Atom): void {
    if (this.#stopping) return;
    if (this.#known.has(node) || this.#resolvers.has(node) || this.#withoutGlobal.has(node)) return;
    this.#watchPeer(node);
    const pre = this.#conns.get(node)?.preConnect;
    if (pre !== undefined) {
      this.#conn(node).preConnect = undefined;
      // resend_pre_connect: handled after this, once our tag is set.
      this.#self.send(this.#self.pid, gen.genCast(msg.initConnect(tuple(pre.vsn, pre.hisTag), node, pre.initMsg)));
    }
    const myTag = ++this.#tags;
    this.#conn(node).myTag = myTag;
    this.#cast(node, msg.initConnect(tuple(VSN, myTag), this.node, tuple(A.locker, A.noLongerAPid, [], this.#locker)));
    this.#resolvers.set(node, myTag);
  }

  #initConnectMsg(vsn: Term, node: Atom, initMsg: Term): void {
    const v = vsn instanceof Tuple && vsn.size >= 2 && typeof vsn.elements[0] === 'number' ? vsn.elements : undefined;
    if (v === undefined) return this.#host.debug(`global: illegal protocol version ${format(vsn)} from ${node.name}`);
    const hisVsn = v[0] as number;
    this.#initConnect(Math.min(hisVsn, VSN), node, initMsg, v[1]!, hisVsn);
  }

  #initConnect(vsn: number, node: Atom, initMsg: Term, hisTag: Term, hisVsn: number): void {
    if (this.#pending.has(node)) {
      if (hisVsn < 8) {
        this.#host.debug(`global: an out of sync connection attempt from old version ${hisVsn} node ${node.name}: disconnecting`);
        this.#host.disconnect(node.name);
        return;
      }
      this.#send(node, msg.cancelConnect(this.node, hisTag));
      this.#restartConnect(node, this.#conns.get(node)?.myTag);
    }
    const c = this.#conn(node);
    c.protVsn = vsn;
    c.hisTag = hisTag;
    const myTag = this.#resolvers.get(node);
    if (myTag === undefined) {
      c.preConnect = { vsn, initMsg, hisTag };
      return;
    }
    const hisLocker = initMsg instanceof Tuple && initMsg.size === 4 && initMsg.elements[0] === A.locker ? initMsg.elements[3] : undefined;
    if (!(hisLocker instanceof Pid)) return this.#host.debug(`global: init_connect from ${node.name} names no locker: ${format(initMsg).slice(0, 120)}`);
    this.#self.send(this.#locker, lockerMessages.hisTheLocker(hisLocker, vsn, hisTag, myTag));
    if (hisVsn >= 8) this.#send(node, msg.initConnectAck(this.node, hisTag, myTag));
    this.#pending.set(node, hisVsn);
  }

  #initConnectAck(node: Atom, hisMyTag: Term, hisHisTag: Term): void {
    const c = this.#conns.get(node);
    if (c?.myTag !== undefined && equals(c.myTag, hisMyTag) && c.hisTag !== undefined && equals(c.hisTag, hisHisTag)) return;
    this.#send(node, msg.cancelConnect(this.node, hisHisTag));
    this.#restartConnect(node, c?.myTag);
  }

  #restartConnect(node: Atom, myTag: Term | undefined): void {
    this.#cancelLocker(node, myTag);
    this.#conns.delete(node);
    this.#pending.delete(node);
    this.registry.dropNode(node); // OTP 27+: what that node's pids held comes again with its names
    if (myTag !== undefined) this.#handleNodeup(node);
  }

  /** Our locker set the lock on our side: send our names (lock_is_set/3). */
  #lockIsSet(node: Atom, myTag: Term, lockId: Term): void {
    if (!this.#process.alive) return;
    if (!this.#tagIs(node, myTag)) return this.#cancelLocker(node, myTag);
    const c = this.#conn(node);
    this.#cast(node, msg.exchange(this.node, this.#names(), [], c.hisTag ?? A.undefined));
    c.lockId = lockId;
    const early = c.waitLock;
    c.waitLock = 'lock_is_set';
    if (early !== undefined && early !== 'lock_is_set') this.#exchange(node, early.names);
  }

  #names(): Term[] {
    return this.registry.names().map((e) => tuple(e.name, e.pid, e.method));
  }

  /** exchange/3: once both the lock and the peer's names are here, the resolver runs. */
  #exchange(node: Atom, names: Term[]): void {
    const c = this.#conn(node);
    if (c.waitLock !== 'lock_is_set') {
      c.waitLock = { names };
      return;
    }
    c.waitLock = undefined;
    const tag = this.#resolvers.get(node);
    if (tag === undefined) return;
    exchangeNames(this.#side, this.registry, node, names).then(
      ({ ops, resolved }) => this.#post(() => this.#exchangeOps(node, tag, ops, resolved)),
      (e: unknown) => this.#host.debug(`global: resolving names with ${node.name} failed: ${(e as Error).message}`),
    );
  }

  #exchangeOps(node: Atom, myTag: Term, ops: Term[], resolved: Term[]): void {
    if (!this.#tagIs(node, myTag) || !equals(this.#resolvers.get(node) ?? A.undefined, myTag)) return this.#cancelLocker(node, myTag);
    const c = this.#conn(node);
    this.#cast(node, msg.resolved(this.node, resolved, knownList(this.#known), A.unused, [], c.hisTag ?? A.undefined));
    const early = c.saveOps;
    c.saveOps = ops;
    if (early !== undefined && !Array.isArray(early)) this.#resolved(node, early.hisResolved, early.hisKnown, early.namesExt);
  }

  #resolvedMsg(node: Atom, hisResolved: Term[], hisKnown: Term[], namesExt: Term, myTag: Term): void {
    if (!this.#tagIs(node, myTag)) return this.#cancelLocker(node, myTag);
    const c = this.#conn(node);
    if (Array.isArray(c.saveOps)) this.#resolved(node, hisResolved, hisKnown, namesExt);
    else c.saveOps = { hisKnown, namesExt, hisResolved };
  }

  /** resolved/5: both sides' ops are here; apply them, tell the partition, learn the peer's nodes. */
  #resolved(node: Atom, hisResolved: Term[], hisKnown: Term[], namesExt: Term): void {
    const c = this.#conn(node);
    const ops = [...(Array.isArray(c.saveOps) ? c.saveOps : []), ...hisResolved];
    c.saveOps = undefined;
    const knownBefore = [...this.#known];
    const newNodes = [node, ...hisKnown].map((n) => nodeVsn(n, this.node, this.#known, this.#pending)).filter((n): n is Tuple => n !== undefined);
    const hisKnownNodes = nodeList(hisKnown);
    this.#syncOthers(hisKnownNodes);
    const extraInfo = [tuple(A.vsn, c.protVsn ?? VSN), tuple(A.lock, c.lockId ?? A.undefined)];
    this.#doOps(ops, extraInfo);
    this.#tellSyncers(node);
    for (const other of hisKnownNodes) this.#cancelResolvedLocker(other);
    const newNodesMsg = msg.newNodes(this.node, ops, namesExt, newNodes, extraInfo);
    for (const [n, v] of knownBefore) this.#cast(n, v >= 7 ? newNodesMsg : msg.newNodes(this.node, ops, namesExt, nodeList(newNodes), extraInfo));
    this.#cancelResolvedLocker(node);
    const added = addToKnown(this.#known, this.node, newNodes);
    this.#self.send(this.#locker, lockerMessages.addToKnown(added));
    this.#synced.add(node);
  }

  #cancelResolvedLocker(node: Atom): void {
    const tag = this.#conns.get(node)?.myTag;
    this.#pending.delete(node);
    this.#cancelLocker(node, tag);
    this.#conns.delete(node);
  }

  #newNodes(from: Atom, ops: Term[], _namesExt: Term, nodes: Term[], extraInfo: Term): void {
    const added = addToKnown(this.#known, this.node, nodes);
    this.#syncOthers(added);
    this.#doOps(ops, extraInfo);
    this.#self.send(this.#locker, lockerMessages.addToKnown(added));
    this.#host.debug(`global: new_nodes from ${from.name}: ${added.map((n) => n.name).join(', ') || 'none new'}`);
  }

  #inSync(node: Atom): void {
    this.#tellSyncers(node);
    this.#synced.add(node);
    this.#pending.delete(node);
    this.#cancelLocker(node, this.#conns.get(node)?.myTag);
    this.#conns.delete(node);
  }

  /** sync_others/1: connect to nodes learnt from a peer and tell each we are in sync. */
  #syncOthers(nodes: Atom[]): void {
    for (const n of nodes)
      this.#host.connect(n.name).then(
        () => this.#post(() => this.#cast(n, msg.inSync(this.node, true))),
        () =>
          this.#post(() => {
            this.#host.debug(`global: failed to connect to ${n.name}`);
            this.#tellSyncers(n);
            this.#handleNodedown(n, 'disconnected');
          }),
      );
  }

  /** do_ops/5: inserts and deletes from a connect; an insert that came without the global lock is undone. */
  #doOps(ops: Term[], extraInfo: Term): void {
    const lock = Array.isArray(extraInfo) ? extraInfo.find((e) => e instanceof Tuple && e.size === 2 && e.elements[0] === A.lock) : undefined;
    const lockId = lock instanceof Tuple ? lock.elements[1] : undefined;
    for (const op of ops) {
      if (!(op instanceof Tuple) || op.size !== 2) continue;
      const triple = op.elements[0] === A.insert ? nameTriple(op.elements[1]!) : undefined;
      if (triple !== undefined) this.#insName(triple[0], triple[1], triple[2], { lockId });
    }
    for (const op of ops) if (op instanceof Tuple && op.size === 2 && op.elements[0] === A.delete) this.registry.deleteName(op.elements[1]!);
  }

  #insName(name: Term, pid: Pid, method: Term, from: { pid: Pid } | { lockId: Term | undefined }): NameEntry | undefined {
    const e = this.registry.insertName(name, pid, method);
    if (this.registry.lockStillSet(from)) return e;
    this.registry.deleteName(name);
    return undefined;
  }

  // -- partitions, cancels, nodedown -----------------------------------------------------

  /** cancel_locker/4: the locker lets the connect go; the resolver's answer is dropped. */
  #cancelLocker(node: Atom, tag: Term | undefined): void {
    this.#self.send(this.#locker, lockerMessages.cancel(node, tag ?? A.undefined));
    const pendingVsn = this.#pending.get(node);
    const c = this.#conns.get(node);
    if (pendingVsn !== undefined && pendingVsn >= 8 && tag !== undefined && c?.myTag !== undefined && equals(c.myTag, tag)) this.#send(node, msg.cancelConnect(this.node, c.hisTag ?? A.undefined));
    const resolver = this.#resolvers.get(node);
    if (resolver !== undefined && tag !== undefined && equals(resolver, tag)) this.#resolvers.delete(node);
  }

  #handleNodedown(node: Atom, what: NodeDownType): void {
    this.#cancelLocker(node, this.#conns.get(node)?.myTag);
    this.#self.send(this.#locker, lockerMessages.removeFromKnown(node));
    this.#conns.delete(node);
    if (what === 'remove_connection') this.#removing.add(node);
    else if (what === 'ignore_node') this.#removing.delete(node);
    else if (this.#removing.has(node)) this.#removing.delete(node);
    else if (this.#known.has(node) || this.#pending.has(node)) this.#informConnectionLoss(node);
    this.#pending.delete(node);
    this.#known.delete(node);
    this.#synced.delete(node);
  }

  /** inform_connection_loss/2 (prevent_overlapping_partitions): tell the partition we lost `node`. */
  #informConnectionLoss(node: Atom): void {
    if (this.#stopping) return;
    this.#multicast(msg.lostConnection(this.node, this.#xCreation, ++this.#opIds, node), node);
  }

  /** gns_volatile_multicast/5: to every known and pending node of version 7 or later but `except`. */
  #multicast(m: Term, except: Atom): void {
    const to = new Set<Atom>();
    for (const [n, v] of [...this.#known, ...this.#pending]) if (n !== except && v >= 7) to.add(n);
    for (const n of to) this.#send(n, m);
  }

  /** A node of the partition lost another: drop whichever of the two is not us, so partitions do not overlap. */
  #lostConnection(m: Term, nodeA: Atom, x: Term, opId: number | bigint, nodeB: Atom): void {
    if (this.#stopping) return;
    const key = `${nodeA.name} ${nodeB.name}`;
    const seen = this.#lost.get(key);
    if (seen !== undefined && equals(seen.x, x) && opId <= seen.opId) return;
    this.#multicast(m, nodeA);
    if (seen !== undefined) clearTimeout(seen.timer);
    const timer = setTimeout(() => this.#lost.delete(key), 3_600_000);
    timer.unref();
    this.#lost.set(key, { x, opId, timer });
    const drop = nodeB === this.node ? nodeA : nodeB;
    if (!this.#known.has(drop) && !this.#pending.has(drop)) return;
    this.#send(drop, msg.removeConnection(this.node));
    this.#host.debug(`global at ${this.node.name} requested disconnect from node ${drop.name} in order to prevent overlapping partitions`);
    this.#handleNodedown(drop, 'remove_connection');
  }

  #removeConnection(node: Atom): void {
    if (!this.#known.has(node) && !this.#pending.has(node)) return;
    this.#host.debug(`global at ${this.node.name} disconnected node ${node.name} in order to prevent overlapping partitions`);
    this.#host.disconnect(node.name);
    this.#handleNodedown(node, 'remove_connection');
  }

  #tellSyncers(node: Atom): void {
    for (const s of this.#syncers) {
      s.waiting.delete(node);
      if (s.waiting.size === 0) {
        this.#syncers.delete(s);
        s.done();
      }
    }
  }
}
