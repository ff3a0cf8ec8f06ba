/**
 * A node's cluster observer: what runtime/node/node.ts calls for
 * `discover`, `latency` and `status`, and tells of every connection that
 * comes and goes (for the latency estimates, and diagnostics_channel).
 */
import { Dflag } from '../../generated/handshake.js';
import { discover, type DiscoverOptions, type Discovery } from './discover.js';
import { publish } from './events.js';
import type { ObserveHost } from './host.js';
import { Latencies, type LatencyOptions } from './latency.js';
import type { LatencyEstimate } from './smoothing.js';
import { status, type NodeStatus } from './status.js';

export class Observer {
  readonly #host: ObserveHost;
  readonly #latencies: Latencies;
  readonly #since = new Map<string, number>();

  /** `probeInterval`: ms between continuous latency probes of each connection; 0 (default) for none. */
  constructor(host: ObserveHost, probeInterval = 0) {
    this.#host = host;
    this.#latencies = new Latencies(
      {
        name: host.name,
        table: host.table,
        connect: (p, via) => host.connect(p, via),
        isConnected: (p) => this.#since.has(p),
        debug: (l) => host.debug(l),
      },
      probeInterval,
    );
  }

  /** A connection to `peer` is up (flags: the negotiated ones). */
  up(peer: string, flags: bigint): void {
    this.#since.set(peer, Date.now());
    this.#latencies.up(peer);
    publish('nodeup', () => ({ node: this.#host.name, peer, visible: (flags & Dflag.PUBLISHED) !== 0n }));
  }

  down(peer: string, reason: string): void {
    this.#since.delete(peer);
    this.#latencies.down(peer);
    publish('nodedown', () => ({ node: this.#host.name, peer, reason }));
  }

  discover(options: DiscoverOptions): Promise<Discovery> {
    return discover(this.#host, options);
  }

  latency(peer: string, options?: LatencyOptions): Promise<LatencyEstimate> {
    return this.#latencies.measure(peer, options);
  }

  status(): NodeStatus {
    return status(
      this.#host,
      (p) => this.#since.get(p),
      (p) => this.#latencies.estimate(p),
    );
  }

  stop(): void {
    this.#latencies.stop();
  }
}
