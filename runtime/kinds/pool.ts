/**
 * The contexts processes of a kind run in, per node: a router on the node
 * (Router.start({ node })) started on first use, and for each kind up to
 * os.availableParallelism() contexts (worker threads for 'thread', child
 * `node` processes for 'os'), each started when a spawn finds every one
 * busy. A spawn takes an idle context, else starts one, else the least
 * loaded; a context stays for the next spawns after its processes end, and
 * leaves the pool when it goes (killed, crashed). A node takes one router:
 * one started by the user is handed over with `useRouter`.
 */
import { availableParallelism } from 'node:os';
import type { Node } from '../node/node.js';
import { Router, type Context } from '../router/index.js';

export interface Slot {
  readonly context: Promise<Context>;
  /** Processes of this node running there (or being spawned). */
  live: number;
}

const pools = new WeakMap<Node, Pools>();

export class Pools {
  /** Contexts per kind; one pool each. */
  readonly size = Math.max(1, availableParallelism());
  readonly #slots = { thread: [] as Slot[], os: [] as Slot[] };
  #router: Promise<Router> | undefined;

  private constructor(readonly node: Node) {}

  static of(node: Node): Pools {
    let p = pools.get(node);
    if (p === undefined) pools.set(node, (p = new Pools(node)));
    return p;
  }

  /**
   * Starts this node's contexts from `router` (whose node is this one)
   * instead of a router of the pool's own: a node takes one router, so
   * code that runs its own on the node hands it over before the first spawn.
   */
  useRouter(router: Router): void {
    if (router.node !== this.node) throw new RangeError(`the router runs on ${router.node.name}, not on ${this.node.name}`);
    if (this.#router !== undefined) throw new RangeError(`${this.node.name}'s process kinds have a router already`);
    this.#router = Promise.resolve(router);
  }

  /** A context for one more process of `kind` (counted in at once, so concurrent spawns spread). */
  take(kind: 'thread' | 'os'): Slot {
    const slots = this.#slots[kind];
    let slot = slots.find((s) => s.live === 0);
    if (slot === undefined && slots.length < this.size) slot = this.#start(kind);
    slot ??= slots.reduce((a, b) => (b.live < a.live ? b : a));
    slot.live++;
    return slot;
  }

  release(slot: Slot): void {
    slot.live--;
  }

  /** The contexts of `kind` now in the pool. */
  contexts(kind: 'thread' | 'os'): Promise<Context[]> {
    return Promise.all(this.#slots[kind].map((s) => s.context));
  }

  #start(kind: 'thread' | 'os'): Slot {
    const slots = this.#slots[kind];
    this.#router ??= Router.start({ node: this.node });
    const context = this.#router.then((r) => (kind === 'thread' ? r.worker() : r.local()));
    const slot: Slot = { context, live: 0 };
    const leave = (): void => {
      const i = slots.indexOf(slot);
      if (i >= 0) slots.splice(i, 1);
    };
    context.then((c) => void c.once('disconnect', leave), leave);
    slots.push(slot);
    return slot;
  }
}
