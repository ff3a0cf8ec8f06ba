/**
 * paragram's handler tables (`proc.receive[pattern] = handler`) as sugar over
 * selective receive: handlers registered once on a process, tried in
 * registration order on each message in arrival order, the first match
 * wins; a message no handler matches ends the process with
 * `{unhandled_message, Message}`, as paragram raises UnhandledMessage.
 * Opt-in: `self.receive(...)` keeps Erlang's semantics (unmatched messages wait).
 */
import { atom } from '../term/atom.js';
import { tuple } from '../term/make.js';
import type { Term } from '../term/values.js';
import { on, Clause } from './mailbox.js';
import { P, type BindingsOf, type PatternLike, type Simplify, type ValueOf } from './pattern.js';

const UNHANDLED = atom('unhandled_message');

/** What a handler table needs of its process: a receive, and `exit(reason)`. */
export interface HandlerHost {
  receive(clauses: readonly Clause<any>[], options?: { timeout?: number; signal?: AbortSignal }): Promise<unknown>;
  exit(reason: Term): never;
}

export class HandlerTable {
  readonly #clauses: Clause<unknown>[] = [];
  /** The registered clauses and, last, the one that ends the process on anything else. */
  #table: readonly Clause<unknown>[] | undefined;

  /** @internal made by `self.handlers`. */
  constructor(private readonly self: HandlerHost) {}

  /** Registers `handler` for messages matching `pattern` (a bare term is a literal), after those registered before. */
  on<const S extends PatternLike>(pattern: S, handler: (bindings: Simplify<BindingsOf<S>>, message: ValueOf<S>) => unknown): this {
    this.#clauses.push(on(pattern, handler) as Clause<unknown>);
    this.#table = undefined;
    return this;
  }

  /** Number of handlers registered. */
  get size(): number {
    return this.#clauses.length;
  }

  /**
   * Takes the next message (the oldest queued, or the next to arrive) and
   * runs the first handler that matches it, resolving with what it returns;
   * with none, the process exits `{unhandled_message, Message}`. A handler
   * that throws ends the process (its receive rejects).
   */
  next(options?: { timeout?: number; signal?: AbortSignal }): Promise<unknown> {
    this.#table ??= [...this.#clauses, on(P.any, (_b, m: Term) => this.self.exit(tuple(UNHANDLED, m)))];
    return this.self.receive(this.#table, options);
  }

  /** paragram's receive loop: handles messages until a handler (or an exit signal) ends the process. */
  async run(): Promise<never> {
    for (;;) await this.next();
  }
}
