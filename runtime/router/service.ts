/**
 * `beamwire_context`: what every node of a tree serves to the others, as an
 * exposed module, so a call is an erpc call (a spawn request) and Erlang
 * can make it too:
 * - `call(Hash, Fun, Args, Bundle, Chain, Caller)`: runs an export of a
 *   forwarded module; `{ok, Value}` or `{error, Error}`, both in the values
 *   mapping (values.ts). A module not here yet is fetched from the parent
 *   (which asks its own if it lacks it), or comes with the call;
 * - `get_module(Hash)`: a bundle this node has, for a child;
 * - `start_child(Kind, Options)`: a context of this one (`via`);
 * - `shutdown(GraceMs)`, `forget_chain(Chain)`, `info()`.
 */
import type { Node } from '../node/node.js';
import { atom, Atom } from '../term/atom.js';
import { tuple } from '../term/make.js';
import type { Term } from '../term/values.js';
import type { ModuleBundle } from './bundle.js';
import type { CallRequest } from './calls.js';
import type { Injected } from './econtext.js';
import { ModuleHost } from './modules.js';
import { approxSize } from './size.js';
import { fromTerm, toTerm } from './values.js';

export const SERVICE = 'beamwire_context';
const OK = atom('ok');
const ERROR = atom('error');
const UNDEFINED = atom('undefined');
const DEAD = atom('dead');

export interface ServiceHost {
  readonly node: Node;
  /** The parent's node name (none at the root). */
  readonly parent: string | undefined;
  /** Bundles this node made (at the root): served to children. */
  readonly bundles: ReadonlyMap<string, ModuleBundle>;
  readonly maxMessageSize: number;
  /** What `withContext` functions are given. */
  inject(caller: string): Injected;
  startChild(kind: string, options: Record<string, unknown>): Promise<{ node: string; version: string }>;
  stopChild(nodeName: string, graceMs: number): Promise<void>;
  shutdown(graceMs: number): void;
}

export function bundleTerm(b: ModuleBundle): Term {
  return tuple(b.hash, b.url, b.code, b.size);
}

function termBundle(t: Term): ModuleBundle | undefined {
  if (t === UNDEFINED || !(t instanceof Object) || !('elements' in t)) return undefined;
  const [hash, url, code, size] = (t as { elements: Term[] }).elements;
  return { hash: str(hash), url: str(url), code: code as Uint8Array, size: Number(size) };
}

export class ContextService {
  readonly modules: ModuleHost;
  readonly #host: ServiceHost;
  /** Chains: the order their calls run in, and the first failure. */
  readonly #chains = new Map<string, { tail: Promise<unknown>; failed?: Term }>();

  constructor(host: ServiceHost, beamwire: object) {
    this.#host = host;
    this.modules = new ModuleHost({ beamwire, fetch: (hash) => this.#fetch(hash) });
    host.node.expose(SERVICE, {
      call: (hash, fn, args, bundle, chain, caller) => this.#call(str(hash), str(fn), args, bundle, chain === UNDEFINED ? undefined : str(chain), str(caller)),
      get_module: (hash) => this.#getModule(str(hash)),
      start_child: async (kind, options) => {
        const started = await host.startChild(str(kind), fromTerm(options) as Record<string, unknown>);
        return tuple(atom(started.node), started.version);
      },
      stop_child: async (nodeName, grace) => void (await host.stopChild(str(nodeName), Number(grace))),
      shutdown: (grace) => void host.shutdown(Number(grace)),
      forget_chain: (chain) => void this.#chains.delete(str(chain)),
      info: () => new Map<Term, Term>([[atom('node'), atom(host.node.name)], [atom('version'), process.version], [atom('pid'), process.pid]]),
    });
  }

  /** A call that came as a message (calls.ts). */
  serve(r: CallRequest, caller: string): Promise<Term> {
    return this.#call(r.hash, r.fn, r.args, r.bundle, r.chain, caller);
  }

  async #call(hash: string, fn: string, args: Term, bundle: Term, chain: string | undefined, caller: string): Promise<Term> {
    const run = async (): Promise<Term> => {
      try {
        this.#ensure(hash, bundle);
        const values = fromTerm(args, { node: this.#host.node });
        if (!Array.isArray(values)) throw new TypeError('the arguments are not a list');
        const result = toTerm(await this.modules.call(hash, fn, values, () => this.#host.inject(caller)), 'result');
        const max = this.#host.maxMessageSize;
        if (approxSize(result, max) > max) return tuple(DEAD, atom('too_large'), `its result is over the router's maxMessageSize (${max} bytes)`);
        return tuple(OK, result);
      } catch (e) {
        return tuple(ERROR, errorTerm(e));
      }
    };
    if (chain === undefined) return run();
    let c = this.#chains.get(chain);
    if (c === undefined) this.#chains.set(chain, (c = { tail: Promise.resolve() }));
    const state = c;
    const next = state.tail.then(async () => {
      if (state.failed !== undefined) return state.failed;
      const r = await run();
      if ((r as { elements: Term[] }).elements[0] === ERROR) state.failed = r;
      return r;
    });
    state.tail = next;
    return next;
  }

  /** A bundle that came with the call is added; a missing one the ModuleHost fetches (#fetch), once. */
  #ensure(hash: string, bundle: Term): void {
    if (this.modules.has(hash)) return;
    const given = termBundle(bundle);
    if (given !== undefined) this.modules.add(given);
  }

  /** From the parent, which answers from its own cache or asks its parent in turn. */
  async #fetch(hash: string): Promise<ModuleBundle> {
    const parent = this.#host.parent;
    if (parent === undefined) throw new Error(`module ${hash.slice(0, 12)} is not known here`);
    const b = termBundle(await this.#host.node.rpc(parent, SERVICE, 'get_module', [hash]));
    if (b === undefined) throw new Error(`module ${hash.slice(0, 12)} is known neither here nor above`);
    return b;
  }

  async #getModule(hash: string): Promise<Term> {
    const own = this.#host.bundles.get(hash) ?? this.modules.get(hash);
    if (own !== undefined) return bundleTerm(own);
    if (this.#host.parent === undefined) return UNDEFINED;
    try {
      const got = await this.#fetch(hash);
      this.modules.add(got);
      return bundleTerm(got);
    } catch {
      return UNDEFINED;
    }
  }
}

/** A thrown value as the values mapping carries it: an Error keeps its name, message, stack and cause. */
function errorTerm(e: unknown): Term {
  try {
    return toTerm(e instanceof Error ? e : new Error(`a non-Error was thrown: ${String(e)}`), 'error');
  } catch {
    const err = e as Error;
    return toTerm(Object.assign(new Error(String(err?.message ?? e)), { name: String(err?.name ?? 'Error') }), 'error');
  }
}

function str(t: Term | undefined): string {
  if (typeof t === 'string') return t;
  if (t instanceof Uint8Array) return Buffer.from(t.buffer, t.byteOffset, t.byteLength).toString('utf8');
  if (t instanceof Atom) return t.name;
  throw new TypeError(`expected a binary, got ${typeof t}`);
}
