/**
 * The node's cluster events on `node:diagnostics_channel`, for tooling that
 * watches every node in the process (an APM agent, a logger) without a
 * reference to each Node. Channel names and messages (`node` is always the
 * node that saw the event, `peer` the other one):
 *
 * - `beamwire:nodeup`   `{ node, peer, visible }`: a connection came up (either side dialled).
 * - `beamwire:nodedown` `{ node, peer, reason }`: it ended; `reason` as ConnectionClosed's.
 * - `beamwire:join`     `{ node, scope, group, pids }`: pids joined a pg group (seen by this node).
 * - `beamwire:leave`    `{ node, scope, group, pids }`: pids left it.
 *
 * The node's emitter has 'nodeup' and 'nodedown' too; these are the same
 * events, published besides. A message is built only when a channel has
 * subscribers.
 */
import * as diagnostics from 'node:diagnostics_channel';
import type { Pid, Term } from '../term/values.js';

export interface NodeUpMessage {
  readonly node: string;
  readonly peer: string;
  /** False for a hidden connection (either side hidden). */
  readonly visible: boolean;
}
export interface NodeDownMessage {
  readonly node: string;
  readonly peer: string;
  /** `closed`, `net_tick_timeout`, `local`, ... (ConnectionClosed's reason). */
  readonly reason: string;
}
export interface GroupMessage {
  readonly node: string;
  readonly scope: string;
  readonly group: Term;
  readonly pids: readonly Pid[];
}

export interface ChannelMessages {
  nodeup: NodeUpMessage;
  nodedown: NodeDownMessage;
  join: GroupMessage;
  leave: GroupMessage;
}

export type ChannelName = keyof ChannelMessages;

/** The diagnostics_channel names, by event. */
export const CHANNELS: { readonly [K in ChannelName]: `beamwire:${K}` } = {
  nodeup: 'beamwire:nodeup',
  nodedown: 'beamwire:nodedown',
  join: 'beamwire:join',
  leave: 'beamwire:leave',
};

const channels = {
  nodeup: diagnostics.channel(CHANNELS.nodeup),
  nodedown: diagnostics.channel(CHANNELS.nodedown),
  join: diagnostics.channel(CHANNELS.join),
  leave: diagnostics.channel(CHANNELS.leave),
};

/**
 * Publishes an event on its channel. `message` is a function so that nothing
 * is built when nobody listens; a subscriber that throws is Node's to report
 * (diagnostics_channel rethrows it on the next tick), never the caller's.
 */
export function publish<K extends ChannelName>(event: K, message: () => ChannelMessages[K]): void {
  const ch = channels[event];
  if (ch.hasSubscribers) ch.publish(message());
}
