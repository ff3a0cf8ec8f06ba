/**
 * A handle on a context: a beamwire node somewhere in the tree, reached
 * through the routers. Calls are erpc calls of `beamwire_context:call`;
 * the module a call names is bundled here once (bundle.ts), and sent with
 * the first call to each context.
 */
import { EventEmitter } from 'node:events';
import type { Node } from '../node/node.js';
import { atom } from '../term/atom.js';
import { Tuple, type Term } from '../term/values.js';
import { tuple } from '../term/make.js';
import { Receiver } from './receiver.js';
import { CallChain } from './chain.js';
import type { RemoteModule } from './econtext.js';
import { ChannelError, channelReason } from './channel-errors.js';
import { approxSize } from './size.js';
import { CallError } from './errors.js';
import type { ModuleBundle } from './bundle.js';
import { bundleTerm } from './service.js';
import type { CallRequest, Calls } from './calls.js';
import { fromTerm, toTerm } from './values.js';

const OK = atom('ok');
const ERROR = atom('error');
const DEAD = atom('dead');
const UNDEFINED = atom('undefined');

/** What a context handle needs from its router. */
export interface ContextOwner {
  readonly node: Node;
  bundle(url: URL | string): Promise<ModuleBundle>;
  /** Why `nodeName` cannot be reached now, if the router knows (it is gone, no route). */
  whyUnreachable(nodeName: string): ChannelError | undefined;
  readonly calls: Calls;
  /** The largest call (arguments, or result) the router carries, in bytes. */
  readonly maxMessageSize: number;
  /** Stops the context: asks it, then waits for it to go (`wait`), killing it after the grace period. */
  shutdown(ctx: Context, o: ShutdownOptions): Promise<void>;
}

export interface CallOptions {
  /** Milliseconds before the call rejects with CallTimeoutError (the call itself is not stopped). */
  readonly timeout?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface ShutdownOptions {
  /** Resolve only once the context (and its own children) are gone. Default false. */
  readonly wait?: boolean;
  /** Milliseconds it has to end by itself before it is killed (default 5000). */
  readonly grace?: number;
}

export interface ContextEvents {
  /** The link to the context went down (it ended, or a context between went). */
  disconnect: [reason: string];
}


export class Context extends EventEmitter<ContextEvents> {
  /** Contexts this node has sent a bundle to, by hash. */
  readonly #sent = new Set<string>();
  #connected = true;
  #why = '';

  constructor(
    readonly owner: ContextOwner,
    /** The name given at start (`w1`). */
    readonly name: string,
    /** Its node's name (`w1@host`): `node.rpc(ctx.nodeName, …)` reaches it. */
    readonly nodeName: string,
    /** The context it was started through (`via`), if any. */
    readonly via: Context | undefined,
    /** The remote `process.version`. */
    readonly version: string,
  ) {
    super();
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** @internal The router saw it go. */
  disconnected(reason: string): void {
    if (!this.#connected) return;
    this.#connected = false;
    this.#why = reason;
    if (this.listenerCount('disconnect') > 0) this.emit('disconnect', reason);
  }

  /** Calls `fn` of the module at `url` in the context and resolves with its result. */
  call(url: URL | string, fn: string, ...args: unknown[]): Promise<unknown> {
    return this.callWith({}, url, fn, ...args);
  }

  /** {@link call} with a timeout or an AbortSignal. */
  async callWith(o: CallOptions, url: URL | string, fn: string, ...args: unknown[]): Promise<unknown> {
    return this.invoke(o, url, fn, args, undefined);
  }

  /** Runs it and forgets it: no result, and a failure is only logged in the context. */
  callNoReply(url: URL | string, fn: string, ...args: unknown[]): void {
    void this.owner.bundle(url).then(
      (b) => this.owner.calls.call(this.nodeName, this.#request(b, fn, args, undefined), { reply: false }),
      () => {},
    ).catch(() => {});
  }

  /** A CallChain into this context (mitogen's): pipelined calls, the first failure poisons the rest until `reset()`. */
  chain(): CallChain {
    return new CallChain(this);
  }

  /** The module at `url` as an object whose every export runs in the context. */
  module<T>(url: URL | string): RemoteModule<T> {
    void this.owner.bundle(url).catch(() => {}); // start bundling now; the first call awaits it
    return new Proxy(Object.create(null) as RemoteModule<T>, {
      get: (_t, key) => {
        // Not a thenable, not inspectable as anything else: only string keys are exports.
        if (typeof key !== 'string' || key === 'then') return undefined;
        return (...args: unknown[]) => this.call(url, key, ...args);
      },
    });
  }

  /** Stops the context and its own children. */
  shutdown(o: ShutdownOptions = {}): Promise<void> {
    return this.owner.shutdown(this, o);
  }

  /**
   * Starts the call and gives a oneshot Receiver for its result (mitogen's
   * call_async): `get({ timeout, signal })` resolves with the value, or
   * rejects with the CallError, or a ChannelError when the context goes.
   */
  callAsync(url: URL | string, fn: string, ...args: unknown[]): Receiver<unknown> {
    const target = `${moduleName(String(url))}.${fn}`;
    const node = this.owner.node;
    const r = new Receiver<unknown>(node, {
      oneshot: true,
      respondent: this.nodeName,
      codec: { toTerm: (v) => toTerm(v), fromTerm: (t, c) => this.#result(target, t, c.node) },
    });
    this.#exchange({}, url, fn, args, undefined).then(
      (reply) => r.accept(reply),
      (e: unknown) => {
        if (e instanceof ChannelError) r.end(e.reason, e.detail);
        else r.accept(tuple(ERROR, toTerm(e instanceof Error ? Object.assign(new Error(e.message), { name: e.name }) : new Error(String(e)))));
      },
    );
    return r;
  }

  /** @internal */
  async invoke(o: CallOptions, url: URL | string, fn: string, args: unknown[], chain: string | undefined): Promise<unknown> {
    const reply = await this.#exchange(o, url, fn, args, chain);
    return this.#result(`${moduleName(String(url))}.${fn}`, reply, this.owner.node);
  }

  /** The reply term of a call: `{ok, Value}` or `{error, Error}`. */
  async #exchange(o: CallOptions, url: URL | string, fn: string, args: unknown[], chain: string | undefined): Promise<Term> {
    const gone = this.#unreachable();
    if (gone !== undefined) throw gone;
    const bundle = await this.owner.bundle(url);
    const request = this.#request(bundle, fn, args, chain);
    const max = this.owner.maxMessageSize;
    if (approxSize(request.args, max) > max) throw new ChannelError('too_large', `a call of ${moduleName(bundle.url)}.${fn} in ${this.name}`, `its arguments are over the router's maxMessageSize (${max} bytes)`);
    try {
      return await this.owner.calls.call(this.nodeName, request, o);
    } catch (e) {
      // It may not have the bundle: send it again next time.
      this.#sent.delete(bundle.hash);
      throw this.#unreachable(e) ?? e;
    }
  }

  #result(target: string, reply: Term, node: unknown): unknown {
    if (reply instanceof Tuple && reply.size === 3 && reply.elements[0] === DEAD) throw new ChannelError(channelReason(String(fromTerm(reply.elements[1]!))), `${target} in ${this.name}`, String(fromTerm(reply.elements[2]!)));
    if (!(reply instanceof Tuple) || reply.size !== 2) throw new TypeError(`${this.name}: a malformed reply`);
    const value = fromTerm(reply.elements[1]!, { node });
    if (reply.elements[0] === OK) return value;
    throw remoteError(this.name, target, value);
  }

  #unreachable(cause?: unknown): ChannelError | undefined {
    if (!this.#connected) return new ChannelError('context_gone', `context ${this.name} (${this.nodeName})`, cause instanceof Error ? `${this.#why}; the call saw ${cause.message}` : this.#why);
    return this.owner.whyUnreachable(this.nodeName);
  }

  #request(bundle: ModuleBundle, fn: string, args: unknown[], chain: string | undefined): CallRequest {
    const first = !this.#sent.has(bundle.hash);
    this.#sent.add(bundle.hash);
    return { hash: bundle.hash, fn, args: toTerm(args, 'args'), bundle: first ? bundleTerm(bundle) : UNDEFINED, chain };
  }
}

function remoteError(context: string, target: string, e: unknown): CallError {
  const err = e instanceof Error ? e : new Error(String(e));
  return new CallError(context, target, err.name, err.message, err.stack, { cause: err });
}

function moduleName(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1).replace(/\.[cm]?[jt]s$/, '');
}

