/**
 * A Sender is a value: the pid of a receiver's host process and the
 * receiver's alias, bound to the node it sends from. Pass it in a message or
 * as a call's argument or result; on arrival it is bound to the node that
 * decoded it, so `send` works from any context.
 *
 * Sends are fire and forget, as Erlang's `!` and mitogen's Sender.send are:
 * a value sent to a closed receiver, or to a node that is gone, is dropped
 * (the alias is inactive; the connection is down), never queued for ever and
 * never a rejection. A receiver that must not wait for ever for a sender on
 * another node uses `get({ timeout })` or `respondent`.
 */
import { atom } from '../term/atom.js';
import { DecodeError } from '../wire/errors.js';
import { tuple } from '../term/make.js';
import { Pid, Reference, Tuple, type Term } from '../term/values.js';
import { ChannelError } from './channel-errors.js';
import { endMessage, termCodec, valueMessage, type ChannelCodec, type ChannelNode } from './host.js';

const SENDER = atom('$bw_sender');

export class Sender<T = Term> {
  #closed = false;

  constructor(
    /** The node this Sender sends from. */
    readonly node: ChannelNode,
    /** The receiver's host process (on the receiver's node). */
    readonly pid: Pid,
    /** The receiver's handle: an alias of `pid`. */
    readonly alias: Reference,
    readonly codec: ChannelCodec = termCodec,
  ) {}

  /** The receiver's node. */
  get target(): string {
    return this.alias.node.name;
  }

  /**
   * Sends one value (encoded with the codec: an EncodeError for a value it
   * cannot carry). Values from one Sender arrive in the order sent. Throws
   * NodeStopped when this Sender's node is stopped, and ChannelError
   * `sender_closed` after this Sender's own `close()`.
   */
  send(value: T): void {
    if (this.#closed) throw new ChannelError('sender_closed', this.#where(), 'send after close()');
    this.node.send(this.alias, valueMessage(this.alias, this.codec.toTerm(value)));
  }

  /**
   * Ends the stream: the receiver gives what came before, then its iteration
   * ends and its `get` rejects with ChannelError `sender_closed`. Copies of
   * this Sender elsewhere send into a closed receiver from then on (dropped).
   * A second close does nothing.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.node.send(this.alias, endMessage(this.alias, 'sender_closed'));
  }

  /** As a plain term, `{'$bw_sender', Pid, Alias}`, for messages that carry beamwire terms only. */
  toTerm(): Tuple {
    return tuple(SENDER, this.pid, this.alias);
  }

  /** The Sender `term` (made by {@link toTerm}) names, bound to `node`; undefined when it is no Sender. */
  static fromTerm<T = Term>(term: Term, node: ChannelNode, codec?: ChannelCodec): Sender<T> | undefined {
    if (!(term instanceof Tuple) || term.elements.length !== 3 || term.elements[0] !== SENDER) return undefined;
    const [, pid, alias] = term.elements;
    return pid instanceof Pid && alias instanceof Reference ? new Sender<T>(node, pid, alias, codec) : undefined;
  }

  toString(): string {
    return `Sender<${this.alias.toString()} on ${this.target}>`;
  }

  #where(): string {
    return `sender to ${this.alias.toString()} on ${this.target}`;
  }
}

/**
 * The value type for runtime/router/values.ts (`defineValueType(senderValueType)`):
 * a Sender travels as its fields `[pid, alias]` and is bound on decoding to
 * the decoding node (`context.node`), with `context.codec` when given, so
 * values sent through it are encoded as the sender's own were.
 */
export const senderValueType = {
  tag: 'sender',
  test: (value: unknown): value is Sender<unknown> => value instanceof Sender,
  encode: (s: Sender<unknown>): Term[] => [s.pid, s.alias],
  decode(fields: readonly Term[], context: { node: ChannelNode; codec?: ChannelCodec }): Sender<unknown> {
    const [pid, alias] = fields;
    if (fields.length !== 2 || !(pid instanceof Pid) || !(alias instanceof Reference))
      throw new DecodeError('BAD_VALUE', 0, `a sender is [pid, alias], got ${fields.length} fields`, 'sender');
    return new Sender(context.node, pid, alias, context.codec);
  },
} as const;
