/**
 * What a Select reads from: a Receiver or another Select. A source tells its
 * owner (at most one: mitogen's "a receiver belongs to one Select") each time
 * it has something, a value or its end; the owner then polls it without
 * waiting. A poll can find nothing when someone took the value first (a
 * direct `get` on an owned receiver): the owner skips that notice.
 */
import type { ChannelError } from './channel-errors.js';

/** One value and the source it came from (select.ts names that source's type). */
export interface Polled<T> {
  readonly source: unknown;
  readonly value: T;
}

export type Poll<T> =
  | { readonly kind: 'value'; readonly event: Polled<T> }
  | { readonly kind: 'empty' }
  /** No value will come: `error` when it ended with a failure (a dead message), undefined for a clean end. */
  | { readonly kind: 'ended'; readonly error: ChannelError | undefined };

export interface Owner {
  notify(source: Source<unknown>): void;
}

export interface Source<T> {
  /** @internal the Select this source belongs to; set by Select.add, cleared by remove. */
  owner: Owner | undefined;
  /** @internal takes what is ready now, without waiting; may throw what decoding a value threw. */
  poll(): Poll<T>;
  /** Notices the owner must get on joining: one per value held, and one if it already ended. */
  readonly pending: number;
  /** Values held now. */
  readonly size: number;
}
