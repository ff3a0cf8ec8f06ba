/**
 * A Receiver: an alias on a node, and the values sent to it in arrival
 * order (mitogen's Receiver over its Latch). Persistent by default; oneshot
 * takes one value and closes. It ends in one of three ways, and `get` then
 * rejects (after any values still held) with a ChannelError saying which:
 * - a Sender's `close()`: `sender_closed`; `for await` ends quietly;
 * - its own `close()` (or a oneshot's value): `receiver_closed`; values held
 *   are dropped, as mitogen's close drops its latch; `for await` ends quietly;
 * - a dead message (`no_route`, `context_gone`, ...), the `respondent` node
 *   going down, or its own node stopping (`context_gone`): `for await` throws
 *   it, where mitogen's loop would end as if closed, hiding the failure.
 * Once ended its alias is released (later sends to it are dropped).
 */
import type { Pid, Reference, Term } from '../term/values.js';
import { ChannelError, isCleanEnd, TimeoutError, type ChannelReason } from './channel-errors.js';
import { Host, termCodec, type ChannelCodec, type ChannelNode, type Mailbox } from './host.js';
import { Sender } from './sender.js';
import type { Owner, Poll, Source } from './source.js';
import { checkTimeout, Fifo, WaitQueue, type WaitOptions } from './waiting.js';

export interface ReceiverOptions {
  /** Close after the first value (a call's reply). Default false: persistent. */
  readonly oneshot?: boolean;
  /** How values are carried (default: beamwire terms as they are). */
  readonly codec?: ChannelCodec;
  /**
   * The node (full name) the values come from: when the connection to it
   * goes down, the receiver ends with `context_gone` instead of waiting
   * for ever (mitogen's `respondent`).
   */
  readonly respondent?: string;
}

const EMPTY: Poll<never> = { kind: 'empty' };

export class Receiver<T = Term> implements AsyncIterable<T>, Source<T>, Mailbox {
  readonly node: ChannelNode;
  /** The handle: what a Sender sends to. */
  readonly alias: Reference;
  /** The process holding the alias (one per node, shared by its receivers). */
  readonly pid: Pid;
  readonly oneshot: boolean;
  readonly codec: ChannelCodec;
  /** @internal */ owner: Owner | undefined;
  readonly #host: Host;
  readonly #buffer = new Fifo<Term>();
  readonly #waiters = new WaitQueue<T>();
  #end: ChannelError | undefined;
  readonly #respondent: string | undefined;

  /** Opens a receiver on `node`: NodeStopped when it is stopped. */
  constructor(node: ChannelNode, options: ReceiverOptions = {}) {
    this.node = node;
    this.oneshot = options.oneshot ?? false;
    this.codec = options.codec ?? termCodec;
    this.#host = Host.of(node);
    this.alias = this.#host.open(this);
    this.pid = this.#host.pid;
    this.#respondent = options.respondent;
    if (this.#respondent !== undefined) this.#host.watch(this.#respondent, this);
  }

  /** A Sender to this receiver, bound to this receiver's node (pass it on: it rebinds where it is decoded). */
  toSender(): Sender<T> {
    return new Sender<T>(this.node, this.pid, this.alias, this.codec);
  }

  /** Values arrived and not yet taken. */
  get size(): number {
    return this.#buffer.length;
  }

  /** Why it ended (values may still be held), or undefined while open. */
  get endReason(): ChannelReason | undefined {
    return this.#end?.reason;
  }

  /**
   * The next value. Rejects with TimeoutError after `timeout` ms (0: only
   * what is held now), with `signal.reason` when `signal` aborts, and with
   * the ChannelError of its end once ended and empty.
   */
  get(options: WaitOptions = {}): Promise<T> {
    try {
      checkTimeout(options.timeout, `get on ${this.#where()}`);
    } catch (e) {
      return Promise.reject(e);
    }
    if (options.signal?.aborted === true) return Promise.reject(options.signal.reason);
    if (this.#buffer.length > 0) {
      try {
        return Promise.resolve(this.#decode(this.#buffer.shift()!));
      } catch (e) {
        return Promise.reject(e);
      }
    }
    if (this.#end !== undefined) return Promise.reject(this.#end);
    if (options.timeout === 0) return Promise.reject(new TimeoutError(`get on ${this.#where()}`, 0));
    return this.#waiters.wait(options, () => `get on ${this.#where()}`);
  }

  /** Ends the receiver now: waiting gets reject with `receiver_closed`, values held are dropped, the alias is released. */
  close(): void {
    this.#buffer.clear();
    this.#finish(new ChannelError('receiver_closed', this.#where()));
  }

  /**
   * Each value until the end. A clean end (`sender_closed`,
   * `receiver_closed`) finishes the loop; a failure throws. Leaving the loop
   * early (`break`, a throw) closes the receiver, as a ReadableStream's
   * iterator cancels it: nothing is left holding the alias.
   */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () =>
        this.get().then(
          (value) => ({ value, done: false }),
          (e: unknown) => {
            if (e instanceof ChannelError && e === this.#end && isCleanEnd(e.reason)) return { value: undefined, done: true };
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
    return `Receiver<${this.alias.toString()} on ${this.node.name}>`;
  }

  // -- from the host (Mailbox) and the owning Select (Source) ---------------------

  /** @internal a value arrived. */
  accept(term: Term): void {
    if (this.#end !== undefined) return;
    if (this.#waiters.length > 0) {
      // A value the codec cannot read fails the get that took it; the stream goes on.
      let value: T;
      try {
        value = this.#decode(term);
      } catch (e) {
        this.#waiters.rejectFirst(e);
        return this.#afterValue();
      }
      this.#waiters.resolveFirst(value);
    } else {
      this.#buffer.push(term);
      this.owner?.notify(this);
    }
    this.#afterValue();
  }

  #afterValue(): void {
    if (this.oneshot) this.#finish(new ChannelError('receiver_closed', this.#where(), 'oneshot: it took its value'));
  }

  /** @internal the end of the stream (a Sender's close, a dead message); also how a router fails a receiver. */
  end(reason: ChannelReason, detail: string | undefined): void {
    this.#finish(new ChannelError(reason, this.#where(), detail));
  }

  /** @internal */
  poll(): Poll<T> {
    if (this.#buffer.length > 0) return { kind: 'value', event: { source: this, value: this.#decode(this.#buffer.shift()!) } };
    if (this.#end !== undefined) return { kind: 'ended', error: isCleanEnd(this.#end.reason) ? undefined : this.#end };
    return EMPTY;
  }

  /** @internal */
  get pending(): number {
    return this.#buffer.length + (this.#end === undefined ? 0 : 1);
  }

  #finish(error: ChannelError): void {
    if (this.#end !== undefined) return;
    this.#end = error;
    this.#host.close(this.alias);
    if (this.#respondent !== undefined) this.#host.unwatch(this.#respondent, this);
    this.#waiters.rejectAll(error);
    this.owner?.notify(this);
  }

  #decode(term: Term): T {
    return this.codec.fromTerm(term, { node: this.node }) as T;
  }

  #where(): string {
    return `receiver ${this.alias.toString()} on ${this.node.name}`;
  }
}
