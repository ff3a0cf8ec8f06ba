// Chaski's latency smoothing (chaski/node.py Edge.update_latency), as runtime/observe/smoothing.ts implements it.
import { describe, expect, it } from 'vitest';
import { LatencySmoother } from '../../runtime/observe/index.js';

/** Chaski's update, written out step by step from its source, to check the class against. */
function chaski(samples: number[]): { latency: number; jitter: number } {
  let latency = 0;
  let jitter = 0;
  for (const m of samples) {
    if (jitter === 0) {
      latency = m;
      jitter = 100;
    } else {
      const pv = jitter ** 2;
      const lv = 100 ** 2;
      latency = (latency / pv + m / lv) / (1 / pv + 1 / lv);
      jitter = Math.sqrt(1 / (1 / pv + 1 / lv));
    }
  }
  return { latency, jitter };
}

describe('LatencySmoother (Chaski)', () => {
  it('has no estimate before a sample; the first sample is taken as it is, with jitter 100', () => {
    const s = new LatencySmoother();
    expect(s.estimate).toBeUndefined();
    s.add(12.5);
    expect(s.estimate).toEqual({ latency: 12.5, jitter: 100, samples: 1, deviation: 0, last: 12.5 });
  });

  it('follows Chaski’s Gaussian update sample by sample', () => {
    const xs = [0.4, 0.9, 0.3, 5, 0.35, 0.42, 120, 0.5];
    const s = new LatencySmoother();
    xs.forEach((x, i) => {
      s.add(x);
      const want = chaski(xs.slice(0, i + 1));
      expect(s.estimate!.latency).toBeCloseTo(want.latency, 10);
      expect(s.estimate!.jitter).toBeCloseTo(want.jitter, 10);
    });
  });

  it('comes to the mean of the samples, with jitter 100/√n whatever they are', () => {
    const xs = [1, 2, 3, 4, 10];
    const s = new LatencySmoother();
    xs.forEach((x) => s.add(x));
    expect(s.estimate!.latency).toBeCloseTo(4, 10);
    expect(s.estimate!.jitter).toBeCloseTo(100 / Math.sqrt(5), 10);
    const same = new LatencySmoother();
    for (let i = 0; i < 5; i++) same.add(4);
    expect(same.estimate!.jitter).toBeCloseTo(s.estimate!.jitter, 10);
  });

  it('keeps the samples’ standard deviation and the last sample beside Chaski’s figures', () => {
    const s = new LatencySmoother();
    [2, 4, 4, 4, 5, 5, 7, 9].forEach((x) => s.add(x));
    // Sample standard deviation of these eight: √(32/7).
    expect(s.estimate!.deviation).toBeCloseTo(Math.sqrt(32 / 7), 10);
    expect(s.estimate!.last).toBe(9);
    expect(s.estimate!.samples).toBe(8);
    const flat = new LatencySmoother();
    [3, 3, 3].forEach((x) => flat.add(x));
    expect(flat.estimate!.deviation).toBe(0);
  });

  it('refuses a sample that is not a latency', () => {
    const s = new LatencySmoother();
    for (const bad of [-1, NaN, Infinity]) expect(() => s.add(bad)).toThrow(RangeError);
    expect(s.estimate).toBeUndefined();
  });
});
