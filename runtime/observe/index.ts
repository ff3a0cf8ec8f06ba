/**
 * Cluster services that watch rather than take part (issue 12, point 4;
 * Chaski's discovery, latency probes and status, seed-systems.md §4):
 * `node.discover`, `node.latency`, `node.status`, and the node's events on
 * `node:diagnostics_channel`. See README "Cluster services".
 */
export { Observer } from './observer.js';
export type { ObserveHost, LinkInfo, GroupStatus } from './host.js';
export { LatencySmoother, type LatencyEstimate } from './smoothing.js';
export { LatencyError, DiscoverTimeout, type LatencyErrorReason } from './errors.js';
export { checkProbeInterval, type LatencyOptions } from './latency.js';
export type { DiscoverOptions, Discovery } from './discover.js';
export type { NodeStatus, ConnectionStatus } from './status.js';
export { CHANNELS, publish, type ChannelName, type ChannelMessages, type NodeUpMessage, type NodeDownMessage, type GroupMessage } from './events.js';
