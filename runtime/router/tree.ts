/**
 * The routing service of one node in a tree of contexts (mitogen's Router
 * and RouteMonitor, on the distribution protocol). Each node knows its
 * parent, its direct children, and which child each deeper context is
 * under; anything else is toward the parent. Routers talk through a tap
 * on the name `beamwire_router`, which tells them which neighbour a
 * message came over, so:
 * - routes are learned as contexts appear (`add_route`, sent up the tree
 *   by the context's parent) and dropped as they go (`del_route`);
 * - a tunnel (a byte stream the two ends' distribution connection runs
 *   over) is carried hop by hop; a message about a context must arrive
 *   from that context's direction, or it is dropped (the reverse-path
 *   check: a child cannot speak for its parent or a sibling);
 * - with `unidirectional`, no tunnel turns from one child to another here;
 * - a tunnel that cannot be built is refused back to its opener with the
 *   reason, and every tunnel through a link that went down is closed both
 *   ways, so each end's connection goes down and its callers hear of it.
 */
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Node } from '../node/node.js';
import { atom, Atom } from '../term/atom.js';
import { tuple } from '../term/make.js';
import { Tuple, type Term } from '../term/values.js';
import { ChannelError, channelReason, type ChannelReason } from './channel-errors.js';
import { TunnelStream } from './tunnel.js';

export const ROUTER = atom('beamwire_router');
const OPEN = atom('tunnel_open');
const OK = atom('tunnel_ok');
const REFUSED = atom('tunnel_refused');
const DATA = atom('tunnel_data');
const CLOSE = atom('tunnel_close');
const ADD_ROUTE = atom('add_route');
const DEL_ROUTE = atom('del_route');
const LOG = atom('log');
const OUTSIDE = atom('outside');

/** Where a tunnel leads on one side of this node: a neighbour, or an end here. */
type Side = { readonly neighbour: string } | { readonly local: TunnelStream | Duplex } | { readonly pending: true };

interface Entry {
  /** Toward the tunnel's opener. */
  readonly a: Side;
  /** Toward its target (undefined until the target side exists). */
  b: Side;
}

export interface TreeOptions {
  /** The parent's node name; none at the root. */
  readonly parent?: string | undefined;
  /** mitogen's `unidirectional`: no traffic between one child's subtree and another's through this node. */
  readonly unidirectional?: boolean | undefined;
  /** At the root: a raw stream to a node outside the tree (an Erlang node), for a context's tunnel to it. */
  readonly outside?: ((peer: string) => Promise<Duplex>) | undefined;
  /** A line a context printed (its console, its stderr), with the context's node name. */
  readonly log: (context: string, stream: 'stdout' | 'stderr', line: string) => void;
  /** A context below this node appeared (a child of ours, or one a child reports). */
  readonly added?: ((context: string) => void) | undefined;
  /** A context below this node is gone (its link, or an ancestor's, went down). */
  readonly gone?: ((context: string) => void) | undefined;
  readonly debug: (line: string) => void;
}

export class Tree {
  readonly #node: Node;
  readonly #o: TreeOptions;
  readonly #children = new Set<string>();
  /** A context deeper down → the child it is under. */
  readonly #routes = new Map<string, string>();
  readonly #tunnels = new Map<string, Entry>();
  /** Tunnels this node opened, until the target says ok or refused. */
  readonly #opening = new Map<string, { resolve(s: Duplex): void; reject(e: Error): void; stream: TunnelStream; target: string }>();
  /** Contexts known gone, for clear errors instead of "no route". */
  readonly #gone = new Set<string>();
  readonly #untap: () => void;
  #seq = 0;

  constructor(node: Node, options: TreeOptions) {
    this.#node = node;
    this.#o = options;
    this.#untap = node.tap(ROUTER, (peer, m) => this.#message(peer, m));
    node.routeThrough((peer) => this.#route(peer));
    node.on('nodedown', (peer) => this.#down(peer));
  }

  get parent(): string | undefined {
    return this.#o.parent;
  }

  /** The contexts below this node, by node name. */
  descendants(): string[] {
    return [...this.#children, ...this.#routes.keys()];
  }

  /** The neighbour toward `target`: a child, the child it is under, or the parent. */
  next(target: string): string | undefined {
    if (this.#children.has(target) || target === this.#o.parent) return target;
    return this.#routes.get(target) ?? this.#o.parent;
  }

  /** Whether `target` is below this node. */
  below(target: string): boolean {
    return this.#children.has(target) || this.#routes.has(target);
  }

  /** A direct child's link is up: it and the contexts it reports are routed through it. */
  addChild(name: string): void {
    this.#gone.delete(name);
    this.#children.add(name);
    this.#o.added?.(name);
    this.#toParent(tuple(ADD_ROUTE, [atom(name)]));
  }

  stop(): void {
    this.#untap();
    this.#node.routeThrough(undefined);
    for (const [id, e] of this.#tunnels) this.#closeSide(e.a, id), this.#closeSide(e.b, id);
    this.#tunnels.clear();
  }

  /** A log line of this node's own child, or of one below it, travels up to the root. */
  forwardLog(context: string, stream: 'stdout' | 'stderr', line: string): void {
    if (this.#o.parent === undefined) return this.#o.log(context, stream, line);
    this.#send(this.#o.parent, tuple(LOG, atom(context), atom(stream), line));
  }

  // -- opening tunnels (the node's route hook) --------------------------------

  #route(peer: string): Promise<Duplex> | undefined {
    if (this.#gone.has(peer)) return Promise.reject(new ChannelError('context_gone', `a route to ${peer}`, 'it is gone'));
    // A neighbour's link is its only way: with no connection, it is gone.
    if (this.#children.has(peer) || peer === this.#o.parent) return Promise.reject(new ChannelError('context_gone', `a route to ${peer}`, 'its link is down'));
    const hop = this.next(peer);
    if (hop === undefined) return undefined; // the root, and a node outside the tree: dial it the usual way
    const id = `${this.#node.name}/${++this.#seq}`;
    const cookie = randomBytes(18).toString('base64url');
    this.#node.setCookie(peer, cookie);
    const stream = this.#endpoint(id, hop);
    this.#tunnels.set(id, { a: { local: stream }, b: { neighbour: hop } });
    return new Promise<Duplex>((resolve, reject) => {
      this.#opening.set(id, { resolve, reject, stream, target: peer });
      this.#send(hop, tuple(OPEN, id, atom(this.#node.name), atom(peer), cookie));
    });
  }

  #endpoint(id: string, neighbour: string): TunnelStream {
    return new TunnelStream(id, {
      data: (bytes) => {
        this.#send(neighbour, tuple(DATA, id, bytes));
        return this.#node.drain(neighbour).catch(() => {});
      },
      close: () => {
        if (this.#tunnels.delete(id)) this.#send(neighbour, tuple(CLOSE, id));
      },
    });
  }

  // -- the protocol between routers -------------------------------------------

  #message(peer: string, m: Term): void {
    if (!(m instanceof Tuple) || !(m.elements[0] instanceof Atom)) return this.#o.debug(`router: ignored a malformed message from ${peer}`);
    const [tag, ...f] = m.elements as [Atom, ...Term[]];
    try {
      switch (tag) {
        case OPEN:
          return this.#open(peer, text(f[0]), name(f[1]), name(f[2]), text(f[3]));
        case OK:
          return this.#answer(peer, text(f[0]), undefined, f[1] === OUTSIDE);
        case REFUSED:
          return this.#answer(peer, text(f[0]), [channelReason(name(f[1])), text(f[2])], false);
        case DATA:
          return this.#data(peer, text(f[0]), bytes(f[1]));
        case CLOSE:
          return this.#close(peer, text(f[0]));
        case ADD_ROUTE:
        case DEL_ROUTE:
          return this.#routeChange(peer, tag === ADD_ROUTE, names(f[0]));
        case LOG:
          return this.#log(peer, name(f[0]), name(f[1]) === 'stdout' ? 'stdout' : 'stderr', text(f[2]));
        default:
          return this.#o.debug(`router: ignored ${tag.name} from ${peer}`);
      }
    } catch (e) {
      this.#o.debug(`router: ignored a malformed ${tag.name} from ${peer}: ${(e as Error).message}`);
    }
  }

  #open(from: string, id: string, origin: string, target: string, cookie: string): void {
    if (this.next(origin) !== from) return this.#o.debug(`router: dropped a tunnel from ${from} claiming to come from ${origin}`);
    if (this.#tunnels.has(id)) return this.#o.debug(`router: dropped a second tunnel ${id}`);
    const refuse = (reason: ChannelReason, detail: string): void => this.#send(from, tuple(REFUSED, id, atom(reason), detail));
    if (target === this.#node.name) {
      const stream = this.#endpoint(id, from);
      this.#tunnels.set(id, { a: { neighbour: from }, b: { local: stream } });
      // A relayed connection's handshake is with the outside node, on this node's own cookie.
      if (cookie !== '') this.#node.setCookie(origin, cookie);
      this.#send(from, tuple(OK, id));
      this.#node.accept(stream);
      return;
    }
    if (this.#gone.has(target)) return refuse('context_gone', `context ${target} is gone`);
    const hop = this.next(target);
    if (hop === undefined) {
      if (this.#o.outside === undefined) return refuse('no_route', `no route from ${this.#node.name} to ${target}`);
      const entry: Entry = { a: { neighbour: from }, b: { pending: true } };
      this.#tunnels.set(id, entry);
      this.#o.outside(target).then(
        (socket) => {
          if (this.#tunnels.get(id) !== entry) return void socket.destroy();
          this.#attach(id, entry, socket, from);
          // The handshake is with a node outside the tree: the opener uses its own cookie, not the tunnel's.
          this.#send(from, tuple(OK, id, OUTSIDE));
        },
        (e: unknown) => {
          this.#tunnels.delete(id);
          refuse('no_route', `${this.#node.name} could not reach ${target}: ${(e as Error).message}`);
        },
      );
      return;
    }
    if (hop === from) return refuse('no_route', `${target} is not where ${from} thinks it is`);
    if (this.#o.unidirectional && from !== this.#o.parent && hop !== this.#o.parent) return refuse('refused', `${this.#node.name} is unidirectional: ${origin} may not reach ${target}`);
    this.#tunnels.set(id, { a: { neighbour: from }, b: { neighbour: hop } });
    this.#send(hop, tuple(OPEN, id, atom(origin), atom(target), cookie));
  }

  /** A raw stream (a socket) as one end of tunnel `id`, whose other end is toward `neighbour`. */
  #attach(id: string, entry: Entry, socket: Duplex, neighbour: string): void {
    const which: 'a' | 'b' = 'pending' in entry.b ? 'b' : 'a';
    if (which === 'b') entry.b = { local: socket };
    socket.on('data', (d: Buffer) => this.#send(neighbour, tuple(DATA, id, d)));
    socket.on('close', () => this.#tunnels.delete(id) && this.#send(neighbour, tuple(CLOSE, id)));
    socket.on('error', (e) => this.#o.debug(`router: tunnel ${id}'s socket: ${e.message}`));
  }

  /**
   * A connection an outside node (Erlang) opened to `target` here, relayed to it over a tunnel: the
   * handshake runs end to end, with the target's own cookie (the open carries none).
   */
  relayIn(target: string, socket: Duplex): void {
    const hop = this.#children.has(target) ? target : this.#routes.get(target);
    if (hop === undefined) return void socket.destroy();
    const id = `${this.#node.name}/${++this.#seq}`;
    const entry: Entry = { a: { local: socket }, b: { neighbour: hop } };
    this.#tunnels.set(id, entry);
    this.#attach(id, entry, socket, hop);
    this.#send(hop, tuple(OPEN, id, atom(this.#node.name), atom(target), ''));
  }

  #answer(from: string, id: string, refused: [ChannelReason, string] | undefined, outside: boolean): void {
    const e = this.#tunnels.get(id);
    if (e === undefined || !isNeighbour(e.b, from)) return this.#o.debug(`router: ignored an answer for tunnel ${id} from ${from}`);
    if (refused !== undefined) this.#tunnels.delete(id);
    if ('neighbour' in e.a) return this.#send(e.a.neighbour, refused !== undefined ? tuple(REFUSED, id, atom(refused[0]), refused[1]) : outside ? tuple(OK, id, OUTSIDE) : tuple(OK, id));
    const waiting = this.#opening.get(id);
    this.#opening.delete(id);
    if (waiting === undefined) {
      if (refused !== undefined && 'local' in e.a && !(e.a.local instanceof TunnelStream)) e.a.local.destroy(); // a relayed socket
      return;
    }
    if (outside) this.#node.setCookie(waiting.target, this.#node.getCookie());
    if (refused === undefined) waiting.resolve(waiting.stream);
    else waiting.reject(new ChannelError(refused[0], `a route to ${waiting.target}`, refused[1]));
  }

  #data(from: string, id: string, bytes: Uint8Array): void {
    const e = this.#tunnels.get(id);
    const to = e === undefined ? undefined : isNeighbour(e.a, from) ? e.b : isNeighbour(e.b, from) ? e.a : undefined;
    if (to === undefined || 'pending' in to) return this.#o.debug(`router: dropped data for tunnel ${id} from ${from}`);
    if ('neighbour' in to) return this.#send(to.neighbour, tuple(DATA, id, bytes));
    if (to.local instanceof TunnelStream) to.local.deliver(bytes);
    else to.local.write(bytes);
  }

  #close(from: string, id: string): void {
    const e = this.#tunnels.get(id);
    if (e === undefined) return;
    const other = isNeighbour(e.a, from) ? e.b : isNeighbour(e.b, from) ? e.a : undefined;
    if (other === undefined) return;
    this.#tunnels.delete(id);
    this.#closeSide(other, id);
  }

  #closeSide(side: Side, id: string): void {
    if ('pending' in side) return;
    if ('neighbour' in side) return this.#send(side.neighbour, tuple(CLOSE, id));
    const waiting = this.#opening.get(id);
    if (waiting !== undefined) {
      this.#opening.delete(id);
      waiting.reject(new ChannelError('context_gone', `tunnel ${id}`, 'it closed before it opened'));
    }
    if (side.local instanceof TunnelStream) side.local.remoteClose();
    else side.local.destroy();
  }

  #routeChange(from: string, add: boolean, contexts: string[]): void {
    if (!this.#children.has(from)) return this.#o.debug(`router: ignored a route change from ${from}, not a child`);
    const changed: string[] = [];
    for (const c of contexts) {
      if (c === this.#node.name || c === this.#o.parent || this.#children.has(c)) {
        if (add) this.#o.debug(`router: ${from} claims ${c}, which is not under it`);
        continue;
      }
      const via = this.#routes.get(c);
      if (add && via === undefined) {
        this.#routes.set(c, from);
        this.#gone.delete(c);
        this.#o.added?.(c);
        changed.push(c);
      } else if (!add && via === from) {
        this.#routes.delete(c);
        this.#lost(c);
        changed.push(c);
      } else if (add && via !== from) this.#o.debug(`router: ${from} claims ${c}, which is under ${via}`);
    }
    if (changed.length > 0) this.#toParent(tuple(add ? ADD_ROUTE : DEL_ROUTE, changed.map((c) => atom(c))));
  }

  #log(from: string, context: string, stream: 'stdout' | 'stderr', line: string): void {
    if (this.next(context) !== from) return this.#o.debug(`router: dropped a log line from ${from} for ${context}`);
    this.forwardLog(context, stream, line);
  }

  /** A neighbour's link went down: its subtree is gone, and so is every tunnel through it. */
  #down(peer: string): void {
    if (!this.#children.has(peer) && peer !== this.#o.parent) return;
    for (const [id, e] of [...this.#tunnels]) {
      const other = isNeighbour(e.a, peer) ? e.b : isNeighbour(e.b, peer) ? e.a : undefined;
      if (other === undefined) continue;
      this.#tunnels.delete(id);
      this.#closeSide(other, id);
    }
    if (peer === this.#o.parent) return;
    this.#children.delete(peer);
    const lost = [peer];
    for (const [c, via] of [...this.#routes]) if (via === peer) this.#routes.delete(c), lost.push(c);
    for (const c of lost) this.#lost(c);
    this.#toParent(tuple(DEL_ROUTE, lost.map((c) => atom(c))));
  }

  #lost(context: string): void {
    this.#gone.add(context);
    this.#o.gone?.(context);
  }

  #toParent(m: Term): void {
    if (this.#o.parent !== undefined) this.#send(this.#o.parent, m);
  }

  #send(neighbour: string, m: Term): void {
    if (this.#node.isStopped) return;
    this.#node.send([ROUTER, neighbour], m);
  }
}

function isNeighbour(s: Side, peer: string): boolean {
  return 'neighbour' in s && s.neighbour === peer;
}

function text(t: Term | undefined): string {
  if (typeof t === 'string') return t;
  if (t instanceof Uint8Array) return Buffer.from(t.buffer, t.byteOffset, t.byteLength).toString('utf8');
  throw new TypeError('expected a binary');
}

function bytes(t: Term | undefined): Uint8Array {
  if (t instanceof Uint8Array) return t;
  throw new TypeError('expected a binary');
}

function name(t: Term | undefined): string {
  if (t instanceof Atom) return t.name;
  throw new TypeError('expected an atom');
}

function names(t: Term | undefined): string[] {
  if (!Array.isArray(t)) throw new TypeError('expected a list');
  return t.map(name);
}
