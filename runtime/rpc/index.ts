/**
 * RPC between TypeScript and Erlang over the distribution protocol: erpc and
 * gen_server calls both ways. The node exposes it (`node.rpc`, `call`,
 * `cast`, `expose`, `serve`, `reply`); see the "RPC" section of README.md.
 */
export { RpcError, CallTimeoutError, ErlangThrow, ErlangExit, ErlangError, jsErrorReason, type ErlangClass } from './errors.js';
export { rpc, rpcCast, call, cast, stopCalls, type RpcOptions, type CallOptions } from './client.js';
export { ExposedModules, invoke, serveSpawnRequest, type ExposedFunction, type Implementation, type SpawnRequest, type Result } from './exposed.js';
export { serve, reply, runServer, stopMessage, type ServerSpec, type ServerCallbacks, type InitResult, type StartOutcome, type RunOptions, type Server, type From, type CallResult, type Next } from './server.js';
export type { RpcHost } from './host.js';
export { startRex, rpcResult } from './rex.js';
