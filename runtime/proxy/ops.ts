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
  /** `base`: the op that `target` `{op, Id}` names, if any. */
  push(peer: string, target: Target, path: readonly string[], kind: OpKind, args: readonly unknown[], o: CallOptions, base?: Op): Op;
}

export class Op {
  state: OpState = 'pending';
  value: unknown = undefined;
  error: unknown = undefined;
  #promise: Promise<unknown> | undefined;
  #resolve: ((v: unknown) => void) | undefined;
  #reject: ((e: unknown) => void) | undefined;
  #cleanup: (() => void) | undefined;
  /** Another push was made on this one's result before it was sent (a chain's middle step). */
  usedAsBase = false;
  /** Its own result was asked for (`then`). */
  asked = false;
  /** It has left; `kept`: its owner keeps its result for pushes that name it, until told otherwise. */
  sent = false;
  kept = false;
  #pull: (() => void) | undefined;

  /** `peer` is undefined for an op that runs here, on a value already taken (see `later`). */
  constructor(
    readonly id: number,
    readonly peer: string | undefined,
  ) {}

  /**
   * Made when first asked for, so that an op nobody awaits (a chain's
   * middle step, whose failure is its successors') has no promise to
   * reject unhandled, and a plain call allocates one promise.
   */
  get promise(): Promise<unknown> {
    if (this.#promise === undefined) {
      if (this.state === 'ok') this.#promise = Promise.resolve(this.value);
      else if (this.state === 'error') this.#promise = Promise.reject(this.error);
      else
        this.#promise = new Promise((res, rej) => {
          this.#resolve = res;
          this.#reject = rej;
        });
    }
    return this.#promise;
  }

  /** Further pushes can name this one (`{op, Id}`): not sent yet, or sent to be kept. */
  get pipelinable(): boolean {
    return this.state === 'pending' && this.peer !== undefined && (!this.sent || this.kept);
  }

  /** An op whose value is `p`'s: a call made on an op that had settled already. */
  static later(p: Promise<unknown>): Op {
    const op = new Op(0, undefined);
    p.then(
      (v) => op.settle(v),
      (e: unknown) => op.fail(e),
    );
    return op;
  }

  /** `await` on this op: its result is wanted, and pulled if it was sent without. */
  want(): void {
    if (this.asked) return;
    this.asked = true;
    const pull = this.#pull;
    this.#pull = undefined;
    pull?.();
  }

  /** Sent without asking for its result: `pull` runs on the first want(). */
  sentUnasked(pull: () => void): void {
    this.#pull = pull;
  }

  onDone(cleanup: () => void): void {
    this.#cleanup = cleanup;
  }

  settle(v: unknown): void {
    if (this.state !== 'pending') return;
    this.state = 'ok';
    this.value = v;
    this.#done();
    this.#resolve?.(v);
  }

  fail(e: unknown): void {
    if (this.state !== 'pending') return;
    this.state = 'error';
    this.error = e;
    this.#done();
    this.#reject?.(e);
  }

  #done(): void {
    this.#pull = undefined;
    const c = this.#cleanup;
    this.#cleanup = undefined;
    c?.();
  }
}
