/**
 * The errors of channels (receivers, senders, selects). A channel that ends
 * says why with a ChannelError `reason`: the two clean ends (`sender_closed`,
 * `receiver_closed`) end a `for await` quietly; the others are dead messages
 * (mitogen's IS_DEAD replies) and surface as a rejection.
 */
import { BeamwireError } from '../wire/errors.js';

/**
 * Why a channel ended or a value could not be had.
 * - `sender_closed`: a Sender's `close()` (end of stream).
 * - `receiver_closed`: the Receiver's own `close()`, or a oneshot receiver that took its value.
 * - `no_route`: the router found no way to the destination (a dead message).
 * - `context_gone`: the context at the other end (or this receiver's own node) went away.
 * - `too_large`: the message was over the router's maximum size.
 * - `refused`: the destination refused it (a policy, the reverse-path check).
 * - `undeliverable`: a dead message whose reason this version does not know (`detail` has it).
 */
export type ChannelReason = 'sender_closed' | 'receiver_closed' | 'no_route' | 'context_gone' | 'too_large' | 'refused' | 'undeliverable';

const REASONS: ReadonlySet<string> = new Set<ChannelReason>(['sender_closed', 'receiver_closed', 'no_route', 'context_gone', 'too_large', 'refused', 'undeliverable']);

/** The reason named `name` (an atom's text off the wire); an unknown one is `undeliverable`. */
export const channelReason = (name: string): ChannelReason => (REASONS.has(name) ? (name as ChannelReason) : 'undeliverable');

/** The two reasons that are an orderly end of stream, not a failure. */
export const isCleanEnd = (reason: ChannelReason): boolean => reason === 'sender_closed' || reason === 'receiver_closed';

export type ChannelErrorCode = 'SENDER_CLOSED' | 'RECEIVER_CLOSED' | 'NO_ROUTE' | 'CONTEXT_GONE' | 'TOO_LARGE' | 'REFUSED' | 'UNDELIVERABLE';

/** A channel ended, or a message to it could not be delivered: `reason` says which (`code` is it in capitals). */
export class ChannelError extends BeamwireError {
  override readonly name = 'ChannelError';
  readonly code: ChannelErrorCode;
  constructor(
    readonly reason: ChannelReason,
    /** The channel: `receiver #Ref<…> on node@host`. */
    readonly where: string,
    /** Who said so and why, in words (a dead message's text, the node that went). */
    readonly detail?: string,
  ) {
    super(`${where}: ${reason.replaceAll('_', ' ')}${detail === undefined || detail === '' ? '' : ` (${detail})`}`);
    this.code = reason.toUpperCase() as ChannelErrorCode;
  }
}

/** A wait (`get`, a call) that saw nothing within its `timeout`. */
export class TimeoutError extends BeamwireError {
  override readonly name = 'TimeoutError';
  readonly code = 'ROUTER_TIMEOUT';
  constructor(
    /** What waited: `get on receiver #Ref<…> on node@host`. */
    readonly what: string,
    readonly timeout: number,
  ) {
    super(`${what}: nothing within ${timeout} ms`);
  }
}

export type SelectErrorCode = 'SELECT_OWNED' | 'SELECT_CYCLE' | 'SELECT_NOT_MEMBER' | 'SELECT_EMPTY' | 'SELECT_CLOSED';

/** A Select used against mitogen's ownership rules, or asked for a value it can never have. */
export class SelectError extends BeamwireError {
  override readonly name = 'SelectError';
  constructor(
    readonly code: SelectErrorCode,
    readonly detail: string,
  ) {
    super(`Select: ${detail} (${code})`);
  }
}
