/**
 * Where a node's receivers live: one reacting process per node (a
 * spawnHandler, so no receive and no promise per message) holds one alias
 * per open Receiver. A Sender is that process's pid and the alias; messages
 * to a closed receiver's alias are dropped by the process table, as Erlang
 * drops sends to an inactive alias.
 *
 * The messages, readable by (and sendable from) Erlang:
 * - `{'$bw_chan', Alias, Value}`: one value.
 * - `{'$bw_chan_end', Alias, Reason}` or `{'$bw_chan_end', Alias, {Reason, Detail}}`:
 *   the end of the stream. Reason is `sender_closed` from `Sender.close()`,
 *   or a dead message's reason (`no_route`, `context_gone`, `too_large`,
 *   `refused`, ...) with a binary `Detail`.
 */
import type { Process, ProcessContext } from '../process/index.js';
import { refKey } from '../process/index.js';
import { atom, Atom } from '../term/atom.js';
import { tuple } from '../term/make.js';
import { Pid, Reference, Tuple, type Term } from '../term/values.js';
import { channelReason, type ChannelReason } from './channel-errors.js';

/** What channels need of a node: a beamwire `Node` is one. */
export interface ChannelNode {
  readonly name: string;
  readonly isStopped: boolean;
  spawnHandler(init: (self: ProcessContext) => (message: Term) => void): Process;
  send(dest: Reference, message: Term): void;
  on(event: 'nodedown', listener: (node: string, reason: string) => void): unknown;
  off(event: 'nodedown', listener: (node: string, reason: string) => void): unknown;
}

/**
 * How values become terms and back (runtime/router/values.ts gives the
 * JavaScript mapping). `fromTerm` gets the node the value arrived on, so a
 * Sender inside a value is bound to it.
 */
export interface ChannelCodec {
  toTerm(value: unknown): Term;
  fromTerm(term: Term, context: { node: ChannelNode }): unknown;
}

/** Values are beamwire terms, passed as they are. */
export const termCodec: ChannelCodec = {
  toTerm: (v) => v as Term,
  fromTerm: (t) => t,
};

export const CHAN = atom('$bw_chan');
export const CHAN_END = atom('$bw_chan_end');
export const SENDER_CLOSED = atom('sender_closed');

/** `{'$bw_chan', Alias, Value}`. */
export const valueMessage = (alias: Reference, value: Term): Tuple => tuple(CHAN, alias, value);

/**
 * `{'$bw_chan_end', Alias, Reason}`: what `Sender.close()` sends, and the
 * dead message a router sends back for a request whose reply was to go to `alias`.
 */
export function endMessage(alias: Reference, reason: ChannelReason, detail?: string): Tuple {
  const r = atom(reason);
  return tuple(CHAN_END, alias, detail === undefined ? r : tuple(r, detail));
}

/** What the host hands a receiver. */
export interface Mailbox {
  accept(value: Term): void;
  end(reason: ChannelReason, detail: string | undefined): void;
}

export class Host {
  static readonly #hosts = new WeakMap<ChannelNode, Host>();

  /** The node's host, started on first use (again if its process was killed). */
  static of(node: ChannelNode): Host {
    let h = Host.#hosts.get(node);
    if (h === undefined || !h.#process.alive) Host.#hosts.set(node, (h = new Host(node)));
    return h;
  }

  /** Receivers open on `node`, without starting its host. */
  static openOn(node: ChannelNode): number {
    const h = Host.#hosts.get(node);
    return h !== undefined && h.#process.alive ? h.#open.size : 0;
  }

  readonly #open = new Map<string, Mailbox>();
  /** Receivers by the node they hear from (`respondent`): one 'nodedown' listener per host, not per receiver. */
  readonly #respondents = new Map<string, Set<Mailbox>>();
  #onNodeDown: ((node: string) => void) | undefined;
  readonly #process: Process;
  #self!: ProcessContext;

  private constructor(readonly node: ChannelNode) {
    this.#process = node.spawnHandler((self) => {
      this.#self = self;
      return (m) => this.#deliver(m);
    });
    // The node stopped or the process was killed: no value can reach these receivers any more.
    void this.#process.exited.then((reason) => {
      const detail = node.isStopped ? `node ${node.name} stopped` : `the channel process of ${node.name} ended: ${String(reason)}`;
      for (const m of [...this.#open.values()]) m.end('context_gone', detail);
      this.#open.clear();
    });
  }

  get pid(): Pid {
    return this.#process.pid;
  }

  /** A new alias routing to `mailbox` until {@link close}. */
  open(mailbox: Mailbox): Reference {
    const alias = this.#self.alias();
    this.#open.set(refKey(alias), mailbox);
    return alias;
  }

  close(alias: Reference): void {
    if (this.#open.delete(refKey(alias)) && this.#process.alive) this.#self.unalias(alias);
  }

  /** Ends `mailbox` with `context_gone` when the connection to `node` goes down, until {@link unwatch}. */
  watch(node: string, mailbox: Mailbox): void {
    let set = this.#respondents.get(node);
    if (set === undefined) this.#respondents.set(node, (set = new Set()));
    set.add(mailbox);
    if (this.#onNodeDown === undefined) {
      this.#onNodeDown = (n) => {
        const gone = this.#respondents.get(n);
        if (gone === undefined) return;
        this.#respondents.delete(n);
        for (const m of gone) m.end('context_gone', `${n} disconnected`);
        this.#quiet();
      };
      this.node.on('nodedown', this.#onNodeDown);
    }
  }

  unwatch(node: string, mailbox: Mailbox): void {
    const set = this.#respondents.get(node);
    if (set === undefined || !set.delete(mailbox)) return;
    if (set.size === 0) this.#respondents.delete(node);
    this.#quiet();
  }

  /** No receiver watches a node any more: the listener goes. */
  #quiet(): void {
    if (this.#respondents.size > 0 || this.#onNodeDown === undefined) return;
    this.node.off('nodedown', this.#onNodeDown);
    this.#onNodeDown = undefined;
  }

  #deliver(m: Term): void {
    // Anything else (a trapped EXIT, a stray message to an alias) is not a channel's: dropped.
    if (!(m instanceof Tuple) || m.elements.length !== 3) return;
    const [tag, alias, body] = m.elements as [Term, Term, Term];
    if (!(alias instanceof Reference)) return;
    const box = this.#open.get(refKey(alias));
    if (box === undefined) return;
    if (tag === CHAN) box.accept(body);
    else if (tag === CHAN_END) {
      if (body instanceof Atom) box.end(channelReason(body.name), undefined);
      else if (body instanceof Tuple && body.elements.length === 2 && body.elements[0] instanceof Atom) {
        const d = body.elements[1];
        box.end(channelReason(body.elements[0].name), typeof d === 'string' ? d : d instanceof Uint8Array ? Buffer.from(d).toString('utf8') : undefined);
      }
    }
  }
}

/** Open receivers on `node` (0 when none was ever made): what a test checks for leaks. */
export const openReceivers = (node: ChannelNode): number => Host.openOn(node);
