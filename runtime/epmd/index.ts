/** EPMD: the client a node registers with, and an embedded server for hosts without epmd. */
export { EpmdClient, EPMD_DEFAULT_PORT, NODE_TYPE_HIDDEN, NODE_TYPE_NORMAL, portFromEnv } from './client.js';
export type { EpmdClientOptions, NamesResult, NodeInfo, RegisterOptions } from './client.js';
export { EpmdError, type EpmdErrorCode } from './errors.js';
export { findEpmd } from './find.js';
export type { CallOptions } from './exchange.js';
export type { NodeEntry } from './names.js';
export { EpmdPresence, type EpmdMode, type EpmdPresenceEvents, type EpmdPresenceOptions, type PresenceInfo } from './presence.js';
export { Registration } from './registration.js';
export type { RegisteredNode } from './registry.js';
export { EpmdServer, type EpmdServerOptions } from './server.js';

