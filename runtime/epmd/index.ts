/** EPMD: the client a node registers with, and an embedded server for hosts without epmd. */
import { EpmdClient } from './client.js';
import { EpmdError } from './errors.js';

export { EpmdClient, EPMD_DEFAULT_PORT, NODE_TYPE_HIDDEN, NODE_TYPE_NORMAL, portFromEnv } from './client.js';
export type { EpmdClientOptions, NamesResult, NodeInfo, RegisterOptions } from './client.js';
export { EpmdError, type EpmdErrorCode } from './errors.js';
export type { CallOptions } from './exchange.js';
export type { NodeEntry } from './names.js';
export { Registration } from './registration.js';
export type { RegisteredNode } from './registry.js';
export { EpmdServer, type EpmdServerOptions } from './server.js';

/**
 * Whether an EPMD answers NAMES_REQ at `host:port` (default 127.0.0.1,
 * 1 s): how a node decides between a running epmd and starting the
 * embedded one. Anything that is not a well-formed NAMES answer is false.
 */
export async function findEpmd(port: number, options: { host?: string; timeout?: number } = {}): Promise<boolean> {
  const client = new EpmdClient({ host: options.host ?? '127.0.0.1', port, timeout: options.timeout ?? 1000 });
  try {
    await client.names();
    return true;
  } catch (e) {
    if (e instanceof EpmdError) return false; // Nothing there, or something that is not an EPMD: either way, none to use.
    throw e;
  }
}
