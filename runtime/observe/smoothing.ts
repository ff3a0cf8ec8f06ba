/**
 * Chaski's latency smoothing, so that `node.latency` reports what a Chaski
 * edge reports. chaski/node.py, `Edge.update_latency`: a Gaussian (Bayesian)
 * update of a prior N(latency, jitter²) by a measurement of fixed variance
 * 100², latency the posterior mean and jitter the posterior standard
 * deviation; a fresh edge (jitter 0) takes the first sample as it is, with
 * jitter 100. Worked through, after n samples the latency is their mean and
 * the jitter 100/√n: Chaski's jitter says how sure the estimate is, not how
 * much the samples vary. `deviation` (their sample standard deviation) is
 * that second thing, kept beside it.
 */

/** Chaski's measurement variance, in ms². */
const MEASUREMENT_VARIANCE = 100 ** 2;

export interface LatencyEstimate {
  /** Smoothed one-way latency in ms (half the round trip, as Chaski's ping): Chaski's posterior mean. */
  readonly latency: number;
  /** Chaski's jitter in ms: the posterior standard deviation, 100/√samples. */
  readonly jitter: number;
  /** How many probes went into the estimate. */
  readonly samples: number;
  /** The standard deviation of those probes' latencies in ms (0 below two samples). */
  readonly deviation: number;
  /** The last probe's latency in ms. */
  readonly last: number;
}

export class LatencySmoother {
  #latency = 0;
  #jitter = 0;
  #samples = 0;
  // Welford's running mean and sum of squares, for `deviation`.
  #mean = 0;
  #m2 = 0;
  #last = 0;

  /** Folds one probe's latency (ms, ≥ 0) in. */
  add(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`a latency sample must be a finite number of ms ≥ 0, not ${ms}`);
    if (this.#jitter === 0) {
      this.#latency = ms;
      this.#jitter = 100;
    } else {
      const prior = this.#jitter ** 2;
      const posterior = 1 / (1 / prior + 1 / MEASUREMENT_VARIANCE);
      this.#latency = (this.#latency / prior + ms / MEASUREMENT_VARIANCE) * posterior;
      this.#jitter = Math.sqrt(posterior);
    }
    this.#samples++;
    const d = ms - this.#mean;
    this.#mean += d / this.#samples;
    this.#m2 += d * (ms - this.#mean);
    this.#last = ms;
  }

  /** The estimate so far; undefined before the first sample. */
  get estimate(): LatencyEstimate | undefined {
    if (this.#samples === 0) return undefined;
    const deviation = this.#samples < 2 ? 0 : Math.sqrt(this.#m2 / (this.#samples - 1));
    return { latency: this.#latency, jitter: this.#jitter, samples: this.#samples, deviation, last: this.#last };
  }
}
