/**
 * Interop tier: a node's life ends cleanly. node.stop() leaves nothing that
 * keeps Node.js running or comes back (no reconnect from a pending monitor,
 * no timer, no socket), settles what was waiting, and every operation on a
 * stopped node fails with NodeStopped. Against a real erl (net_kernel's
 * nodes/0 and monitor_nodes/1 tell whether anything dialled it again).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atom, isBeamwireError, type Term } from '../../runtime/index.js';
import { Node } from '../../runtime/node/node.js';
import { evalIn, requireErl, startErl, type ErlNode } from '../support/erl-node.js';
import { testPort } from '../support/net.js';

const epmdPort = testPort();
const child = fileURLToPath(new URL('../support/lifecycle-child.ts', import.meta.url));
let driver: Node;
let peer: ErlNode;
const erl = (src: string): Promise<Term> => evalIn(driver, peer.name, src);

/** Runs the user program; resolves with its lines, exit code, and ms from its 'stopped' line to its exit. */
function runChild(env: Record<string, string>): Promise<{ lines: string[]; code: number | null; afterStop: number; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['--import', 'tsx', child], {
      env: { ...process.env, ERL_EPMD_PORT: String(epmdPort), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stoppedAt = 0;
    c.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (stoppedAt === 0 && out.includes('stopped\n')) stoppedAt = Date.now();
    });
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const killer = setTimeout(() => c.kill('SIGKILL'), 30_000);
    c.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ lines: out.trim().split('\n'), code, afterStop: stoppedAt === 0 ? Infinity : Date.now() - stoppedAt, out });
    });
  });
}

beforeAll(async () => {
  requireErl();
  driver = await Node.start({ name: 'driver', cookie: 'secret', epmd: { mode: 'embedded', port: epmdPort } });
  peer = await startErl('lifepeer', 'secret', epmdPort);
}, 60_000);

afterAll(async () => {
  await peer?.stop();
  await driver?.stop();
});

describe('node.stop()', () => {
  it('a program that stops its node exits by itself; what waited settles; a stopped node refuses everything', async () => {
    const r = await runChild({ PEER: peer.name, NAME: 'life' });
    expect(r.code, r.out).toBe(0);
    expect(r.afterStop, r.out).toBeLessThan(3000);
    expect(r.lines).toContain('ping pong');
    expect(r.lines).toContain(`nodedown ${peer.name} local`);
    expect(r.lines).toContain('remote-down noconnection');
    expect(r.lines).toContain('local-down shutdown');
    expect(r.lines).toContain('late-down noconnection');
    expect(r.lines).toContain('link shutdown');
    expect(r.lines.indexOf('terminate shutdown'), r.out).toBeGreaterThan(-1);
    expect(r.lines.indexOf('terminate shutdown')).toBeLessThan(r.lines.indexOf('stopped'));
    expect(r.lines).toContain('inflight NodeStopped NODE_STOPPED');
    for (const what of ['rpc', 'ping', 'call', 'drain', 'send']) expect(r.lines).toContain(`after ${what} NODE_STOPPED`);
    expect(r.lines.at(-1)).toBe('end');
  }, 60_000);

  it('nothing dials the peer again after stop (erlang:monitor_nodes sees one nodeup and one nodedown)', async () => {
    await erl(`Parent = self(), P = spawn(fun() -> net_kernel:monitor_nodes(true), Parent ! ready, L = fun L(Acc) -> receive {nodeup, N} -> L([{up, N} | Acc]); {nodedown, N} -> L([{down, N} | Acc]); {get, From} -> From ! {seen, lists:reverse(Acc)} end end, L([]) end), register(watch, P), receive ready -> ok end.`);
    const node = await Node.start({ name: 'brief', cookie: 'secret', epmd: { port: epmdPort } });
    expect(await node.ping(peer.name)).toBe('pong');
    const m = node.monitor(['ctl', peer.name]);
    node.monitor(['no_such_name', peer.name]);
    await node.stop();
    expect(await m.down).toBe(atom('noconnection'));
    await new Promise((r) => setTimeout(r, 1500));
    const seen = await erl(`watch ! {get, self()}, receive {seen, S} -> [X || {_, N} = X <- S, N =:= '${node.name}'] after 2000 -> timeout end.`);
    expect(seen).toEqual([
      expect.objectContaining({ elements: [atom('up'), atom(node.name)] }),
      expect.objectContaining({ elements: [atom('down'), atom(node.name)] }),
    ]);
    expect(await erl(`lists:member('${node.name}', nodes()).`)).toBe(false);
  }, 30_000);

  it("a server whose terminate never returns holds stop() for 5 s at most (a worker's shutdown timeout), then it is ended", async () => {
    const node = await Node.start({ name: 'stuck', cookie: 'secret', epmd: { port: epmdPort } });
    const server = await node.serve('stuck', { init: () => 0, handleCall: () => ({ reply: 0, state: 0 }), terminate: () => new Promise<void>(() => {}) });
    const t = Date.now();
    await node.stop();
    expect(Date.now() - t).toBeGreaterThanOrEqual(4900);
    expect(await server.exited).toBe(atom('shutdown'));
  }, 20_000);

  it('stop is idempotent, and spawn, register, link, monitor, expose throw NodeStopped', async () => {
    const node = await Node.start({ name: 'twice', cookie: 'secret', epmd: { port: epmdPort } });
    const p = node.spawn(() => undefined);
    const first = node.stop();
    expect(node.stop()).toBe(first);
    await first;
    expect(node.isStopped).toBe(true);
    expect(node.nodes()).toEqual([]);
    for (const f of [
      () => node.spawn(() => undefined),
      () => node.register('x', p.pid),
      () => node.link(p.pid, () => {}),
      () => node.monitor(p.pid),
      () => node.expose('m', {}),
      () => node.cast(['kv', peer.name], 1),
    ])
      expect(f).toThrow(expect.objectContaining({ name: 'NodeStopped', code: 'NODE_STOPPED' }));
    await expect(node.serve('s', { init: () => 0, handleCall: () => ({ reply: 0, state: 0 }) })).rejects.toSatisfy((e: unknown) => isBeamwireError(e, 'NODE_STOPPED'));
    await expect(node.connect(peer.name)).rejects.toSatisfy((e: unknown) => isBeamwireError(e, 'NODE_STOPPED'));
  });
});
