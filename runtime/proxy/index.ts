/**
 * Transparent, typed remote objects (runtime/proxy/): `node.exposeObject`
 * and `node.proxy<T>()`, with promise pipelining, references with
 * lifetimes, callbacks and streams. See README.md, "Remote objects".
 */
import './install.js';

export type { ProxyOptions } from './install.js';
export type { ExposeOptions, ExposedObject } from './expose.js';
export type { CallOptions as ProxyCallOptions } from './endpoint.js';
export type { Remote, RemotePromise, RemoteArg, Settled } from './types.js';
export { RemoteStream } from './stream.js';
export { withOptions } from './remote.js';
/** @internal For tests and status: the node's proxy endpoint. */
export { Endpoint as ProxyEndpoint } from './endpoint.js';
