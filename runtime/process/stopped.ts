/**
 * What a stopped node answers. Once `node.stop()` has begun, nothing comes
 * back: calls reject and synchronous operations throw with this, naming the
 * node and the operation, so a late timer or handler in the user's code
 * fails loudly instead of quietly reconnecting.
 */
import { BeamwireError } from '../wire/errors.js';

export class NodeStopped extends BeamwireError {
  override readonly name = 'NodeStopped';
  readonly code = 'NODE_STOPPED';
  constructor(
    /** The stopped node's name. */
    readonly node: string,
    /** What was asked of it: `rpc`, `send`, `spawn`, … */
    readonly operation: string,
  ) {
    super(`${operation}: node ${node} is stopped`);
  }
}
