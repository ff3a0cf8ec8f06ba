/** `node.status()`: a snapshot of the node's connections, processes and groups, for a dashboard or a health check. */
import { Dflag } from '../../generated/handshake.js';
import type { GroupStatus, ObserveHost } from './host.js';
import type { LatencyEstimate } from './smoothing.js';

export interface ConnectionStatus {
  readonly node: string;
  /** False for a hidden connection (either side hidden: it stays out of `nodes()` on the other side). */
  readonly visible: boolean;
  /** What it runs over: the node's carrier ('tcp', 'tls', ...); a stream handed to `connect` or a router's tunnel is reported as the carrier too. */
  readonly carrier: string;
  /** When it came up (ms since the epoch). */
  readonly since: number;
  /** Bytes queued for the peer, not yet written. */
  readonly queuedBytes: number;
  /** The latency estimate, once the connection was probed (`node.latency`, or `probeInterval`). */
  readonly latency?: LatencyEstimate;
}

export interface NodeStatus {
  readonly name: string;
  readonly connections: ConnectionStatus[];
  readonly processes: {
    readonly count: number;
    /** Registered names, sorted. */
    readonly registered: string[];
  };
  /** pg's groups on this node; absent while no pg runs here. */
  readonly groups?: readonly GroupStatus[];
}

export function status(host: ObserveHost, since: (peer: string) => number | undefined, latency: (peer: string) => LatencyEstimate | undefined): NodeStatus {
  const connections = host.links().map((l): ConnectionStatus => {
    const estimate = latency(l.peer);
    return {
      node: l.peer,
      visible: (l.flags & Dflag.PUBLISHED) !== 0n,
      carrier: host.carrier,
      since: since(l.peer) ?? Date.now(),
      queuedBytes: l.queued,
      ...(estimate === undefined ? {} : { latency: estimate }),
    };
  });
  const groups = host.groups();
  return {
    name: host.name,
    connections,
    processes: { count: host.table.size, registered: host.table.registered().map((a) => a.name).sort() },
    ...(groups === undefined ? {} : { groups }),
  };
}
