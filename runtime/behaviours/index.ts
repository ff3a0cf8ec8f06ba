/**
 * OTP's behaviours for TypeScript processes: Supervisor (supervisor.erl),
 * GenServer (gen_server.erl, on the loop node.serve runs), Task (Elixir's
 * Task). They take the node as a {@link BehaviourNode}. See README.md
 * "Supervisors and behaviours".
 */
export { Supervisor, type SupervisorSpec, type ChildInfo, type ChildCounts } from './supervisor.js';
export { GenServer, exposeStartLink, type GenServerRef, type GenServerCallbacks, type GenServerClass } from './gen-server.js';
export { Task } from './task.js';
export { StartError, SupervisorError, TaskError, type StartErrorCode, type SupervisorErrorCode } from './errors.js';
export type { StartOptions } from './start.js';
export type { ChildSpec, Started, Strategy, Restart, Shutdown, ChildType, AutoShutdown } from './children.js';
export type { BehaviourNode } from './host.js';
