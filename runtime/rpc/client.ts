/**
 * Calls from TypeScript into Erlang. The ones that wait for an answer
 * (erpc:call, gen_server:call) are made by the node's calling process and
 * kept in its table of calls in flight (calls.ts); the casts need no process:
 *
 * - `rpcCast`: erpc:cast/4, fire and forget.
 * - `cast`: gen_server:cast/2.
 */
import { gen } from '../../generated/gen.js';
import { ProcessError, type MonitorTarget } from '../process/index.js';
import { Atom, atom } from '../term/atom.js';
import { format } from '../term/format.js';
import type { Pid, Term, Tuple } from '../term/values.js';
import { Calls, type CallOptions, type RpcOptions } from './calls.js';
import type { RpcHost } from './host.js';

export type { CallOptions, RpcOptions } from './calls.js';

const ERPC = atom('erpc');
const EXECUTE_CAST = { module: ERPC, function: atom('execute_cast'), arity: 3 };

/** erpc:call(Node, Module, Fun, Args, Timeout). Rejects with RpcError, CallTimeoutError, or the signal's reason. */
export function rpc(host: RpcHost, node: Atom, module: Atom, fun: Atom, args: Term[], options: RpcOptions = {}): Promise<Term> {
  return Calls.of(host).rpc(node, module, fun, args, options);
}

/**
 * erpc:cast(Node, Module, Fun, Args): SPAWN_REQUEST `{erpc, execute_cast, 3}`
 * with no options and `[M, F, A]`, from the table's own pid. Nothing waits:
 * the peer's SPAWN_REPLY (flags 0) finds no taker and is dropped, and an
 * unreachable node or a failing function goes unreported, as in erpc.
 */
export function rpcCast(host: RpcHost, node: Atom, module: Atom, fun: Atom, args: Term[]): void {
  try {
    host.table.spawnRequest(node, EXECUTE_CAST, [module, fun, args]);
  } catch (e) {
    host.debug(`erpc:cast ${module.name}:${fun.name}/${args.length} to ${node.name}: ${(e as Error).message}`);
  }
}

/** The node stops: its calls in flight reject with `error` (NodeStopped). */
export function stopCalls(host: RpcHost, error: unknown): void {
  Calls.stop(host.table, error);
}

/** gen_server:call(Dest, Request, Timeout). Rejects with RpcError (class `exit`), CallTimeoutError, or the signal's reason. */
export function call(host: RpcHost, dest: MonitorTarget, request: Term, options: CallOptions = {}): Promise<Term> {
  return Calls.of(host).call(dest, request, options);
}

/** gen_server:cast(Dest, Request): never fails, also for a name nobody registered. */
export function cast(host: RpcHost, dest: Pid | Atom | Tuple<[Atom, Atom]>, request: Term): void {
  try {
    host.table.send(dest, gen.genCast(request));
  } catch (e) {
    if (!(e instanceof ProcessError && e.code === 'BADARG')) throw e;
    host.debug(`cast to unregistered ${format(dest)} dropped`);
  }
}
