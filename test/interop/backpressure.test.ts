/**
 * Interop tier: back-pressure against a real erl (issue 8, point 5). A burst
 * of node.send (erlang:send/2 seen from the receiving side: the dist
 * receiver and the process's mailbox) arrives complete and in order; a
 * process that sends in a loop to an erl that is SIGSTOPped is suspended at
 * its next receive instead of buffering without bound, node.drain(peer)
 * waits too, and both go on once the peer runs again, nothing lost or
 * reordered. The sink is test/support/burst_sink.erl.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atom, tuple, Tuple, type Term } from '../../runtime/index.js';
import { Node } from '../../runtime/node/node.js';
import { on, P } from '../../runtime/process/index.js';
import { evalIn, requireErl, startErl, type ErlNode } from '../support/erl-node.js';
import { otp } from '../support/otp.js';
import { testPort } from '../support/net.js';

const epmdPort = testPort();
const beamDir = mkdtempSync(join(tmpdir(), 'beamwire-bp-'));
let node: Node;
let peer: ErlNode;

const payload = tuple(atom('get'), 'user:1', [tuple(atom('timeout'), 5000), tuple(atom('retries'), 3)]);
const msg = (i: number): Term => tuple(atom('seq'), i, payload);

/** burst_sink:report/0: {Count, NextExpected, Gaps}; asked over the same connection, so after everything sent before. */
async function report(): Promise<{ count: number; next: number; gaps: number }> {
  const r = await evalIn(node, peer.name, 'burst_sink:report().', 120_000);
  if (!(r instanceof Tuple)) throw new Error(`burst_sink:report() gave ${String(r)}`);
  const [count, next, gaps] = r.elements.map(Number) as [number, number, number];
  return { count, next, gaps };
}

beforeAll(async () => {
  requireErl();
  const erlc = spawnSync(...otp('erlc', ['-o', beamDir, fileURLToPath(new URL('../support/burst_sink.erl', import.meta.url))]), { encoding: 'utf8' });
  if (erlc.status !== 0) throw new Error(`erlc burst_sink.erl failed: ${erlc.error?.message ?? erlc.stderr}`);
  node = await Node.start({ name: 'tsbp', cookie: 'bp', epmd: { mode: 'embedded', port: epmdPort } });
  peer = await startErl('bppeer', 'bp', epmdPort, ['-pa', beamDir, '-s', 'burst_sink', 'start', '0', '0']);
  expect(await node.ping(peer.name)).toBe('pong');
}, 60_000);

afterAll(async () => {
  if (peer?.child.signalCode === null) peer.child.kill('SIGCONT');
  await peer?.stop();
  await node?.stop();
  rmSync(beamDir, { recursive: true, force: true });
});

describe('back-pressure against erl', () => {
  it('a synchronous burst of 200 000 node.send to a registered process arrives complete and in order', async () => {
    await evalIn(node, peer.name, 'burst_sink:reset().');
    for (let i = 0; i < 200_000; i++) node.send(['sink', peer.name], msg(i));
    expect(await report()).toEqual({ count: 200_000, next: 200_000, gaps: 0 });
  }, 120_000);

  it('a SIGSTOPped peer suspends a sending process at its next receive, and node.drain waits; both go on after SIGCONT, in order', async () => {
    await evalIn(node, peer.name, 'burst_sink:reset().');
    const dest = tuple(atom('sink'), atom(peer.name));
    const never = on(P.tuple(atom('never')), () => undefined);
    const total = 400_000;
    let sent = 0;
    peer.child.kill('SIGSTOP');
    const sender = node.spawn(async (self) => {
      while (sent < total) {
        for (let k = 0; k < 1000; k++) self.send(dest, msg(sent++));
        await self.receive([never], { timeout: 0, after: () => undefined });
        await new Promise((r) => setImmediate(r));
      }
    });
    // It stops once the connection is over its mark (8 MiB of ~110-byte messages, plus the kernel's buffers).
    let last = -1;
    for (let i = 0; i < 100 && sent !== last; i++) {
      last = sent;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(sent).toBe(last);
    expect(sent).toBeLessThan(total);
    let drained = false;
    const drain = node.drain(peer.name).then(() => (drained = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(drained).toBe(false);
    expect(sent).toBe(last);
    peer.child.kill('SIGCONT');
    await drain;
    await sender.exited;
    expect(sent).toBe(total);
    expect(await report()).toEqual({ count: total, next: total, gaps: 0 });
  }, 120_000);
});
