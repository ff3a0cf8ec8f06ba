/**
 * Select: waits on several receivers (and Selects) at once, with mitogen's
 * rules (mitogen/select.py): a receiver belongs to at most one Select; a
 * Select may hold Selects but never itself, directly or through them; what
 * a receiver held before it joined is not lost (one notice per value held).
 *
 * One choice differs from mitogen: `oneshot` defaults to false. mitogen
 * needs oneshot to end a loop over call_async receivers, which never end by
 * themselves; here a oneshot receiver (a call's reply) ends after its value
 * and a stream ends when its Sender closes, so the Select ends when every
 * member has ended either way, and a persistent receiver is read to its end
 * rather than for one value. `{ oneshot: true }` removes a member after it
 * yields once, as mitogen's default does.
 *
 * A member that ends cleanly (its Sender closed, or closed locally) leaves
 * the Select quietly; one that ends with a failure (a dead message:
 * `context_gone`, `no_route`, ...) leaves it and its ChannelError rejects
 * the `get` that found it (and throws out of `for await`).
 */
import type { Term } from '../term/values.js';
import { SelectError, TimeoutError } from './channel-errors.js';
import type { Receiver } from './receiver.js';
import type { Owner, Poll, Source } from './source.js';
import { checkTimeout, Fifo, WaitQueue, type WaitOptions } from './waiting.js';

/** A value and the Receiver it came from (the innermost one, through nested Selects). */
export interface SelectEvent<T> {
  readonly source: Receiver<T>;
  readonly value: T;
}

export interface SelectOptions {
  /** Remove a member after it yields one value (mitogen's default). Default false: members stay until they end. */
  readonly oneshot?: boolean;
}

export type Selectable<T> = Receiver<T> | Select<T>;

const EMPTY: Poll<never> = { kind: 'empty' };
const ENDED: Poll<never> = { kind: 'ended', error: undefined };

export class Select<T = Term> implements AsyncIterable<SelectEvent<T>>, Source<T>, Owner {
  readonly oneshot: boolean;
  /** @internal */ owner: Owner | undefined;
  readonly #members = new Set<Source<T>>();
  /** One notice per value (or end) a member has, in arrival order. */
  readonly #ready = new Fifo<Source<T>>();
  readonly #waiters = new WaitQueue<SelectEvent<T>>();
  /** Set while taking: a notice arriving then is queued, not served, so nothing is handed out twice. */
  #taking = false;
  #closed = false;

  constructor(members: Iterable<Selectable<T>> = [], options: SelectOptions = {}) {
    this.oneshot = options.oneshot ?? false;
    for (const m of members) this.add(m);
  }

  /**
   * The values of `members` in arrival order, until every one has ended
   * (mitogen's Select.all, as an async iterable): scatter/gather over
   * `callAsync` receivers. It takes the members over: leaving the loop
   * early (the first answer wins, a throw) closes the receivers not yet
   * ended, so later replies are dropped rather than held.
   */
  static all<T>(members: Iterable<Selectable<T>>): AsyncIterableIterator<T> {
    const select = new Select<T>(members);
    const events = select[Symbol.asyncIterator]();
    const it: AsyncIterableIterator<T> = {
      next: () => events.next().then((r) => (r.done === true ? { value: undefined, done: true } : { value: r.value.value, done: false })),
      return: () => {
        for (const r of select.#receivers()) r.close();
        return events.return!().then(() => ({ value: undefined, done: true }));
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  /** Adds a member; what it already holds becomes ready. Throws SelectError for a member of another Select or a cycle. */
  add(member: Selectable<T>): void {
    if (this.#closed) throw new SelectError('SELECT_CLOSED', 'cannot add to a closed Select');
    if (member instanceof Select && (member === this || member.#holds(this)))
      throw new SelectError('SELECT_CYCLE', 'adding this Select would make a Select cycle');
    if (member.owner !== undefined)
      throw new SelectError('SELECT_OWNED', `${String(member)} already belongs to ${member.owner === this ? 'this' : 'another'} Select`);
    member.owner = this;
    this.#members.add(member);
    const n = member.pending;
    for (let i = 0; i < n; i++) this.notify(member);
  }

  /** Removes a member (it is left open); notices it gave before are dropped. SelectError when it is not a member. */
  remove(member: Selectable<T>): void {
    if (member.owner !== this) throw new SelectError('SELECT_NOT_MEMBER', `${String(member)} is not a member of this Select`);
    this.#detach(member);
    this.#settle();
  }

  /** Releases every member (they stay open) and rejects waiting gets with SELECT_CLOSED; the Select is done. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const m of this.#members) m.owner = undefined;
    this.#members.clear();
    this.#ready.clear();
    this.#waiters.rejectAll(new SelectError('SELECT_CLOSED', 'the Select was closed'));
    this.owner?.notify(this);
  }

  /** Values its members hold now. */
  get size(): number {
    let n = 0;
    for (const m of this.#members) n += m.size;
    return n;
  }

  /** The members, in the order added. */
  get members(): Selectable<T>[] {
    return [...this.#members] as Selectable<T>[];
  }

  /** The next value from any member; see {@link getEvent}. */
  get(options: WaitOptions = {}): Promise<T> {
    return this.getEvent(options).then((e) => e.value);
  }

  /**
   * The next event (`source`, `value`). Rejects with TimeoutError after
   * `timeout` ms (0: only what is ready now), with `signal.reason` on abort,
   * with a member's ChannelError when it ended with a failure, and with
   * SelectError SELECT_EMPTY once no member is left (mitogen: "Select
   * instance is empty"), SELECT_CLOSED after `close()`.
   */
  getEvent(options: WaitOptions = {}): Promise<SelectEvent<T>> {
    if (this.#closed) return Promise.reject(new SelectError('SELECT_CLOSED', 'the Select was closed'));
    try {
      checkTimeout(options.timeout, 'Select.get');
    } catch (e) {
      return Promise.reject(e);
    }
    if (options.signal?.aborted === true) return Promise.reject(options.signal.reason);
    // Earlier callers are served first: only take directly when nobody waits.
    if (this.#waiters.length === 0) {
      let event: SelectEvent<T> | undefined;
      try {
        event = this.#take();
      } catch (e) {
        this.#settle();
        return Promise.reject(e);
      }
      this.#settle();
      if (event !== undefined) return Promise.resolve(event);
    }
    if (this.#members.size === 0) return Promise.reject(empty());
    if (options.timeout === 0) return Promise.reject(new TimeoutError('Select.get', 0));
    return this.#waiters.wait(options, () => 'Select.get');
  }

  /** Each event until every member has ended; leaving the loop early closes the Select (not its members). */
  [Symbol.asyncIterator](): AsyncIterator<SelectEvent<T>> {
    return {
      next: () =>
        this.getEvent().then(
          (value) => ({ value, done: false }),
          (e: unknown) => {
            if (e instanceof SelectError && (e.code === 'SELECT_EMPTY' || e.code === 'SELECT_CLOSED')) return { value: undefined, done: true };
            throw e;
          },
        ),
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  toString(): string {
    return `Select<${this.#members.size} members>`;
  }

  // -- as an owner (its members notify it) and as a source (of an outer Select) --

  /** @internal a member has a value or has ended. */
  notify(source: Source<unknown>): void {
    if (source.owner !== this) return;
    this.#ready.push(source as Source<T>);
    if (!this.#taking) this.#pump();
    if (this.#ready.length > 0) this.owner?.notify(this);
  }

  /** @internal */
  poll(): Poll<T> {
    let event: SelectEvent<T> | undefined;
    try {
      event = this.#take();
    } finally {
      this.#settle(false);
    }
    if (event !== undefined) return { kind: 'value', event };
    return this.#members.size === 0 ? ENDED : EMPTY;
  }

  /** @internal */
  get pending(): number {
    return this.#ready.length + (this.#members.size === 0 ? 1 : 0);
  }

  /** Serves waiting gets from the notices queued. */
  #pump(): void {
    while (this.#waiters.length > 0 && this.#ready.length > 0) {
      let event: SelectEvent<T> | undefined;
      try {
        event = this.#take();
      } catch (e) {
        this.#waiters.rejectFirst(e);
        continue;
      }
      if (event !== undefined) this.#waiters.resolveFirst(event);
    }
    this.#settle();
  }

  /** The next event the notices lead to, skipping notices of values taken elsewhere and of members gone. */
  #take(): SelectEvent<T> | undefined {
    const was = this.#taking;
    this.#taking = true;
    try {
      for (;;) {
        const src = this.#ready.shift();
        if (src === undefined) return undefined;
        if (src.owner !== this) continue;
        const p = src.poll();
        if (p.kind === 'value') {
          if (this.oneshot) this.#detach(src);
          return p.event as SelectEvent<T>;
        }
        if (p.kind === 'ended') {
          this.#detach(src);
          if (p.error !== undefined) throw p.error;
        }
      }
    } finally {
      this.#taking = was;
    }
  }

  #detach(m: Source<T>): void {
    this.#members.delete(m);
    m.owner = undefined;
  }

  /** Once no member is left, waiting gets cannot be answered: they reject, and an outer Select hears this one ended. */
  #settle(tellOwner = true): void {
    if (this.#members.size > 0 || this.#closed) return;
    this.#ready.clear();
    this.#waiters.rejectAll(empty());
    if (tellOwner) this.owner?.notify(this);
  }

  /** The receivers among the members and inside member Selects. */
  #receivers(): Receiver<T>[] {
    return [...this.#members].flatMap((m) => (m instanceof Select ? m.#receivers() : [m as Receiver<T>]));
  }

  /** Whether `s` is a member here or inside a member Select. */
  #holds(s: Select<T>): boolean {
    for (const m of this.#members) if (m === s || (m instanceof Select && m.#holds(s))) return true;
    return false;
  }
}

const empty = (): SelectError => new SelectError('SELECT_EMPTY', 'no member left: every receiver ended or was removed');
