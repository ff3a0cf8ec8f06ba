/**
 * A stream that crossed: an AsyncIterable, a web ReadableStream or a Node
 * Readable on one side is a RemoteStream on the other, which pulls with
 * `next` pushes on the reference, at most WINDOW ahead. The owner reads its
 * source only when asked, so memory on both sides is bounded by the window
 * (back-pressure), whichever way the stream goes. Where the data lands is
 * the receiver's choice: a stream carries chunks, never a path to write to.
 */
import { createWriteStream } from 'node:fs';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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

  /**
   * Chaski's file push done right: the receiver names the folder, and a
   * name that came from the other side is only ever a file name in it.
   * `name` must be one path segment (no separator, no `..`, no NUL), and an
   * existing file is not replaced unless `overwrite`. Gives the path written
   * and the bytes in it.
   */
  async saveTo(dir: string, name: string, options: { overwrite?: boolean } = {}): Promise<{ path: string; bytes: number }> {
    if (name === '' || name === '.' || name === '..' || name.includes('\0') || name.includes('/') || name.includes('\\') || basename(name) !== name) {
      await this.return();
      throw new TypeError(`saveTo: ${JSON.stringify(name)} is not a file name (one path segment) in ${dir}`);
    }
    const path = join(dir, name);
    let bytes = 0;
    const count = async function* (chunks: AsyncIterable<unknown>): AsyncIterable<Uint8Array> {
      for await (const c of chunks) {
        if (!(c instanceof Uint8Array)) throw new TypeError('saveTo: the stream gave something other than bytes');
        bytes += c.byteLength;
        yield c;
      }
    };
    await pipeline(this, count, createWriteStream(path, { flags: options.overwrite === true ? 'w' : 'wx' }));
    return { path, bytes };
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
