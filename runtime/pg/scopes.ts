/**
 * The pg scopes and PubSub servers of one node, started on first use
 * (`node.pg(name)`, `node.pubsub(name)`) and started again when their
 * process was killed. OTP starts scope `pg` only with kernel's
 * `start_pg`; here asking for it is what starts it.
 */
import { atom } from '../term/atom.js';
import type { Term } from '../term/values.js';
import type { PgHost } from './host.js';
import { PUBSUB_SCOPE, PubSub, type PubSubOptions } from './pubsub.js';
import { PgScope } from './scope.js';

/** One group of one scope, as node.status() reports it. */
export interface ScopeGroup {
  readonly scope: string;
  readonly group: Term;
  readonly members: number;
  readonly localMembers: number;
}

export class Scopes {
  readonly #scopes = new Map<string, PgScope>();
  readonly #pubsubs = new Map<string, PubSub>();
  readonly #ups = new Set<(node: string) => void>();
  #undo: (() => void) | undefined;
  readonly #host: PgHost;
  readonly #started: ((s: PgScope) => void) | undefined;

  /** `started` sees each scope as it starts (node.ts publishes its joins and leaves on diagnostics_channel). */
  constructor(host: PgHost, started?: (s: PgScope) => void) {
    this.#started = started;
    // One nodeup listener for all scopes, taken when the first starts.
    this.#host = {
      ...host,
      onNodeUp: (up) => {
        this.#undo ??= host.onNodeUp((n) => this.#ups.forEach((f) => f(n)));
        this.#ups.add(up);
        return () => void this.#ups.delete(up);
      },
    };
  }

  scope(name: string): PgScope {
    const had = this.#scopes.get(name);
    if (had?.alive === true) return had;
    const s = new PgScope(this.#host, atom(name));
    this.#scopes.set(name, s);
    this.#started?.(s);
    return s;
  }

  /** Every group of every live scope; undefined while none has started. */
  groups(): ScopeGroup[] | undefined {
    const live = [...this.#scopes.values()].filter((s) => s.alive);
    if (live.length === 0) return undefined;
    return live.flatMap((s) => s.groups().map((group) => ({ scope: s.name, group, members: s.members(group).length, localMembers: s.localMembers(group).length })));
  }

  pubsub(name: string, options?: PubSubOptions): PubSub {
    const key = name.startsWith('Elixir.') ? name : `Elixir.${name}`;
    const scope = this.scope(PUBSUB_SCOPE);
    const had = this.#pubsubs.get(key);
    if (had !== undefined && had.scope === scope && had.alive) return had;
    had?.close();
    const ps = new PubSub(this.#host, scope, key, options);
    this.#pubsubs.set(key, ps);
    void scope.ended.then(() => ps.close());
    return ps;
  }
}
