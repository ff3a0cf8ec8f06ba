/**
 * Interop: nodes without EPMD, as OTP 23+ allows. A beamwire node with
 * `epmd: 'none'` listens on a fixed port and registers nowhere.
 *  - erl started with `-erl_epmd_port P` listens on P and uses no EPMD: we
 *    reach it with `connect(name, { port: P })` and through the `peers` table;
 *  - erl with an `-epmd_module` that gives every peer one fixed port reaches
 *    our node there (OTP's way to run without epmd for any port layout).
 * No EPMD runs on the port these nodes would use: nothing could have found them through one.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atom, Node } from '../../runtime/index.js';
import { shortHost } from '../../runtime/node/names.js';
import { evalIn, requireErl, startErl, type ErlNode } from '../support/erl-node.js';
import { freePort, until, testPort } from '../support/net.js';
import { otp } from '../support/otp.js';

const COOKIE = 'epmdless';
const host = shortHost();
/** An EPMD port where nothing listens. */
const noEpmd = testPort();
const beamDir = mkdtempSync(join(tmpdir(), 'bw-epmdless-'));
const erls: ErlNode[] = [];
const nodes: Node[] = [];

beforeAll(() => {
  requireErl();
  const c = spawnSync(...otp('erlc', ['-o', beamDir, fileURLToPath(new URL('../support/bw_fixed_epmd.erl', import.meta.url))]), { encoding: 'utf8' });
  if (c.status !== 0) throw new Error(`erlc bw_fixed_epmd.erl failed: ${c.error?.message ?? c.stderr}`);
});

afterAll(async () => {
  await Promise.all(erls.map((e) => e.stop()));
  await Promise.all(nodes.map((n) => n.stop()));
  rmSync(beamDir, { recursive: true, force: true });
});

describe('without EPMD', () => {
  it('reaches erl -erl_epmd_port P at P: connect(name, { port }) and the peers table', async () => {
    const port = await freePort();
    const erl = await startErl('fixed', COOKIE, noEpmd, ['-erl_epmd_port', String(port)]);
    erls.push(erl);
    const a = await Node.start({ name: 'tsfixed_a', cookie: COOKIE, epmd: 'none', logger: 'silent' });
    const b = await Node.start({ name: 'tsfixed_b', cookie: COOKIE, epmd: 'none', peers: { [erl.name]: port }, logger: 'silent' });
    nodes.push(a, b);
    await a.connect(erl.name, { port });
    expect(await a.rpc(erl.name, 'erlang', 'node', [])).toBe(atom(erl.name));
    expect(await b.ping(erl.name)).toBe('pong');
    expect(await evalIn(a, erl.name, 'lists:sort(nodes()).')).toEqual([atom(a.name), atom(b.name)]);
  });

  it('is reached by erl at its fixed port (an -epmd_module that knows it)', async () => {
    const port = await freePort();
    const bw = await Node.start({ name: 'tslisten', cookie: COOKIE, epmd: 'none', listen: { port }, logger: 'silent' });
    nodes.push(bw);
    bw.expose('bw', { hello: (who) => atom(`hello_${(who as { name: string }).name}`) });
    process.env.BW_PEER_PORT = String(port);
    const erl = await startErl('dialer', COOKIE, noEpmd, ['-epmd_module', 'bw_fixed_epmd', '-pa', beamDir, '-eval', `pong = net_adm:ping('tslisten@${host}')`]);
    delete process.env.BW_PEER_PORT;
    erls.push(erl);
    await until('erl to connect', 10_000, () => (bw.nodes().includes(erl.name) ? true : undefined), erl.output);
    expect(await evalIn(bw, erl.name, `erpc:call('tslisten@${host}', bw, hello, [world]).`)).toBe(atom('hello_world'));
  });
});
