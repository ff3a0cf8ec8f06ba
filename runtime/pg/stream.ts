/**
 * A push-fed AsyncIterable: what pg monitors and PubSub subscriptions hand
 * out. Items wait in an unbounded queue until read (as messages wait in a
 * mailbox); `close()` or the reader's `break` (`return()`) ends it and runs
 * `onClose` once, which unsubscribes it from its source.
 */
export class Feed<T> implements AsyncIterableIterator<T> {
  readonly #queue: T[] = [];
  #head = 0;
  #waiting: ((r: IteratorResult<T>) => void) | undefined;
  #closed = false;

  constructor(private readonly onClose: () => void) {}

  get closed(): boolean {
    return this.#closed;
  }

  /** Items queued and not yet read. */
  get pending(): number {
    return this.#queue.length - this.#head;
  }

  /** @internal The source's side: queues `item` (dropped once closed). */
  push(item: T): void {
    if (this.#closed) return;
    const w = this.#waiting;
    if (w !== undefined) {
      this.#waiting = undefined;
      w({ value: item, done: false });
    } else this.#queue.push(item);
  }

  /** Ends the feed: a pending read gets `done`; items not yet read are dropped. */
  close(): void {
    this.#queue.length = 0;
    this.#head = 0;
    this.end();
  }

  /** @internal The source ended: the reader still gets what is queued, then `done`. */
  end(): void {
    if (this.#closed) return;
    this.#closed = true;
    const w = this.#waiting;
    this.#waiting = undefined;
    w?.({ value: undefined, done: true });
    this.onClose();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#head < this.#queue.length) {
      const value = this.#queue[this.#head++]!;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) this.#queue.splice(0, this.#head), (this.#head = 0);
      return Promise.resolve({ value, done: false });
    }
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    if (this.#waiting !== undefined) return Promise.reject(new TypeError('a feed has one reader: next() is already waiting'));
    return new Promise((r) => (this.#waiting = r));
  }

  return(): Promise<IteratorResult<T>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
