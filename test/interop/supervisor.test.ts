/**
 * Interop tier, supervisors across the language line against a real OTP 25
 * node: supervisor:which_children/1, count_children/1, terminate_child/2,
 * restart_child/2 and sys:get_status/1 from `erl` on a beamwire Supervisor;
 * an OTP supervisor (test/support/bw_sup.erl) supervising a beamwire
 * GenServer through test/fixtures/beamwire_child.erl; and a beamwire
 * Supervisor supervising an Erlang process it started with erpc.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atom, exposeStartLink, format, GenServer, Pid, Supervisor, type CallResult, type From, type InitResult, type Term } from '../../runtime/index.js';
import { Node } from '../../runtime/node/node.js';
import { keepingLogger, until } from '../support/behaviours.js';
import { evalIn, requireErl, startErl, type ErlNode } from '../support/erl-node.js';
import { testPort } from '../support/net.js';
import { otp } from '../support/otp.js';

const epmdPort = testPort();
const beamDir = mkdtempSync(join(tmpdir(), 'bw-supervisor-'));
const logger = keepingLogger();
let node: Node;
let peer: ErlNode;

const erl = (src: string, timeout = 8000): Promise<Term> => evalIn(node, peer.name, src, timeout);
const at = (name: string): string => `{${name}, '${node.name}'}`;

/** A counter: call `get` replies the count, `bump` adds one, `crash` throws. */
class Cache extends GenServer<number> {
  init(start: Term): InitResult<number> {
    return { state: typeof start === 'number' ? start : 0 };
  }
  handleCall(req: Term, _from: From, n: number): CallResult<number> {
    if (req === atom('bump')) return { reply: n + 1, state: n + 1 };
    if (req === atom('crash')) throw new Error('cache broke');
    return { reply: n, state: n };
  }
}

beforeAll(async () => {
  requireErl();
  for (const src of [new URL('../fixtures/beamwire_child.erl', import.meta.url), new URL('../support/bw_sup.erl', import.meta.url)]) {
    const c = spawnSync(...otp('erlc', ['-o', beamDir, fileURLToPath(src)]), { encoding: 'utf8' });
    if (c.status !== 0) throw new Error(`erlc ${src.pathname} failed: ${c.error?.message ?? c.stderr}`);
  }
  node = await Node.start({ name: 'tssup', cookie: 'secret', epmd: { mode: 'embedded', port: epmdPort }, ticktime: 8, logger });
  peer = await startErl('suppeer', 'secret', epmdPort, ['-pa', beamDir]);
}, 60_000);

afterAll(async () => {
  await peer?.stop();
  await node?.stop();
  rmSync(beamDir, { recursive: true, force: true });
});

describe('Erlang → a beamwire Supervisor', () => {
  it('supervisor:which_children/1 and count_children/1 give OTP shapes', async () => {
    const sup = await Supervisor.start(
      node,
      {
        children: [
          { id: 'cache', start: (p) => Cache.start(node, 1, { link: p }) },
          { id: 'sub', type: 'supervisor', start: (p) => Supervisor.start(node, { children: [] }, { link: p }) },
          { id: 'idle', start: () => 'ignore' as const },
        ],
      },
      { name: 'app_sup' },
    );
    const rows = await erl(`supervisor:which_children(${at('app_sup')}).`);
    expect(format(rows)).toBe(
      `[{cache,${format(sup.whichChildren()[0]!.pid as Pid)},worker,['Cache']},{sub,${format(sup.whichChildren()[1]!.pid as Pid)},supervisor,[supervisor]},{idle,undefined,worker,[]}]`,
    );
    // What Erlang code matches on, checked in Erlang.
    expect(
      await erl(`[{cache, P, worker, ['Cache']}, {sub, S, supervisor, [supervisor]}, {idle, undefined, worker, []}] = supervisor:which_children(${at('app_sup')}), is_pid(P) andalso is_pid(S).`),
    ).toBe(true);
    expect(format(await erl(`supervisor:count_children(${at('app_sup')}).`))).toBe('[{specs,3},{active,2},{supervisors,1},{workers,2}]');
    await sup.stop();
  });

  it('supervisor:terminate_child/2 and restart_child/2 from Erlang; a child crash is restarted and reported with its reason', async () => {
    const sup = await Supervisor.start(node, { children: [{ id: 'cache', start: (p) => Cache.start(node, 7, { link: p }) }] }, { name: 'ops_sup' });
    expect(await erl(`supervisor:terminate_child(${at('ops_sup')}, cache).`)).toBe(atom('ok'));
    expect(sup.whichChildren()[0]!.pid).toBeUndefined();
    expect(format(await erl(`supervisor:restart_child(${at('ops_sup')}, nope).`))).toBe('{error,not_found}');
    expect(await erl(`{ok, #{id := cache, restart := permanent, shutdown := 5000, type := worker, significant := false}} = supervisor:get_childspec(${at('ops_sup')}, cache), ok.`)).toBe(atom('ok'));
    const restarted = await erl(`{ok, P} = supervisor:restart_child(${at('ops_sup')}, cache), gen_server:call(P, bump).`);
    expect(restarted).toBe(8);
    const before = sup.whichChildren()[0]!.pid as Pid;
    await node.call(before, atom('crash')).catch(() => undefined);
    await until(() => sup.whichChildren()[0]!.pid instanceof Pid && format(sup.whichChildren()[0]!.pid as Pid) !== format(before));
    const report = logger.lines.find((l) => l.report?.['errorContext'] === 'child_terminated' && String(l.report['reason']).includes('cache broke'));
    expect(report?.message).toContain('supervisor: {local,ops_sup}');
    await sup.stop();
  });

  it('sys:get_status/1 on a beamwire supervisor: a gen_server whose state names its children', async () => {
    const sup = await Supervisor.start(node, { strategy: 'rest_for_one', children: [{ id: 'cache', start: (p) => Cache.start(node, 0, { link: p }) }] }, { name: 'sys_sup' });
    expect(
      await erl(
        `{status, P, {module, gen_server}, [_, running, _, _, Misc]} = sys:get_status(${at('sys_sup')}), [{"State", {state, {local, sys_sup}, rest_for_one, [{cache, C}], 1, 5, never}}] = proplists:get_value(data, lists:reverse(Misc)), is_pid(P) andalso is_pid(C).`,
      ),
    ).toBe(true);
    expect(format(await erl(`element(3, sys:get_state(${at('sys_sup')})).`))).toBe('rest_for_one');
    await sup.stop();
  });
});

describe('Erlang → a beamwire GenServer', () => {
  it('gen_server:call/2 and sys:get_status/1, whose State is what formatStatus made of it', async () => {
    class Vault extends GenServer<Map<Term, Term>> {
      init(): InitResult<Map<Term, Term>> {
        return { state: new Map<Term, Term>([[atom('key'), 'hunter2']]) };
      }
      handleCall(_req: Term, _from: From, s: Map<Term, Term>): CallResult<Map<Term, Term>> {
        return { reply: s.size, state: s };
      }
      formatStatus(s: Map<Term, Term>): unknown {
        return new Map<Term, Term>([...s.keys()].map((k) => [k, atom('redacted')]));
      }
    }
    const v = await Vault.start(node, undefined, { name: 'vault' });
    expect(await erl(`gen_server:call(${at('vault')}, size).`)).toBe(1);
    expect(
      await erl(`{status, _, {module, gen_server}, [_, running, _, _, Misc]} = sys:get_status(${at('vault')}), [{"State", S}] = proplists:get_value(data, lists:reverse(Misc)), S.`),
    ).toEqual(new Map([[atom('key'), atom('redacted')]]));
    await v.stop();
  });
});

describe('an OTP supervisor supervising a beamwire GenServer (beamwire_child:start_link/4)', () => {
  it('starts it linked, restarts it when it crashes, stops it on terminate_child', async () => {
    exposeStartLink(node, 'beamwire_servers', { cache: Cache });
    const spec = `#{id => cache, start => {beamwire_child, start_link, ['${node.name}', beamwire_servers, cache, 40]}}`;
    expect(await erl(`{ok, S} = bw_sup:start(esup, {#{strategy => one_for_one, intensity => 3, period => 5}, [${spec}]}), is_pid(S).`)).toBe(true);
    const first = (await erl(`[{cache, P, worker, _}] = supervisor:which_children(esup), P.`)) as Pid;
    expect(first.node.name).toBe(node.name);
    expect(await node.call(first, atom('bump'))).toBe(41);
    // A crash: the Erlang supervisor gets the EXIT over the link and starts another on this node.
    await node.call(first, atom('crash')).catch(() => undefined);
    const second = (await erl(`timer:sleep(100), [{cache, P, worker, _}] = supervisor:which_children(esup), P.`)) as Pid;
    expect(second).toBeInstanceOf(Pid);
    expect(format(second)).not.toBe(format(first));
    expect(await node.call(second, atom('get'))).toBe(40);
    // terminate_child: exit(Child, shutdown) from Erlang ends it.
    const watch = node.monitor(second);
    expect(await erl(`supervisor:terminate_child(esup, cache).`)).toBe(atom('ok'));
    expect(await watch.down).toBe(atom('shutdown'));
    expect(await erl(`exit(whereis(esup), shutdown), ok.`)).toBe(atom('ok'));
  });
});

describe('a beamwire Supervisor supervising an Erlang process started with erpc', () => {
  it('links to it, restarts it when it is killed in Erlang, and stops it with shutdown', async () => {
    const started: Pid[] = [];
    const sup = await Supervisor.start(node, {
      intensity: 3,
      children: [
        {
          id: 'sleeper',
          start: async () => {
            const pid = (await node.rpc(peer.name, 'erlang', 'spawn', [atom('timer'), atom('sleep'), [atom('infinity')]])) as Pid;
            started.push(pid);
            return pid;
          },
        },
      ],
    });
    expect(started[0]!.node.name).toBe(peer.name);
    // Pids go to Erlang as arguments of erpc calls (the text form <node.N.S> is not Erlang syntax).
    const inErlang = (f: string, args: Term[]) => node.rpc(peer.name, 'erlang', f, args);
    expect(format(await inErlang('process_info', [started[0]!, atom('links')]))).toBe(`{links,[${format(sup.pid)}]}`);
    await inErlang('exit', [started[0]!, atom('kill')]);
    await until(() => started.length === 2 && format(sup.whichChildren()[0]!.pid as Pid) === format(started[1]!));
    expect(logger.lines.some((l) => l.report?.['errorContext'] === 'child_terminated' && l.report['reason'] === 'killed')).toBe(true);
    await sup.stop();
    expect(await inErlang('is_process_alive', [started[1]!])).toBe(false);
    expect(logger.lines.some((l) => l.report?.['errorContext'] === 'shutdown_error')).toBe(false);
  });
});
