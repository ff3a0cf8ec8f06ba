/**
 * Busy wait after distribution traffic, as OTP's schedulers do (`+sbwt`):
 * for a short window after a packet goes out or comes in, the event loop
 * keeps polling with a zero timeout (a chain of `setImmediate`) instead of
 * sleeping in epoll, so a reply that arrives within the window is read at
 * once rather than after a sleeping thread is woken (tens of µs on a VM,
 * the largest share of a beamwire round trip's excess over Erlang's:
 * BENCHMARKS.md, "Busy wait"). The cost is CPU for at most the window after
 * the last packet; a window of 0 turns it off.
 *
 * One chain per process, whatever the number of connections: each packet
 * only moves the deadline.
 */
import { performance } from 'node:perf_hooks';

/** The default window, in µs: past a loopback round trip's p50 here (35-60 µs), short beside OTP's medium threshold. */
export const DEFAULT_BUSY_WAIT_US = 100;

// Taken at load: a test's fake timers must not capture the chain (with a frozen clock it would never end).
const immediate = globalThis.setImmediate;
const now = performance.now.bind(performance);
let until = 0;
let spinning = false;

const step = (): void => {
  if (now() < until) immediate(step);
  else spinning = false;
};

/** Keeps the loop polling for `windowUs` µs from now (or longer, if an earlier call asked for more). */
export function busyWait(windowUs: number): void {
  const t = now() + windowUs / 1000;
  if (t > until) until = t;
  if (!spinning) {
    spinning = true;
    immediate(step);
  }
}

/** Whether the loop is busy-waiting now. */
export const busyWaiting = (): boolean => spinning;
