/**
 * What the RPC layer needs from its node: the process table, the inbound
 * seam (to set up the monitor and link a spawn request asks for), a way to
 * send a control message the process model has no verb for (SPAWN_REQUEST),
 * and the group leader our requests name.
 */
import type { RemoteInbound } from '../process/remote.js';
import type { ProcessTable } from '../process/table.js';
import type { Atom } from '../term/atom.js';
import type { Pid, Term, Tuple } from '../term/values.js';

export interface RpcHost {
  readonly table: ProcessTable;
  readonly inbound: RemoteInbound;
  /**
   * Sends `ctl` (and `payload`) to `node`, connecting first if needed. Rejects
   * when it cannot be sent (unreachable node: its monitors have then fired
   * `noconnection`; a payload with no Erlang term: EncodeError).
   */
  control(node: Atom, ctl: Tuple, payload?: Term): Promise<void>;
  /** The io server named as group leader in our spawn requests (the node's `user`). */
  groupLeader(): Pid;
  debug(line: string): void;
  /** Why the last attempt to reach `node` failed, if it did: the `cause` of a noconnection RpcError. */
  whyUnreachable?(node: Atom): unknown;
}
