/**
 * What pg needs from its node: the process table (a scope is a process of
 * it, registered under the scope's name, sending and monitoring as any
 * process), the connected nodes, and each new connection. No nodedown: as
 * pg.erl does, a scope learns that a peer went from the DOWN of its monitor
 * (noconnection), never from the node's events.
 */
import type { ProcessTable } from '../process/index.js';

export interface PgHost {
  readonly table: ProcessTable;
  /** Connected nodes, visible and hidden. */
  nodes(): string[];
  /** Calls `up` with the name of each node connected from now on (either side dialled); returns the undo. */
  onNodeUp(up: (node: string) => void): () => void;
  debug(line: string): void;
}
