/**
 * A process's mailbox: messages in arrival order, selective receive over them.
 * A singly-linked queue gives O(1) append and O(1) removal of the message a
 * scan stopped at. A receiver that is waiting has already seen every queued
 * message, so an arriving message is tested alone against its clauses (OTP's
 * "save pointer") and handed over without being queued; no Promise is made
 * for a message nobody is waiting for.
 */
import type { Reference, Term } from '../term/values.js';
import { compile, type Bindings, type Pattern, type PatternLike, type Simplify, type ValueOf, type BindingsOf } from './pattern.js';

/** One row of a handler table: a pattern and what to do with a message it matches. */
export class Clause<R = unknown> {
  /** @internal use {@link on}. */
  constructor(
    readonly pattern: Pattern<any, any>,
    readonly handler: (bindings: any, message: any) => R,
  ) {}
}

/** `on(pattern, (bindings, message) => result)`: a receive clause. A bare term is a literal pattern. */
export function on<const S extends PatternLike, R>(pattern: S, handler: (bindings: Simplify<BindingsOf<S>>, message: ValueOf<S>) => R): Clause<R> {
  return new Clause(compile(pattern), handler);
}

/** The result type of a list of clauses. */
export type ClauseResult<C> = C extends Clause<infer R> ? Awaited<R> : never;

/** A message taken by a receive, with the clause that matched it and its bindings. */
export interface Hit {
  readonly clause: Clause<unknown>;
  readonly bindings: Bindings;
  readonly message: Term;
}

/** The longest delay `setTimeout` honours. */
const MAX_TIMER_MS = 0x7fff_ffff;

const NO_BINDINGS: Bindings = Object.freeze({}) as Bindings;

/** The first clause, in table order, that `message` matches; as paragram's handler tables dispatch. */
export function matchClauses(clauses: readonly Clause<unknown>[], message: Term): Hit | undefined {
  for (let i = 0; i < clauses.length; i++) {
    const clause = clauses[i]!;
    const bindings = clause.pattern.binds ? {} : NO_BINDINGS;
    if (clause.pattern.test(message, bindings)) return { clause, bindings, message };
  }
  return undefined;
}

/** A queued message. */
export interface Cell {
  readonly message: Term;
  next: Cell | undefined;
}

interface Waiter {
  readonly clauses: readonly Clause<unknown>[];
  readonly resolve: (hit: Hit | undefined) => void;
  readonly reject: (error: unknown) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class Mailbox {
  #head: Cell | undefined;
  #tail: Cell | undefined;
  #size = 0;
  #waiter: Waiter | undefined;
  #closed: unknown;
  /**
   * The last reference this process made, and the cell that was the tail
   * then (undefined: the mailbox was empty). A receive whose every clause
   * requires that reference starts after that cell.
   */
  #mark: { readonly ref: Reference; after: Cell | undefined } | undefined;
  #closedBy: (() => unknown) | undefined;
  #listener: ((message: Term) => void) | undefined;

  get size(): number {
    return this.#size;
  }

  get waiting(): boolean {
    return this.#waiter !== undefined;
  }

  /** Delivers a message: to the waiting receiver if it matches, else to the end of the queue. */
  push(message: Term): void {
    if (this.#closedBy !== undefined) return; // a dead process's mail is dropped, as Erlang does
    if (this.#listener !== undefined) return this.#listener(message);
    const w = this.#waiter;
    if (w !== undefined) {
      const hit = matchClauses(w.clauses, message);
      if (hit !== undefined) {
        this.#settle(w);
        w.resolve(hit);
        return;
      }
    }
    const cell: Cell = { message, next: undefined };
    if (this.#tail === undefined) this.#head = cell;
    else this.#tail.next = cell;
    this.#tail = cell;
    this.#size++;
  }

  /**
   * Hands every message from now on to `listener` at once, in arrival order,
   * instead of queueing it: a process that only reacts (see
   * ProcessTable.spawnHandler) needs no receive, no promise per message.
   */
  listen(listener: (message: Term) => void): void {
    this.#listener = listener;
    for (let cell = this.#head; cell !== undefined; cell = cell.next) listener(cell.message); // what came first, first
    this.#head = this.#tail = undefined;
    this.#mark = undefined;
    this.#size = 0;
  }

  /** Where the queue ends now, for {@link mark}. */
  get end(): { after: Cell | undefined } {
    return { after: this.#tail };
  }

  /** Records that `ref` was made when the queue ended at `at`: no earlier message can hold it. */
  mark(ref: Reference, at: { after: Cell | undefined } = this.end): void {
    this.#mark = { ref, after: at.after };
  }

  /** Removes and returns the first queued message that matches a clause; the rest keep their order. */
  take(clauses: readonly Clause<unknown>[]): Hit | undefined {
    let prev: Cell | undefined;
    let cell = this.#head;
    const m = this.#mark;
    if (m !== undefined && clauses.length > 0 && clauses.every((c) => c.pattern.ref === m.ref)) {
      // Every clause needs a reference made after these messages arrived: skip them unread.
      prev = m.after;
      cell = prev === undefined ? this.#head : prev.next;
    }
    for (; cell !== undefined; prev = cell, cell = cell.next) {
      const hit = matchClauses(clauses, cell.message);
      if (hit !== undefined) {
        this.#unlink(prev, cell);
        return hit;
      }
    }
    return undefined;
  }

  /** Removes the first queued message `pred` accepts; true when one was removed. */
  remove(pred: (message: Term) => boolean): boolean {
    let prev: Cell | undefined;
    for (let cell = this.#head; cell !== undefined; prev = cell, cell = cell.next) {
      if (pred(cell.message)) {
        this.#unlink(prev, cell);
        return true;
      }
    }
    return false;
  }

  /**
   * Waits for a message matching `clauses`, after {@link take} found none.
   * Resolves `undefined` when `timeout` ms pass first; rejects with the
   * signal's reason on abort, or with the close error when the process ends.
   */
  wait(clauses: readonly Clause<unknown>[], timeout: number | undefined, signal: AbortSignal | undefined): Promise<Hit | undefined> {
    if (this.#closedBy !== undefined) return Promise.reject(this.closed);
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    return new Promise<Hit | undefined>((resolve, reject) => {
      const w: Waiter = { clauses, resolve, reject, timer: undefined, signal, onAbort: undefined };
      if (timeout !== undefined && timeout !== Infinity) {
        // Node fires a timer longer than 2^31 - 1 ms at once (with a warning);
        // Erlang allows receive timeouts up to 2^32 - 1 ms, so re-arm in steps.
        const deadline = Date.now() + timeout;
        const arm = (ms: number): void => {
          w.timer = setTimeout(() => {
            const left = deadline - Date.now();
            if (left > 0) return arm(left);
            this.#settle(w);
            resolve(undefined);
          }, Math.min(ms, MAX_TIMER_MS));
        };
        arm(timeout);
      }
      if (signal !== undefined) {
        w.onAbort = () => {
          this.#settle(w);
          reject(signal.reason);
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.#waiter = w;
    });
  }

  /**
   * Ends the mailbox: a waiting receive rejects with the error `why` makes,
   * queued messages are dropped, later ones ignored. The error is made only
   * when someone will see it: an Error's stack trace costs more than the rest
   * of a process's exit.
   */
  close(why: () => unknown): void {
    if (this.#closedBy !== undefined) return;
    this.#closedBy = why;
    this.#head = this.#tail = undefined;
    this.#mark = undefined;
    this.#size = 0;
    const w = this.#waiter;
    if (w !== undefined) {
      this.#settle(w);
      w.reject(this.closed);
    }
  }

  /** The error the mailbox was closed with, or undefined while open. */
  get closed(): unknown {
    if (this.#closedBy !== undefined && this.#closed === undefined) this.#closed = this.#closedBy();
    return this.#closed;
  }

  #settle(w: Waiter): void {
    if (this.#waiter === w) this.#waiter = undefined;
    if (w.timer !== undefined) clearTimeout(w.timer);
    if (w.onAbort !== undefined) w.signal!.removeEventListener('abort', w.onAbort);
  }

  #unlink(prev: Cell | undefined, cell: Cell): void {
    // A mark on a removed cell moves to the cell before it: what follows is unchanged.
    if (this.#mark !== undefined && this.#mark.after === cell) this.#mark.after = prev;
    if (prev === undefined) this.#head = cell.next;
    else prev.next = cell.next;
    if (this.#tail === cell) this.#tail = prev;
    this.#size--;
  }
}
