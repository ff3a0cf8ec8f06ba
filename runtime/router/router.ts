/**
 * A Router is one node of a tree of contexts (mitogen's master at the
 * root, and the same object in every context): it starts contexts (a local
 * `node`, `ssh host node`, a worker thread, or any of those through another
 * context with `via`), routes between all of them (tree.ts), serves
 * `beamwire_context` (service.ts), and relays the lines contexts print.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Node } from '../node/node.js';
import { StreamCarrier } from '../transport/index.js';
import { splitName } from '../node/names.js';
import { Atom } from '../term/atom.js';
import { Tuple, type Term } from '../term/values.js';
import { bundleModule, type ModuleBundle } from './bundle.js';
import { ChannelError } from './channel-errors.js';
import { Context, type ContextOwner, type ShutdownOptions } from './context.js';
import { launchLocal, launchSsh, launchWorker, type LaunchCommon, type Launched, type LocalLaunch, type SshLaunch } from './launch.js';
import { runtimeBundle } from './runtime-bundle.js';
import { ContextService, SERVICE } from './service.js';
import { dialOutside, InwardRelay } from './relay.js';
import { Receiver, type ReceiverOptions } from './receiver.js';
import { Tree } from './tree.js';
import { Calls } from './calls.js';
import { fromTerm, toTerm, valueCodec } from './values.js';

export interface RouterOptions {
  /** Reuse this node as the root (its cookie becomes the contexts' own, so its cluster can reach them). */
  readonly node?: Node;
  /** The root node's name when the router starts its own (default `beamwire-<pid>`). */
  readonly name?: string;
  /** mitogen's `unidirectional`: contexts may talk to their ancestors only, never to a sibling's subtree. */
  readonly unidirectional?: boolean;
  /**
   * At the root: register every context's name with the node's EPMD, at a
   * port of this node that relays to the context, so Erlang nodes that know
   * the root's cookie reach contexts as nodes (`erpc:call('w2@host', …)`).
   * Default false. Contexts reach nodes outside the tree through the root
   * either way.
   */
  readonly relay?: boolean;
  /** Milliseconds a context has to start (default 30000, mitogen's connect_timeout). */
  readonly connectTimeout?: number;
  /**
   * The largest call, argument list or result, in bytes (default 128 MiB,
   * mitogen's max_message_size): a larger one is refused before it is sent
   * (ChannelError `too_large`), and a context's connections take no larger
   * packet.
   */
  readonly maxMessageSize?: number;
  readonly debug?: (line: string) => void;
}

interface StartCommon {
  /** The context's name: letters, digits, `_` and `-` (its node is `<name>@<host of the root>`). */
  readonly name?: string;
  /** Start it from this context instead of from here. */
  readonly via?: Context;
  /** Milliseconds to start (default: the router's connectTimeout). */
  readonly timeout?: number;
}

export interface LocalOptions extends StartCommon, LocalLaunch {}
export interface SshOptions extends StartCommon, SshLaunch {}
export interface WorkerOptions extends StartCommon {}

export interface RouterEvents {
  /** A line a context printed (console or stderr): without a listener it goes to stderr as `[name] line`. */
  log: [context: string, stream: 'stdout' | 'stderr', line: string];
  /** A context's link went down. */
  disconnect: [context: Context, reason: string];
}

/** @internal What a context's own main gives its Router. */
export interface ContextPlace {
  readonly parent: string;
  readonly host: string;
  readonly unidirectional: boolean;
  readonly connectTimeout: number;
  readonly maxMessageSize: number;
  readonly beamwire: object;
  /** Ends this context (its process, or its worker thread). */
  readonly exit: () => void;
}

interface Child {
  readonly context: Context;
  readonly launched: Launched;
}

let counter = 0;
/** mitogen's default max_message_size. */
const DEFAULT_MAX_MESSAGE = 128 * 1024 * 1024;

export class Router extends EventEmitter<RouterEvents> implements ContextOwner {
  readonly node: Node;
  readonly #tree: Tree;
  readonly #owned: boolean;
  readonly #host: string;
  readonly #timeout: number;
  readonly #unidirectional: boolean;
  readonly maxMessageSize: number;
  /** @internal */
  readonly calls: Calls;
  readonly #place: ContextPlace | undefined;
  /** Every context this router has a handle on, by node name. */
  readonly #contexts = new Map<string, Context>();
  /** The ones whose process this node started. */
  readonly #children = new Map<string, Child>();
  readonly #bundles = new Map<string, ModuleBundle>();
  readonly #byUrl = new Map<string, Promise<ModuleBundle>>();
  #stopping: Promise<void> | undefined;
  #relay: InwardRelay | undefined;

  private constructor(node: Node, owned: boolean, o: RouterOptions, place: ContextPlace | undefined) {
    super();
    this.node = node;
    this.#owned = owned;
    this.#place = place;
    this.#host = place?.host ?? splitName(node.name)[1];
    this.#timeout = place?.connectTimeout ?? o.connectTimeout ?? 30_000;
    this.#unidirectional = place?.unidirectional ?? o.unidirectional ?? false;
    this.maxMessageSize = place?.maxMessageSize ?? o.maxMessageSize ?? DEFAULT_MAX_MESSAGE;
    const debug = o.debug ?? (() => {});
    this.#tree = new Tree(node, {
      parent: place?.parent,
      unidirectional: this.#unidirectional,
      log: (ctx, stream, line) => this.#log(ctx, stream, line),
      added: (ctx) => void this.#relay?.expose(ctx),
      gone: (ctx) => {
        this.#relay?.withdraw(ctx);
        this.#gone(ctx, 'its link went down');
      },
      debug,
      outside: place === undefined ? (peer) => dialOutside(node, peer, this.#timeout) : undefined,
    });
    if (place === undefined && o.relay) this.#relay = new InwardRelay(node, this.#tree, debug);
    const service = new ContextService(
      {
        node,
        parent: place?.parent,
        bundles: this.#bundles,
        maxMessageSize: this.maxMessageSize,
        inject: (caller) => ({ router: this, node, caller }),
        startChild: (kind, opts) => this.#startChild(kind, opts),
        stopChild: (nodeName, grace) => this.stopChild(nodeName, grace),
        shutdown: (grace) => void this.#shutdownSelf(grace),
      },
      place?.beamwire ?? {},
    );
    this.calls = new Calls(node, (r, caller) => service.serve(r, caller), debug);
    node.on('nodedown', (peer) => {
      if (this.#children.has(peer)) this.#gone(peer, 'its link went down');
    });
  }

  /** The root of a tree: a node of its own (hidden from EPMD, no listener), or `node`. */
  static async start(o: RouterOptions = {}): Promise<Router> {
    const node =
      o.node ??
      (await Node.start({
        name: o.name ?? `beamwire-${process.pid}`,
        cookie: randomBytes(18).toString('base64url'),
        epmd: 'none',
        transport: new StreamCarrier(),
        hidden: true, // out of OTP's global, as its contexts are (context-main.ts)
        logger: 'silent',
        ...(o.debug === undefined ? {} : { debug: o.debug }),
      }));
    return new Router(node, o.node === undefined, o, undefined);
  }

  /** @internal A context's router (context-main.ts). */
  static attach(node: Node, place: ContextPlace, o: RouterOptions = {}): Router {
    return new Router(node, true, o, place);
  }

  /** A context in a child `node` process, over its stdio. */
  local(o: LocalOptions = {}): Promise<Context> {
    return this.#start('local', o, (c) => launchLocal(c, o));
  }

  /** A context on another host, through `ssh host node -e …`: only `node` needed there. */
  ssh(o: SshOptions): Promise<Context> {
    return this.#start('ssh', o, (c) => launchSsh(c, o), `ssh-${o.host}`);
  }

  /** A context in a worker thread of this process. */
  worker(o: WorkerOptions = {}): Promise<Context> {
    return this.#start('worker', o, (c) => launchWorker(c));
  }

  /** A Receiver on this router's node, whose values use the values mapping (values.ts): `toSender()` gives what to pass around. */
  receiver(o: Omit<ReceiverOptions, 'codec'> = {}): Receiver<unknown> {
    return new Receiver<unknown>(this.node, { ...o, codec: valueCodec });
  }

  /** The contexts this router has handles on. */
  contexts(): Context[] {
    return [...this.#contexts.values()];
  }

  /** Shuts every context down (waiting for each), then the node if the router started it. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await Promise.allSettled([...this.#contexts.values()].filter((c) => c.via === undefined || !this.#contexts.has(c.via.nodeName)).map((c) => c.shutdown({ wait: true, grace: 2000 })));
      this.#relay?.close();
      this.#tree.stop();
      this.node.unexpose(SERVICE);
      if (this.#owned) await this.node.stop();
    })();
    return this.#stopping;
  }

  // -- ContextOwner -----------------------------------------------------------

  /** @internal */
  bundle(url: URL | string): Promise<ModuleBundle> {
    const key = String(url);
    let b = this.#byUrl.get(key);
    if (b === undefined) {
      b = bundleModule(url).then((m) => (this.#bundles.set(m.hash, m), m));
      b.catch(() => this.#byUrl.delete(key));
      this.#byUrl.set(key, b);
    }
    return b;
  }

  /** @internal */
  whyUnreachable(nodeName: string): ChannelError | undefined {
    const ctx = this.#contexts.get(nodeName);
    if (ctx !== undefined && !ctx.connected) return new ChannelError('context_gone', `context ${ctx.name} (${nodeName})`);
    return undefined;
  }

  /** @internal */
  async shutdown(ctx: Context, o: ShutdownOptions): Promise<void> {
    const grace = o.grace ?? 5000;
    const child = this.#children.get(ctx.nodeName);
    if (child !== undefined) {
      if (ctx.connected) this.node.rpcCast(ctx.nodeName, SERVICE, 'shutdown', [grace]);
      const killer = setTimeout(() => child.launched.kill(), grace);
      const ended = child.launched.ended.finally(() => clearTimeout(killer));
      if (o.wait) await ended;
      return;
    }
    if (ctx.via === undefined) return;
    const stop = [ctx.nodeName, grace];
    if (!o.wait) return void this.node.rpcCast(ctx.via.nodeName, SERVICE, 'stop_child', stop);
    await this.node.rpc(ctx.via.nodeName, SERVICE, 'stop_child', stop).catch(() => {});
  }

  // -- starting contexts -------------------------------------------------------

  async #start(kind: string, o: StartCommon, launch: (c: LaunchCommon) => Promise<Launched>, defaultName?: string): Promise<Context> {
    // Unique on this host whoever starts it: a pid and a count (mitogen names contexts by the pid as well).
    const name = contextName(o.name ?? defaultName ?? `${kind}-${process.pid}-${++counter}`);
    if (o.via !== undefined) {
      const { via, ...rest } = o;
      const options = { ...rest, name };
      const reply = await this.node.rpc(via.nodeName, SERVICE, 'start_child', [kind, toTerm(options, 'options')], { timeout: (o.timeout ?? this.#timeout) + 5000 });
      const [nodeName, version] = startReply(reply);
      const ctx = new Context(this, name, nodeName, via, version);
      this.#contexts.set(nodeName, ctx);
      return ctx;
    }
    const nodeName = `${name}@${this.#host}`;
    if (this.#contexts.has(nodeName) || nodeName === this.node.name) throw new RangeError(`a context named ${name} exists already`);
    const linkCookie = randomBytes(18).toString('base64url');
    const config = {
      name,
      node: nodeName,
      parent: this.node.name,
      host: this.#host,
      linkCookie,
      cookie: this.node.getCookie(),
      unidirectional: this.#unidirectional,
      connectTimeout: this.#timeout,
      maxMessageSize: this.maxMessageSize,
    };
    const launched = await launch({
      name,
      runtime: await runtimeBundle(),
      config,
      timeoutMs: o.timeout ?? this.#timeout,
      line: (stream, line) => this.#tree.forwardLog(nodeName, stream, line),
    });
    this.node.setCookie(nodeName, linkCookie);
    try {
      await this.node.connect(nodeName, { stream: launched.stream });
    } catch (e) {
      launched.kill();
      throw e;
    }
    const ctx = new Context(this, name, nodeName, undefined, launched.version);
    this.#contexts.set(nodeName, ctx);
    this.#children.set(nodeName, { context: ctx, launched });
    this.#tree.addChild(nodeName);
    void launched.ended.then(() => this.#gone(nodeName, 'its process ended'));
    return ctx;
  }

  /** `start_child` from the parent: a context of this one, `via` us. */
  async #startChild(kind: string, options: Record<string, unknown>): Promise<{ node: string; version: string }> {
    const o = options as unknown as LocalOptions & SshOptions;
    const ctx = kind === 'ssh' ? await this.ssh(o) : kind === 'worker' ? await this.worker(o) : await this.local(o);
    return { node: ctx.nodeName, version: ctx.version };
  }

  #gone(nodeName: string, reason: string): void {
    const ctx = this.#contexts.get(nodeName);
    this.#children.delete(nodeName);
    if (ctx === undefined) return;
    this.#contexts.delete(nodeName);
    ctx.disconnected(reason);
    if (this.listenerCount('disconnect') > 0) this.emit('disconnect', ctx, reason);
  }

  /** Asked by the parent: the children first (each given the grace), then this node, then the process. */
  async #shutdownSelf(grace: number): Promise<void> {
    await Promise.allSettled([...this.#children.values()].map((c) => c.context.shutdown({ wait: true, grace: Math.max(100, grace - 500) })));
    this.#tree.stop();
    await this.node.stop().catch(() => {});
    this.#place?.exit();
  }

  /** `stop_child` from the parent: shut one of ours down and wait. */
  async stopChild(nodeName: string, grace: number): Promise<void> {
    const child = this.#children.get(nodeName);
    if (child !== undefined) await child.context.shutdown({ wait: true, grace });
  }

  #log(context: string, stream: 'stdout' | 'stderr', line: string): void {
    const name = context.includes('@') ? splitName(context)[0] : context;
    if (this.listenerCount('log') > 0) this.emit('log', name, stream, line);
    else process.stderr.write(`[${name}] ${line}\n`);
  }
}

function contextName(name: string): string {
  const n = name.replace(/[^A-Za-z0-9_-]/g, '_');
  if (n === '') throw new RangeError('a context name may not be empty');
  return n;
}

function startReply(t: Term): [string, string] {
  if (t instanceof Tuple && t.elements[0] instanceof Atom) return [t.elements[0].name, String(fromTerm(t.elements[1]!))];
  throw new TypeError('start_child: a malformed reply');
}

