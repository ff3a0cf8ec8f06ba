/**
 * What global's name server needs from its node: the process table (its
 * processes and their pids), which peers take part (visible connections of
 * a visible node), connecting and disconnecting, rpc:call for the resolve
 * functions of name clashes, and where to log.
 */
import type { ProcessTable } from '../process/index.js';
import type { Atom } from '../term/atom.js';
import type { Term } from '../term/values.js';

export interface GlobalHost {
  readonly table: ProcessTable;
  /** The connected nodes (nodes(connected)). */
  nodes(): string[];
  /** Whether `node` is connected and visible both ways: only such peers run global with us (OTP's nodes(visible)). */
  visible(node: string): boolean;
  /** net_kernel:connect_node/1 (global's sync_other); rejects when the node cannot be reached. */
  connect(node: string): Promise<void>;
  /** net_kernel:async_disconnect/1: a peer asked to be dropped (prevent_overlapping_partitions). */
  disconnect(node: string): void;
  /** rpc:call(Node, Module, Fun, Args) with a bound on the wait; rejects when the call fails. */
  rpc(node: Atom, module: Atom, fun: Atom, args: Term[]): Promise<Term>;
  debug(line: string): void;
}
