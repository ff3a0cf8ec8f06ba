/**
 * Interop: EPMD against real Erlang. (a) EpmdClient against the real `epmd`
 * binary, and the embedded server answering raw requests byte for byte as
 * that epmd does; (b) real `erl` nodes registering with the embedded EPMD
 * and finding each other through it (net_adm:ping/1); (c) Erlang's
 * net_adm:names/0 reading the embedded EPMD's NAMES answer.
 *
 * Always run: without `epmd`/`erl` every test fails naming the executable.
 * Every child process is killed in afterAll; ports come from the OS, never 4369.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { connect } from 'node:net';
import { hostname } from 'node:os';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort, until as poll } from '../support/net.js';
import { EpmdClient, EpmdServer, findEpmd, type EpmdError } from '../../runtime/epmd/index.js';
import { otp } from '../support/otp.js';

const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

interface Proc {
  readonly child: ChildProcess;
  readonly out: () => string;
  readonly exited: Promise<number | null>;
}

/** Starts `cmd`; rejects (never hangs) if it cannot be run at all, e.g. not installed. */
function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const child = spawn(...otp(cmd, args), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => (children.delete(child), r(code))));
    child.once('error', (e) => reject(new Error(`cannot run ${cmd} (the interop tests need Erlang/OTP on PATH): ${e.message}`)));
    child.once('spawn', () => resolve({ child, out: () => out, exited }));
  });
}

const until = <T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined, proc?: Proc): Promise<T> =>
  poll(what, ms, probe, proc?.out, 50);


/** A foreground `epmd -port P` that answers NAMES. */
async function startEpmd(): Promise<{ port: number; proc: Proc }> {
  const port = await freePort();
  const proc = await run('epmd', ['-port', String(port)], { ERL_EPMD_PORT: String(port) });
  await until(`epmd on port ${port}`, 5000, async () => ((await findEpmd(port)) ? true : proc.child.exitCode !== null ? false : undefined), proc).then((ok) => {
    if (!ok) throw new Error(`epmd -port ${port} exited: ${proc.out()}`);
  });
  return { port, proc };
}

/** Sends raw bytes; what came back (through `mask`), and whether the peer closed within `ms`. */
function raw(port: number, bytes: number[], mask: (b: number[]) => number[] = (b) => b, ms = 500): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    const got: number[] = [];
    const show = (state: string): string => `${state} ${JSON.stringify(Buffer.from(mask(got)).toString('latin1'))}`;
    const timer = setTimeout(() => (s.destroy(), resolve(show('still open'))), ms);
    s.on('error', () => {});
    s.on('data', (c: Buffer) => got.push(...c));
    s.on('close', () => (clearTimeout(timer), resolve(show('closed'))));
    s.write(Uint8Array.from(bytes));
  });
}

const u16 = (n: number): number[] => [n >> 8, n & 255];
const text = (s: string): number[] => [...Buffer.from(s)];
const alive2 = (name: string | number[], port: number, { extra = [] as number[], high = 6 } = {}): number[] => {
  const n = typeof name === 'string' ? text(name) : name;
  const body = [120, ...u16(port), 77, 0, ...u16(high), 0, 5, ...u16(n.length), ...n, ...u16(extra.length), ...extra];
  return [...u16(body.length), ...body];
};

/**
 * beforeAll for the enclosing describe; if it fails, each of its tests fails
 * with the reason (a missing epmd or erl included) instead of being skipped.
 */
function setup(f: () => Promise<void>): void {
  let failure: unknown;
  beforeAll(async () => {
    try {
      await f();
    } catch (e) {
      failure = e;
    }
  });
  beforeEach(() => {
    if (failure !== undefined) throw failure;
  });
}

describe('(a) EpmdClient against the real epmd binary', () => {
  let epmd: { port: number; proc: Proc };
  let client: EpmdClient;
  setup(async () => {
    epmd = await startEpmd();
    client = new EpmdClient({ port: epmd.port, timeout: 3000 });
  });

  it('register → ALIVE2_X_RESP creation; portPlease and names see it; the same name again is NAME_TAKEN; close() unregisters', async () => {
    const t0 = Math.floor(Date.now() / 1000);
    const reg = await client.register({ name: 'bw_a', port: 40725, extra: Uint8Array.of(1, 2, 3) });
    // A new name gets time() + 1: the counter starts at time() and every registration bumps it (what the embedded one copies).
    expect(reg.creation).toBeGreaterThanOrEqual(t0 + 1);
    expect(reg.creation).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 1);
    expect(await client.portPlease('bw_a')).toEqual({ port: 40725, nodeType: 77, protocol: 0, highestVersion: 6, lowestVersion: 6, name: 'bw_a', extra: Uint8Array.of(1, 2, 3) });
    expect(await client.portPlease('bw_nobody')).toBeUndefined();
    expect(await client.names()).toEqual({ epmdPort: epmd.port, nodes: [{ name: 'bw_a', port: 40725 }] });
    await expect(client.register({ name: 'bw_a', port: 1 })).rejects.toMatchObject({ name: 'EpmdError', code: 'NAME_TAKEN' });
    await reg.close();
    await until('epmd to drop bw_a', 3000, async () => ((await client.portPlease('bw_a')) === undefined ? true : undefined));
    const again = await client.register({ name: 'bw_a', port: 40725 });
    expect(again.creation).toBe(reg.creation + 1); // epmd's cr_counter, bumped per re-registration
    await again.close();
  });

  it('the embedded server answers raw requests with the bytes epmd sends (creation and port masked)', async () => {
    const ours = await EpmdServer.start();
    try {
      const regs = await Promise.all([client, new EpmdClient({ port: ours.port })].map((c) => c.register({ name: 'bw_d', port: 4242 })));
      // Masks for what differs by design: the EPMD's own port, and time-based creations.
      const port = (b: number[]): number[] => b.slice(4);
      const creation = (b: number[]): number[] => b.map((x, i) => (i >= 2 ? 0 : x));
      const cases: [string, number[], ((b: number[]) => number[])?][] = [
        ['PORT_PLEASE2_REQ', [0, 5, 122, ...text('bw_d')]],
        ['PORT_PLEASE2_REQ with a trailing NUL', [0, 6, 122, ...text('bw_d'), 0]],
        ['PORT_PLEASE2_REQ unknown', [0, 3, 122, ...text('zz')]],
        ['PORT_PLEASE2_REQ with NUL inside', [0, 4, 122, 97, 0, 98]],
        ['PORT_PLEASE2_REQ, 256 characters', [...u16(257), 122, ...text('p'.repeat(256))]],
        ['PORT_PLEASE2_REQ, not UTF-8', [0, 2, 122, 0xff]],
        ['NAMES_REQ', [0, 1, 110], port],
        ['NAMES_REQ with a byte more in its frame', [0, 2, 110, 5], port],
        ['ALIVE2_REQ for a new name (creation masked)', alive2('bw_new', 1), creation],
        ['ALIVE2_REQ from a version 5 node (creation masked)', alive2('bw_v5', 1, { high: 5 }), creation],
        ['ALIVE2_REQ for a name taken', alive2('bw_d', 1)],
        ['ALIVE2_REQ, 256 characters', alive2('n'.repeat(256), 1)],
        ['ALIVE2_REQ, 1021 bytes of extra', alive2('bw_e', 1, { extra: Array<number>(1021).fill(1) })],
        ['ALIVE2_REQ, a name that is not UTF-8', alive2([0xff], 1)],
        ['ALIVE2_REQ without a name', [0, 13, 120, 0, 1, 77, 0, 0, 6, 0, 5, 0, 0, 0, 0]],
        ['ALIVE2_REQ with NUL in the name', alive2('a\0b', 1)],
        ['ALIVE2_REQ followed by a byte in the same write', [...alive2('bw_y', 1), 0]],
        ['a truncated ALIVE2_REQ body', [0, 14, 120, 0, 1, 77, 0, 0, 6, 0, 6, 0, 200, 120, 0, 0]],
        ['KILL_REQ with nodes registered', [0, 1, 107]],
        ['STOP_REQ without -relaxed_command_check', [0, 3, 115, ...text('bw_d')]],
        ['unknown request tag', [0, 1, 99]],
        ['a second request on one connection', [0, 1, 110, 0, 1, 110]],
        ['an empty frame', [0, 0]],
        ['a length of 3057 (the largest epmd takes), nothing sent', [...u16(3057)]],
        ['a length of 3058, nothing sent', [...u16(3058)]],
      ];
      for (const [what, bytes, mask] of cases) {
        const [theirs, mine] = await Promise.all([raw(epmd.port, bytes, mask), raw(ours.port, bytes, mask)]);
        expect(mine, what).toBe(theirs);
      }
      // The one deliberate difference: epmd's layout check lets an empty name through when Elen > 0, and
      // registers "" (then lists "name  at port 1"); ours refuses it as an invalid name.
      const emptyName = [0, 14, 120, 0, 1, 77, 0, 0, 6, 0, 5, 0, 0, 0, 1, 7];
      const shown = (state: string, bytes: number[]): string => `${state} ${JSON.stringify(Buffer.from(bytes).toString('latin1'))}`;
      expect(await raw(epmd.port, emptyName, creation)).toBe(shown('still open', [118, 0, 0, 0, 0, 0]));
      expect(await raw(ours.port, emptyName)).toBe(shown('still open', [118, 1, 0, 0, 0, 99]));
      for (const port of [epmd.port, ours.port]) {
        const peer = connect({ host: '127.0.0.1', port });
        let got = 0;
        peer.on('data', (c: Buffer) => (got += c.length));
        peer.write(Uint8Array.from(alive2('bw_x', 7)));
        const c = new EpmdClient({ port });
        await until('ALIVE2_X_RESP', 3000, () => (got === 6 ? true : undefined));
        expect((await c.portPlease('bw_x'))?.port).toBe(7);
        const closed = new Promise((r) => peer.on('close', r));
        peer.write(Uint8Array.of(0));
        await closed; // epmd: "got more than expected on ALIVE socket"
        await until(`${port === ours.port ? 'ours' : 'epmd'} to drop bw_x`, 3000, async () => ((await c.portPlease('bw_x')) === undefined ? true : undefined));
      }
      await Promise.all(regs.map((r) => r.close()));
    } finally {
      await ours.close();
    }
  });

  it('an erl node and beamwire see each other in the real epmd (erl_epmd:names/1, PORT_PLEASE2 for an OTP node)', async () => {
    const ours = await client.register({ name: 'bw_ts', port: 4343 });
    const erlName = `bw_erl_${process.pid}`;
    const erl = await run('erl', ['-noshell', '-sname', erlName, '-setcookie', 'c', '-start_epmd', 'false', '-eval',
      '{ok, Ns} = net_adm:names(), [io:format("name ~s ~w~n", [N, P]) || {N, P} <- Ns], io:format("done~n"), timer:sleep(infinity).'], { ERL_EPMD_PORT: String(epmd.port) });
    try {
      await until(`erl -sname ${erlName} to list the names`, 20_000, () => (/^done$/m.test(erl.out()) ? true : undefined), erl);
      expect(erl.out()).toMatch(/^name bw_ts 4343$/m);
      const info = await client.portPlease(erlName);
      // OTP 25 registers NodeType 77, protocol 0 and versions 6..5 (not 6..6 as its documentation says).
      expect(info).toMatchObject({ name: erlName, nodeType: 77, protocol: 0, highestVersion: 6, lowestVersion: 5 });
      expect(erl.out()).toContain(`name ${erlName} ${info!.port}`);
    } finally {
      erl.child.kill('SIGKILL');
      await erl.exited;
      await ours.close();
    }
  });

  it('a registration is lost when epmd goes away', async () => {
    const other = await startEpmd();
    const reg = await new EpmdClient({ port: other.port }).register({ name: 'bw_l', port: 9 });
    const lost = new Promise<EpmdError>((resolve) => reg.on('lost', resolve));
    other.proc.child.kill('SIGKILL');
    expect(await lost).toMatchObject({ code: 'LOST' });
  });
});

describe('(b, c) real erl nodes and the embedded EPMD', () => {
  const cookie = 'bw_epmd_cookie';
  const tag = `${process.pid}_${Date.now() % 100000}`;
  const xName = `bw_x_${tag}`;
  const yName = `bw_y_${tag}`;
  let server: EpmdServer;
  let client: EpmdClient;
  let x: Proc;
  /** x's full node name, as it prints it: the host part is what erl -sname chose. */
  let xNode: string;
  let env: Record<string, string>;

  setup(async () => {
    // erl -sname uses the short host name; it must resolve, and the EPMD must listen where it resolves to.
    const host = hostname().split('.')[0]!;
    const resolved = await lookup(host).catch((e: unknown) => {
      throw new Error(`the short host name ${JSON.stringify(host)} (what erl -sname uses) does not resolve: ${String(e)}`);
    });
    const loopback = resolved.address.startsWith('127.') || resolved.address === '::1';
    server = await EpmdServer.start({ port: 0, host: loopback ? '127.0.0.1' : '0.0.0.0' });
    client = new EpmdClient({ port: server.port, timeout: 3000 });
    env = { ERL_EPMD_PORT: String(server.port) };
    x = await run('erl', ['-noshell', '-sname', xName, '-setcookie', cookie, '-start_epmd', 'false', '-eval', 'io:format("node ~s~n", [node()]), timer:sleep(infinity).'], env);
    xNode = await until(`erl -sname ${xName} to start and register with the embedded EPMD`, 20_000, () => /^node (\S+)$/m.exec(x.out())?.[1], x);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('erl -sname registers with the embedded EPMD: names() and portPlease see it (erl_epmd:register_node)', async () => {
    expect(xNode).toBe(`${xName}@${hostname().split('.')[0]}`);
    const node = server.nodes.find((n) => n.nodeName === xName);
    expect(node, 'x in the embedded table').toBeDefined();
    expect(node!.creation).toBeGreaterThanOrEqual(4);
    const info = await client.portPlease(xName);
    expect(info).toMatchObject({ name: xName, nodeType: 77, protocol: 0, highestVersion: 6 });
    expect(info!.lowestVersion).toBeLessThanOrEqual(6);
    expect(info!.port).toBe(node!.portNo);
    expect((await client.names()).nodes).toContainEqual({ name: xName, port: info!.port });
  });

  it('a second erl finds the first through it: net_adm:ping/1 → pong; net_adm:names/0 lists both; its creation is ours', async () => {
    const script = [
      `io:format("ping ~p~n", [net_adm:ping('${xNode}')])`,
      `{ok, Names} = net_adm:names()`,
      `[io:format("name ~s ~w~n", [N, P]) || {N, P} <- Names]`,
      `io:format("creation ~w~n", [erlang:system_info(creation)])`,
      `halt()`,
    ].join(', ');
    const started = Date.now();
    const y = await run('erl', ['-noshell', '-sname', yName, '-setcookie', cookie, '-start_epmd', 'false', '-eval', `${script}.`], env);
    const timer = setTimeout(() => y.child.kill('SIGKILL'), 20_000);
    const code = await y.exited;
    clearTimeout(timer);
    const out = y.out();
    expect(code, out).toBe(0);
    expect(out).toMatch(/^ping pong$/m);
    const listed = [...out.matchAll(/^name (\S+) (\d+)$/gm)].map((m) => ({ name: m[1], port: Number(m[2]) }));
    const xPort = (await client.portPlease(xName))!.port;
    expect(listed).toContainEqual({ name: xName, port: xPort });
    expect(listed.map((n) => n.name)).toContain(yName);
    // y's creation is the one the embedded EPMD gave it: the time in seconds when it registered.
    const creation = Number(/^creation (\d+)$/m.exec(out)?.[1]);
    expect(creation).toBeGreaterThanOrEqual(Math.floor(started / 1000));
    expect(creation).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 1);
    await until(`${yName} to be unregistered after it halted`, 5000, async () => ((await client.portPlease(yName)) === undefined ? true : undefined));
  });

  it('killing erl closes its ALIVE2 connection and the embedded EPMD drops the name', async () => {
    x.child.kill('SIGKILL');
    await x.exited;
    await until(`${xName} to be unregistered`, 5000, async () => ((await client.names()).nodes.some((n) => n.name === xName) ? undefined : true));
    expect(await client.portPlease(xName)).toBeUndefined();
  });
});
