/**
 * One push as its sender sees it: pending until its result comes, then
 * settled with the value or the error. A call on a pending op is pipelined
 * (`{op, Id}`); on a settled one it runs on the value it gave.
 */
import type { OpKind, Target } from './messages.js';
import type { Imports } from './tables.js';

export type OpState = 'pending' | 'ok' | 'error';

export interface CallOptions {
  /** Milliseconds before the call rejects with CallTimeoutError (the remote call is not stopped). */
  readonly timeout?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** What proxies and streams need of their node's endpoint (endpoint.ts). */
export interface Pushes {
  readonly imports: Imports;
  push(peer: string, target: Target, path: readonly string[], kind: OpKind, args: readonly unknown[], o: CallOptions): Op;
}

export class Op {
  state: OpState = 'pending';
  value: unknown = undefined;
  error: unknown = undefined;
  readonly promise: Promise<unknown>;
  #resolve!: (v: unknown) => void;
  #reject!: (e: unknown) => void;
  #cleanup: (() => void) | undefined;

  /** `peer` is undefined for an op that runs here, on a value already taken (see `later`). */
  constructor(
    readonly id: number,
    readonly peer: string | undefined,
  ) {
    this.promise = new Promise((res, rej) => {
      this.#resolve = res;
      this.#reject = rej;
    });
    // Nobody may await an op whose result only feeds the next call; its failure is that call's.
    this.promise.catch(() => undefined);
  }

  /** An op whose value is `p`'s: a call made on an op that had settled already. */
  static later(p: Promise<unknown>): Op {
    const op = new Op(0, undefined);
    p.then(
      (v) => op.settle(v),
      (e) => op.fail(e),
    );
    return op;
  }

  onDone(cleanup: () => void): void {
    this.#cleanup = cleanup;
  }

  settle(v: unknown): void {
    if (this.state !== 'pending') return;
    this.state = 'ok';
    this.value = v;
    this.#done();
    this.#resolve(v);
  }

  fail(e: unknown): void {
    if (this.state !== 'pending') return;
    this.state = 'error';
    this.error = e;
    this.#done();
    this.#reject(e);
  }

  #done(): void {
    const c = this.#cleanup;
    this.#cleanup = undefined;
    c?.();
  }
}
