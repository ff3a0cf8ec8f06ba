/**
 * Interop tier: a Node survives its EPMD going away (no unhandled 'error',
 * which would fail this file), registers again, and a new Erlang node then
 * finds it (net_adm:ping/1 from a fresh `erl` started afterwards: pong).
 * The EpmdPresence beneath it has its own tiers (test/unit/epmd-presence,
 * test/interop/epmd-presence); this is the node as a user runs it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Node } from '../../runtime/node/node.js';
import { requireErl, runAgainst } from '../support/erl-node.js';
import { EpmdClient } from '../../runtime/epmd/index.js';
import { otp } from '../support/otp.js';
import { testPort } from '../support/net.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
beforeAll(() => requireErl());

const freePort = (): number => testPort();

async function startEpmd(port: number): Promise<ChildProcess> {
  const p = spawn(...otp('epmd', ['-port', String(port)]), { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (await new EpmdClient({ port, timeout: 200 }).names().then(() => true, () => false)) return p;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`epmd -port ${port} did not start`);
}

/** A fresh Erlang node, started now, pings `name` through the EPMD on `port`. */
async function newErlPings(port: number, name: string): Promise<string> {
  const r = await runAgainst(port, 'erl', ['-sname', `probe${Math.floor(Math.random() * 1e6)}`, '-setcookie', 'secret', '-start_epmd', 'false', '-noshell', '-eval', `io:format("~p~n", [net_adm:ping('${name}')]), halt().`]);
  return r.out.trim().split('\n').at(-1)!;
}

describe('EPMD going away', () => {
  it('epmd killed with -9 and started again: the node registers again and a new erl pings it', async () => {
    const port = freePort();
    let epmd = await startEpmd(port);
    cleanups.push(() => void epmd.kill('SIGKILL'));
    const node = await Node.start({ name: 'survivor', cookie: 'secret', epmd: { mode: 'external', port } });
    cleanups.push(() => node.stop());
    expect(await newErlPings(port, node.name)).toBe('pong');
    const lost = new Promise((r) => node.once('epmdLost', r));
    const back = new Promise((r) => node.once('epmdRegistered', r));
    const killedAt = Date.now();
    epmd.kill('SIGKILL');
    await lost;
    epmd = await startEpmd(port);
    await back;
    expect(await newErlPings(port, node.name)).toBe('pong');
    console.log(`kill -9 of epmd → a new erl node pings the node: ${Date.now() - killedAt} ms (erl boot included)`);
  }, 60_000);

  it('the node that runs the embedded EPMD stops: another beamwire node takes it over and a new erl pings the rest', async () => {
    const port = freePort();
    const owner = await Node.start({ name: 'owner', cookie: 'secret', epmd: { mode: 'embedded', port } });
    let ownerStopped = false;
    cleanups.push(() => (ownerStopped ? undefined : owner.stop()));
    const a = await Node.start({ name: 'heir_a', cookie: 'secret', epmd: { mode: 'auto', port } });
    cleanups.push(() => a.stop());
    const b = await Node.start({ name: 'heir_b', cookie: 'secret', epmd: { mode: 'auto', port } });
    cleanups.push(() => b.stop());
    const backA = new Promise((r) => a.once('epmdRegistered', r));
    const backB = new Promise((r) => b.once('epmdRegistered', r));
    await owner.stop();
    ownerStopped = true;
    await Promise.all([backA, backB]);
    expect(await newErlPings(port, a.name)).toBe('pong');
    expect(await newErlPings(port, b.name)).toBe('pong');
    expect(await newErlPings(port, owner.name)).toBe('pang');
  }, 60_000);
});
