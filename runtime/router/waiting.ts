/**
 * The callers waiting on a Receiver or a Select, first come first served (as
 * mitogen's Latch serves its sleeping threads), each with its own timeout and
 * AbortSignal. A value is handed to the head waiter synchronously, on the
 * turn it arrived: no promise chain between a message and its taker.
 */
import { TimeoutError } from './channel-errors.js';

export interface WaitOptions {
  /** Milliseconds to wait; 0 only takes what is already there. Default: no limit. */
  readonly timeout?: number;
  /** Cancels the wait: the promise rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** Throws RangeError for a timeout that is not a number of milliseconds >= 0. */
export function checkTimeout(timeout: number | undefined, what: string): void {
  if (timeout !== undefined && !(timeout >= 0 && timeout <= 2 ** 31 - 1))
    throw new RangeError(`${what}: timeout must be a number of milliseconds from 0 to 2^31-1, got ${String(timeout)}`);
}

export class WaitQueue<T> {
  readonly #waiters: Waiter<T>[] = [];

  get length(): number {
    return this.#waiters.length;
  }

  /** Waits until `resolveFirst` reaches this caller, `timeout` passes (TimeoutError) or `signal` aborts. */
  wait(options: WaitOptions, what: () => string): Promise<T> {
    const { timeout, signal } = options;
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => done(() => reject(signal!.reason));
      const done = (settle: () => void): void => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        settle();
      };
      const waiter: Waiter<T> = {
        resolve: (v) => done(() => resolve(v)),
        reject: (e) => done(() => reject(e)),
      };
      this.#waiters.push(waiter);
      if (timeout !== undefined) timer = setTimeout(() => done(() => reject(new TimeoutError(what(), timeout))), timeout);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Hands `value` to the longest waiting caller; false when nobody waits. */
  resolveFirst(value: T): boolean {
    const w = this.#waiters[0];
    if (w === undefined) return false;
    w.resolve(value);
    return true;
  }

  rejectFirst(error: unknown): boolean {
    const w = this.#waiters[0];
    if (w === undefined) return false;
    w.reject(error);
    return true;
  }

  rejectAll(error: unknown): void {
    for (const w of [...this.#waiters]) w.reject(error);
  }
}

/** A FIFO with O(1) shift: an array and a head index, compacted when half of it is spent. */
export class Fifo<T> {
  #items: T[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head]!;
    (this.#items as (T | undefined)[])[this.#head++] = undefined;
    if (this.#head === this.#items.length) this.clear();
    else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}
