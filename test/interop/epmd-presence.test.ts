/**
 * Interop: EpmdPresence against Erlang's own `epmd -port N` and `erl`.
 * (a) epmd killed with -9 and started again: the presence registers again
 * and a NEW erl node (started after the kill) finds it with
 * net_adm:names/0; the time from the kill is printed. (b) the same kill in
 * 'auto' mode: the presence takes the port over with the embedded EPMD and
 * erl finds it there. (c) three presences on one port, the first running
 * the embedded EPMD: it stops, another takes over, erl finds the other two.
 *
 * Always run: without `epmd`/`erl` every test fails naming the executable.
 * Ports are 46000 + random; every child is killed in afterAll.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { until as poll, testPort } from '../support/net.js';
import { EpmdPresence, findEpmd, type PresenceInfo } from '../../runtime/epmd/index.js';
import { requireErl } from '../support/erl-node.js';
import { otp } from '../support/otp.js';

const children = new Set<ChildProcess>();
const presences: EpmdPresence[] = [];
beforeAll(() => requireErl());
afterEach(async () => {
  for (const p of presences.splice(0)) await p.close();
});
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

interface Proc {
  readonly child: ChildProcess;
  readonly out: () => string;
  readonly exited: Promise<number | null>;
}

function run(cmd: string, args: string[], epmdPort: number): Proc {
  const child = spawn(...otp(cmd, args), { env: { ...process.env, ERL_EPMD_PORT: String(epmdPort) }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  child.on('error', (e) => (out += `cannot run ${cmd}: ${e.message}`));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => (children.delete(child), r(code))));
  return { child, out: () => out, exited };
}

const until = <T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined, proc?: Proc): Promise<T> =>
  poll(what, ms, probe, proc?.out, 5);

const randomPort = (): number => testPort();

/** A foreground `epmd -port N`, answering NAMES. */
async function startEpmd(port: number): Promise<Proc> {
  const proc = run('epmd', ['-port', String(port)], port);
  await until(`epmd -port ${port}`, 5000, async () => ((await findEpmd(port, { timeout: 200 })) ? true : undefined), proc);
  return proc;
}

/**
 * A new erl node (-sname, registering with the EPMD on `port` itself) that
 * polls net_adm:names/0 until every one of `names` is listed, prints them
 * and halts: how an Erlang node finds a beamwire node.
 */
function findWithErl(port: number, names: string[]): Proc {
  const wanted = `[${names.map((n) => `"${n}"`).join(',')}]`;
  const src = `
    Wanted = ${wanted},
    Loop = fun L() ->
      case net_adm:names() of
        {ok, Ns} ->
          case [W || W <- Wanted, not lists:keymember(W, 1, Ns)] of
            [] -> io:format("found ~p~n", [lists:sort([N || {N, _} <- Ns])]), halt();
            _ -> timer:sleep(5), L()
          end;
        _ -> timer:sleep(5), L()
      end
    end,
    Loop().`;
  return run('erl', ['-sname', `probe${process.pid}_${Math.floor(Math.random() * 1e6)}`, '-start_epmd', 'false', '-noshell', '-eval', src], port);
}

async function found(proc: Proc, ms = 20_000): Promise<string> {
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), ms);
  await proc.exited;
  clearTimeout(timer);
  const line = /found (.*)/.exec(proc.out());
  if (!line) throw new Error(`erl did not find the names: ${proc.out()}`);
  return line[1]!;
}

async function start(name: string, port: number, mode: 'auto' | 'external'): Promise<EpmdPresence> {
  const p = await EpmdPresence.start({ name, port: 40000 + presences.length, epmdPort: port, mode });
  presences.push(p);
  return p;
}

const next = (p: EpmdPresence, ms = 10_000): Promise<PresenceInfo> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`"${p.epmdPort}" presence not registered again within ${ms} ms`)), ms);
    p.once('registered', (i) => (clearTimeout(timer), resolve(i)));
  });

describe('EpmdPresence against the real epmd', () => {
  it("'external': epmd -port N killed with -9 and started again; the presence registers again and a new erl finds it", async () => {
    const port = randomPort();
    const epmd = await startEpmd(port);
    const p = await start('bwsvc', port, 'external');
    expect(await found(findWithErl(port, ['bwsvc']))).toContain('"bwsvc"');

    const registered = next(p);
    const t0 = performance.now();
    epmd.child.kill('SIGKILL');
    await epmd.exited;
    await startEpmd(port);
    const tEpmd = performance.now() - t0;
    const erl = findWithErl(port, ['bwsvc']); // started after the kill: a new Erlang node
    const info = await registered;
    const tRegistered = performance.now() - t0;
    expect(await found(erl)).toContain('"bwsvc"');
    const tFound = performance.now() - t0;
    expect(info).toMatchObject({ epmdPort: port, ownsEpmd: false });
    expect(p.registered).toBe(true);
    console.log(
      `epmd kill -9 -> epmd -port ${port} answering again ${tEpmd.toFixed(0)} ms, -> presence registered again ${tRegistered.toFixed(0)} ms, ` +
        `-> a new erl node lists it (net_adm:names/0, erl boot included) ${tFound.toFixed(0)} ms`,
    );
  });

  it("'auto': epmd killed with -9, the presence takes the port over with the embedded EPMD and a new erl finds it", async () => {
    const port = randomPort();
    const epmd = await startEpmd(port);
    const p = await start('bwauto', port, 'auto');
    expect(p.ownsEpmd).toBe(false);
    const registered = next(p);
    epmd.child.kill('SIGKILL');
    expect(await registered).toMatchObject({ epmdPort: port, ownsEpmd: true });
    // A restarted epmd finds the port taken and exits (status 0, silently: it takes that for an epmd running).
    const late = run('epmd', ['-port', String(port)], port);
    await late.exited;
    expect(await found(findWithErl(port, ['bwauto']))).toContain('"bwauto"');
  });
});

describe('EpmdPresence: the node that owns the embedded EPMD stops', () => {
  it('three presences on one port: the owner closes, another takes over, all re-register and erl finds them', async () => {
    const port = randomPort();
    const a = await start('bwa', port, 'auto');
    const b = await start('bwb', port, 'auto');
    const c = await start('bwc', port, 'auto');
    expect([a.ownsEpmd, b.ownsEpmd, c.ownsEpmd]).toEqual([true, false, false]);
    expect(await found(findWithErl(port, ['bwa', 'bwb', 'bwc']))).toMatch(/"bwa".*"bwb".*"bwc"/);

    const back = Promise.all([next(b), next(c)]);
    const t0 = performance.now();
    await a.close();
    const infos = await back;
    const tRegistered = performance.now() - t0;
    expect(infos.filter((i) => i.ownsEpmd)).toHaveLength(1);
    const list = await found(findWithErl(port, ['bwb', 'bwc']));
    expect(list).toMatch(/"bwb".*"bwc"/);
    expect(list).not.toContain('"bwa"');
    console.log(`owner of the embedded EPMD closed -> both others registered again ${tRegistered.toFixed(0)} ms`);
  });
});
