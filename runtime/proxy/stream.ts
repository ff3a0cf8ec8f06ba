/**
 * A stream that crossed: an AsyncIterable, a web ReadableStream or a Node
 * Readable on one side is a RemoteStream on the other, which pulls with
 * `next` pushes on the reference, at most WINDOW ahead. The owner reads its
 * source only when asked, so memory on both sides is bounded by the window
 * (back-pressure), whichever way the stream goes. Where the data lands is
 * the receiver's choice: a stream carries chunks, never a path to write to.
 */
import { Readable } from 'node:stream';
import type { Op, Pushes } from './ops.js';

/** Pulls in flight: enough to hide a round trip, few enough to bound memory (8 × the source's chunk). */
export const WINDOW = 8;

export class RemoteStream<T = unknown> implements AsyncIterableIterator<T>, AsyncDisposable {
  readonly #ep: Pushes;
  readonly #owner: string;
  readonly #id: number;
  readonly #ahead: Op[] = [];
  #ended = false;

  constructor(ep: Pushes, owner: string, id: number) {
    this.#ep = ep;
    this.#owner = owner;
    this.#id = id;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<T>> {
    if (this.#ended && this.#ahead.length === 0) return { done: true, value: undefined };
    while (!this.#ended && this.#ahead.length < WINDOW) this.#ahead.push(this.#pull('next'));
    const op = this.#ahead.shift()!;
    try {
      const r = (await op.promise) as { done: boolean; value: T };
      if (r.done) this.#end();
      return r.done ? { done: true, value: undefined } : { done: false, value: r.value };
    } catch (e) {
      this.#end();
      throw e;
    }
  }

  /** Stops early (a `break` in for await): the owner's source is closed. */
  async return(): Promise<IteratorResult<T>> {
    if (!this.#ended) {
      this.#ended = true;
      this.#ahead.length = 0;
      await this.#pull('return').promise.catch(() => undefined);
      this.#ep.imports.dispose(this);
    }
    return { done: true, value: undefined };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  /** A Node Readable of the chunks (for pipeline() into a file the receiver chose). */
  toReadable(): Readable {
    return Readable.from(this);
  }

  #pull(step: 'next' | 'return'): Op {
    return this.#ep.push(this.#owner, { ref: this.#id }, [step], 'call', [], {});
  }

  #end(): void {
    this.#ended = true;
    this.#ahead.length = 0;
    this.#ep.imports.dispose(this);
  }
}

export function remoteStream(ep: Pushes, owner: string, id: number): RemoteStream {
  return new RemoteStream(ep, owner, id);
}
