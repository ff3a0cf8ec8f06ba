/**
 * References' lifetimes. The owner's export table counts, per holder node,
 * how many times it handed each reference out; a holder gives counts back
 * (`release`), and a holder node that goes gives back everything it held.
 * An entry with no holder left is gone, so the table cannot outgrow what is
 * really held (capnweb's tables grow for a session's life: its issue #153).
 * The holder's import table keeps one proxy per reference, counts what it
 * was given, and gives it all back on dispose or when the proxy is
 * collected (a FinalizationRegistry).
 */
export type RefKind = 'object' | 'function' | 'stream';

export interface Export {
  readonly id: number;
  readonly value: object;
  readonly kind: RefKind;
  readonly holders: Map<string, number>;
  /** A stream's iterator, taken on its first `next`. */
  iterator?: AsyncIterator<unknown>;
}

export class Exports {
  readonly #ids = new WeakMap<object, number>();
  readonly #entries = new Map<number, Export>();
  #next = 1;

  get size(): number {
    return this.#entries.size;
  }

  /** Hands `value` out to `holder` once more; the same object keeps its id while it is held. */
  add(value: object, kind: RefKind, holder: string): number {
    let id = this.#ids.get(value);
    let e = id === undefined ? undefined : this.#entries.get(id);
    if (e === undefined) {
      id = this.#next++;
      e = { id, value, kind, holders: new Map() };
      this.#entries.set(id, e);
      this.#ids.set(value, id);
    }
    e.holders.set(holder, (e.holders.get(holder) ?? 0) + 1);
    return e.id;
  }

  get(id: number): Export | undefined {
    return this.#entries.get(id);
  }

  /** The id `value` is exported under, while anyone holds it. */
  idOf(value: object): number | undefined {
    const id = this.#ids.get(value);
    return id !== undefined && this.#entries.has(id) ? id : undefined;
  }

  /** `holder` gives back `count` of its holds on `id`; counts it never had are ignored. */
  release(id: number, holder: string, count: number): void {
    const e = this.#entries.get(id);
    const held = e?.holders.get(holder);
    if (e === undefined || held === undefined) return;
    if (held > count) return void e.holders.set(holder, held - count);
    e.holders.delete(holder);
    if (e.holders.size === 0) this.#drop(e);
  }

  /** Everything `holder` held (its node went). */
  dropHolder(holder: string): void {
    for (const e of this.#entries.values()) {
      if (e.holders.delete(holder) && e.holders.size === 0) this.#drop(e);
    }
  }

  #drop(e: Export): void {
    this.#entries.delete(e.id);
    this.#ids.delete(e.value);
    // A stream nobody holds is closed, so its source is too.
    if (e.iterator?.return !== undefined) void Promise.resolve(e.iterator.return()).catch(() => undefined);
  }
}

interface Import {
  readonly owner: string;
  readonly id: number;
  count: number;
  readonly proxy: WeakRef<object>;
}

/** What the holder does with counts it gives back: batched per owner by the endpoint. */
export type Release = (owner: string, id: number, count: number) => void;

export class Imports {
  readonly #live = new Map<string, Import>();
  readonly #byProxy = new WeakMap<object, Import>();
  readonly #registry: FinalizationRegistry<Import>;
  readonly #release: Release;

  constructor(release: Release) {
    this.#release = release;
    this.#registry = new FinalizationRegistry((imp) => this.#collected(imp));
  }

  get size(): number {
    return this.#live.size;
  }

  /** The proxy for `owner`'s reference `id`: the live one (one more count), or a new one from `make`. */
  take(owner: string, id: number, make: () => object): object {
    const key = `${id}@${owner}`;
    const imp = this.#live.get(key);
    const live = imp?.proxy.deref();
    if (imp !== undefined && live !== undefined) {
      imp.count++;
      return live;
    }
    const proxy = make();
    const fresh: Import = { owner, id, count: 1, proxy: new WeakRef(proxy) };
    // A collected proxy whose registry callback has not run yet still holds its counts: give them back now.
    if (imp !== undefined) this.#give(imp);
    this.#live.set(key, fresh);
    this.#byProxy.set(proxy, fresh);
    this.#registry.register(proxy, fresh, fresh);
    return proxy;
  }

  /** `Symbol.dispose` on a proxy: every count given back at once. False if it was released already. */
  dispose(proxy: object): boolean {
    const imp = this.#byProxy.get(proxy);
    if (imp === undefined || imp.count === 0) return false;
    this.#registry.unregister(imp);
    this.#give(imp);
    return true;
  }

  isReleased(proxy: object): boolean {
    return this.#byProxy.get(proxy)?.count === 0;
  }

  /** The owner went: its references are dead, with nothing to give back. */
  dropOwner(owner: string): void {
    for (const [key, imp] of this.#live) {
      if (imp.owner !== owner) continue;
      imp.count = 0;
      this.#live.delete(key);
    }
  }

  #collected(imp: Import): void {
    if (imp.count > 0) this.#give(imp);
  }

  #give(imp: Import): void {
    const count = imp.count;
    imp.count = 0;
    const key = `${imp.id}@${imp.owner}`;
    if (this.#live.get(key) === imp) this.#live.delete(key);
    if (count > 0) this.#release(imp.owner, imp.id, count);
  }
}
