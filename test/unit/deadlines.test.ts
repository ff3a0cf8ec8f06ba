// The calls table's timeouts: one timer per timeout value, FIFO per value, cancelled entries skipped.
import { describe, expect, it } from 'vitest';
import { Deadlines } from '../../runtime/rpc/deadlines.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('Deadlines', () => {
  it('expires each deadline once, after its time, in deadline order across timeout values; cancelled ones never', async () => {
    const d = new Deadlines();
    const fired: string[] = [];
    const t0 = performance.now();
    const at: Record<string, number> = {};
    const mark = (name: string) => () => {
      fired.push(name);
      at[name] = performance.now() - t0;
    };
    d.add(60, mark('a60'));
    d.add(60, mark('b60')).cancel();
    d.add(20, mark('c20'));
    d.add(60, mark('d60'));
    expect(d.size).toBe(3);
    await sleep(120);
    expect(fired).toEqual(['c20', 'a60', 'd60']);
    expect(at.c20!).toBeGreaterThanOrEqual(19);
    expect(at.a60!).toBeGreaterThanOrEqual(59);
    expect(d.size).toBe(0);
  });

  it('a deadline added while others expire gets its own full time', async () => {
    const d = new Deadlines();
    const fired: string[] = [];
    d.add(20, () => {
      fired.push('first');
      d.add(20, () => fired.push('second'));
    });
    await sleep(30);
    expect(fired).toEqual(['first']);
    await sleep(40);
    expect(fired).toEqual(['first', 'second']);
    expect(d.size).toBe(0);
  });

  it('thousands of deadlines that end early leave nothing waiting, and later ones still expire', async () => {
    const d = new Deadlines();
    for (let i = 0; i < 5000; i++) d.add(10_000, () => expect.unreachable('cancelled')).cancel();
    expect(d.size).toBe(0);
    let expired = false;
    d.add(10, () => (expired = true));
    await sleep(40);
    expect(expired).toBe(true);
  });
});
