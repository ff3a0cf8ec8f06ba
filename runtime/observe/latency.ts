/**
 * Latency per connection: an estimate (Chaski's smoothing, smoothing.ts) that
 * lives as long as the connection, fed by `measure` and, when asked for, by
 * a probe per connection every `interval` × U(1, 1.5) ms: Chaski's
 * keep-alive spacing (chaski/node.py `_keep_alive`, 7 s × U(1, 1.5)), which
 * keeps the probes of many connections from lining up. Off by default: a
 * probe is a call into the peer's net_kernel, traffic nobody asked for.
 */
import type { Address } from '../transport/index.js';
import { NodeStopped, type ProcessTable } from '../process/index.js';
import { LatencyError } from './errors.js';
import { probe } from './probe.js';
import { LatencySmoother, type LatencyEstimate } from './smoothing.js';

export interface LatencyOptions {
  /** Probes to send, one after the other (default 5). */
  readonly probes?: number;
  /** Milliseconds each probe waits for its answer (default 5000). */
  readonly timeout?: number;
}

export interface LatencyHost {
  readonly name: string;
  readonly table: ProcessTable;
  connect(peer: string, via?: Address): Promise<void>;
  isConnected(peer: string): boolean;
  debug(line: string): void;
}

/** Throws RangeError unless `interval` is absent or a finite number of ms ≥ 0 (for a node to check before it starts anything). */
export function checkProbeInterval(interval: number | undefined): void {
  if (interval !== undefined && !(interval >= 0 && Number.isFinite(interval))) throw new RangeError(`probeInterval must be a number of ms ≥ 0, not ${interval}`);
}

interface Entry {
  readonly smoother: LatencySmoother;
  timer?: NodeJS.Timeout;
}

export class Latencies {
  readonly #host: LatencyHost;
  readonly #interval: number;
  readonly #entries = new Map<string, Entry>();
  #stopped = false;

  /** `interval` 0: no continuous probes. */
  constructor(host: LatencyHost, interval: number) {
    checkProbeInterval(interval);
    this.#host = host;
    this.#interval = interval;
  }

  /** A connection came up: a fresh estimate (as Chaski resets an edge's), and its probe schedule. */
  up(peer: string): void {
    this.down(peer);
    const entry: Entry = { smoother: new LatencySmoother() };
    this.#entries.set(peer, entry);
    if (this.#interval > 0 && !this.#stopped) this.#schedule(peer, entry);
  }

  down(peer: string): void {
    const entry = this.#entries.get(peer);
    if (entry?.timer !== undefined) clearTimeout(entry.timer);
    this.#entries.delete(peer);
  }

  /** The estimate of the connection to `peer`, if it was probed. */
  estimate(peer: string): LatencyEstimate | undefined {
    return this.#entries.get(peer)?.smoother.estimate;
  }

  /** Connects if need be, sends `probes` probes one after the other, and returns the connection's estimate with them folded in. */
  async measure(peer: string, options: LatencyOptions = {}): Promise<LatencyEstimate> {
    const probes = options.probes ?? 5;
    const timeout = options.timeout ?? 5000;
    if (!Number.isInteger(probes) || probes < 1) throw new RangeError(`latency probes must be an integer ≥ 1, not ${probes}`);
    if (!(timeout > 0)) throw new RangeError(`latency timeout must be a positive number of ms, not ${timeout}`);
    if (peer === this.#host.name) throw new LatencyError('self', peer, 'it is this node');
    try {
      await this.#host.connect(peer);
    } catch (e) {
      throw new LatencyError('unreachable', peer, (e as Error).message, { cause: e });
    }
    for (let i = 0; i < probes; i++) {
      const ms = await probe(this.#host.table, peer, timeout);
      if (this.#stopped) throw new NodeStopped(this.#host.name, 'latency');
      // The entry is looked up after each probe: one that went down and came back has a fresh estimate.
      const entry = this.#entries.get(peer);
      if (ms === undefined || entry === undefined || !this.#host.isConnected(peer))
        throw new LatencyError('no_answer', peer, `probe ${i + 1} of ${probes} got no answer from its net_kernel within ${timeout} ms, or the connection went down`);
      entry.smoother.add(ms);
    }
    return this.#entries.get(peer)!.smoother.estimate!;
  }

  /** No more probes: timers are cleared; a `measure` in flight rejects with NodeStopped once its probe ends with the node's processes. */
  stop(): void {
    this.#stopped = true;
    for (const e of this.#entries.values()) if (e.timer !== undefined) clearTimeout(e.timer);
  }

  #schedule(peer: string, entry: Entry): void {
    entry.timer = setTimeout(() => void this.#tick(peer, entry), this.#interval * (1 + Math.random() / 2));
    entry.timer.unref();
  }

  async #tick(peer: string, entry: Entry): Promise<void> {
    let ms: number | undefined;
    try {
      ms = await probe(this.#host.table, peer, Math.max(this.#interval, 1000));
    } catch (e) {
      return this.#host.debug(`latency probe of ${peer}: ${(e as Error).message}`);
    }
    if (this.#entries.get(peer) !== entry || this.#stopped) return;
    if (ms === undefined) this.#host.debug(`latency probe of ${peer}: no answer`);
    else entry.smoother.add(ms);
    this.#schedule(peer, entry);
  }
}
