/**
 * What the RPC layer needs from its node: the process table (its processes
 * send spawn requests through the table's remote layer, the node's one way
 * out), where to log, and why a node could not be reached.
 */
import type { ProcessTable } from '../process/index.js';
import type { Atom } from '../term/atom.js';

export interface RpcHost {
  readonly table: ProcessTable;
  debug(line: string): void;
  /** Why the last attempt to reach `node` failed, if it did: the `cause` of a noconnection RpcError. */
  whyUnreachable?(node: Atom): unknown;
}
