/**
 * The local process model: a process table per node, processes with ordered
 * mailboxes and selective receive, links, monitors, exits, names, aliases,
 * and the seam the distribution layer plugs into. See README.md beside it.
 */
export { ProcessTable, reasonOf, type Destination, type ProcessFn, type ProcessTableOptions } from './table.js';
export { stderrLogger, silentLogger, type Logger, type LogLevel } from './logger.js';
export { ProcessContext, type ReceiveOptions, type AfterOptions, type Clauses, type ReceiveResult } from './context.js';
export { P, _, Pattern, Rest, type PatternLike, type ValueOf, type BindingsOf, type Bindings } from './pattern.js';
export { on, Clause, type ClauseResult } from './mailbox.js';
export { HandlerTable } from './handlers.js';
export { linkGraph } from './graph.js';
export { ProcessError, ProcessExit, ReceiveTimeout, exit, type ProcessErrorCode } from './errors.js';
export { NodeStopped } from './stopped.js';
export { PID_ID_LIMIT, PID_SERIAL_LIMIT, refKey, sameRef, type NodeIdentity } from './ids.js';
export type { MonitorTarget } from './links.js';
export type { Process } from './state.js';
export type { RemoteSignals, RemoteInbound } from './remote.js';
