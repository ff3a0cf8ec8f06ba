/**
 * What the observe layer needs from its node (runtime/node/node.ts
 * implements it): the process table, the connections as they are, a way to
 * connect, and, once pg runs, its groups.
 */
import type { ProcessTable } from '../process/index.js';
import type { Term } from '../term/values.js';
import type { Address } from '../transport/index.js';

/** One connection as the node's network holds it. */
export interface LinkInfo {
  readonly peer: string;
  /** The negotiated distribution flags: PUBLISHED survives only when neither side is hidden. */
  readonly flags: bigint;
  /** Bytes queued for the peer and not yet written. */
  readonly queued: number;
}

/** One pg group on this node, as the `groups` provider gives it. */
export interface GroupStatus {
  readonly scope: string;
  readonly group: Term;
  /** Members anywhere in the cluster, and those on this node. */
  readonly members: number;
  readonly localMembers: number;
}

export interface ObserveHost {
  readonly name: string;
  readonly table: ProcessTable;
  /** The carrier's kind: 'tcp', 'tls', 'stream', 'memory'. */
  readonly carrier: string;
  /** Where this node's EPMD is (the default port for discovery); 0 without EPMD. */
  epmdPort(): number;
  /** Where our own listener is: discovery skips the EPMD entry that is us. */
  address(): Address | undefined;
  links(): LinkInfo[];
  /** Connects to `peer` (at `via` when given); rejects with why it could not. */
  connect(peer: string, via?: Address): Promise<void>;
  /** pg's groups, once a pg runs on the node; undefined before (see README "Cluster services"). */
  groups(): readonly GroupStatus[] | undefined;
  debug(line: string): void;
}
