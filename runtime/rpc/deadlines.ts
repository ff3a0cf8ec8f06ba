/**
 * Timeouts of calls in flight without a Node timer per call (a setTimeout
 * and clearTimeout cost about as much as the rest of a call's bookkeeping).
 * Calls made with the same timeout expire in the order they were made, so
 * each timeout value keeps a FIFO and one timer, armed for its head; a call
 * that ends first is only marked done and skipped when the timer fires.
 *
 * The timers are unref'd: while a call waits, the node's sockets keep the
 * process alive, and a deadline of ours must not hold it after the last call.
 */
export interface Deadline {
  /** Ends the wait: `expire` will not be called. */
  cancel(): void;
}

const MAX_TIMER_MS = 0x7fff_ffff; // Node fires a longer setTimeout at once
const COMPACT_AT = 1024;

class Entry implements Deadline {
  done = false;
  constructor(
    readonly at: number,
    readonly expire: () => void,
  ) {}
  cancel(): void {
    this.done = true;
  }
}

class Queue {
  entries: Entry[] = [];
  head = 0;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Expiring entries now: an `expire` that adds a deadline must not arm a second timer. */
  firing = false;

  /** Skips entries that ended; drops the consumed prefix once it is long. */
  trim(): void {
    const e = this.entries;
    while (this.head < e.length && e[this.head]!.done) this.head++;
    if (this.head >= COMPACT_AT && this.head * 2 >= e.length) {
      this.entries = e.slice(this.head);
      this.head = 0;
    }
  }
}

export class Deadlines {
  readonly #queues = new Map<number, Queue>();

  /** Calls `expire` after `ms` milliseconds unless cancelled first. */
  add(ms: number, expire: () => void): Deadline {
    let q = this.#queues.get(ms);
    if (q === undefined) this.#queues.set(ms, (q = new Queue()));
    else q.trim();
    const entry = new Entry(performance.now() + ms, expire);
    q.entries.push(entry);
    if (q.timer === undefined && !q.firing) this.#arm(ms, q, ms);
    return entry;
  }

  /** Deadlines not yet expired or cancelled (for tests). */
  get size(): number {
    let n = 0;
    for (const q of this.#queues.values()) for (let i = q.head; i < q.entries.length; i++) if (!q.entries[i]!.done) n++;
    return n;
  }

  #arm(ms: number, q: Queue, delay: number): void {
    q.timer = setTimeout(() => this.#fire(ms, q), Math.min(Math.max(delay, 0), MAX_TIMER_MS));
    q.timer.unref();
  }

  #fire(ms: number, q: Queue): void {
    q.timer = undefined;
    q.firing = true;
    try {
      const now = performance.now();
      for (;;) {
        q.trim();
        const e = q.entries[q.head];
        if (e === undefined || e.at > now) break;
        e.done = true;
        q.head++;
        e.expire();
      }
    } finally {
      q.firing = false;
      const next = q.entries[q.head];
      if (next === undefined) this.#queues.delete(ms);
      else this.#arm(ms, q, Math.ceil(next.at - performance.now()));
    }
  }
}
