/**
 * Interop tier, node.serve and OTP's sys module: system messages
 * (sys:get_state/1, sys:get_status/1, sys:suspend/1, sys:resume/1,
 * sys:replace_state/2, sys:terminate/2 through gen_server:stop/1, unknown
 * requests through gen:call(Name, system, Req)) sent by a real OTP 25 node
 * and by Elixir (:sys.get_state/1), and gen_server-style timeouts
 * (`{ state, timeout }` → handle_info(timeout)). Erlang is driven through its
 * `ctl` process (test/support/erl-node.ts), as in rpc.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atom, format, Tuple, tuple, type Term } from '../../runtime/index.js';
import { Node } from '../../runtime/node/node.js';
import { toCharlist } from '../../runtime/term/convert.js';
import { evalIn, requireElixir, requireErl, runAgainst, startErl, type ErlNode } from '../support/erl-node.js';
import { testPort } from '../support/net.js';

const epmdPort = testPort();
let node: Node;
let peer: ErlNode;

/** Evaluates `src` in the Erlang node's ctl process and returns the value. */
const erl = (src: string, timeout = 8000): Promise<Term> => evalIn(node, peer.name, src, timeout);
const at = (name: string): string => `{${name}, '${node.name}'}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const cl = toCharlist;

/** Runs a program against this test's EPMD. */
const run = (cmd: string, args: string[], timeoutMs?: number) => runAgainst(epmdPort, cmd, args, timeoutMs);

/** A server whose state is a map of counters: call {bump, K} adds one and replies the new map; call get replies it. */
async function counters(name: string, log: Term[] = []) {
  return node.serve<Map<Term, Term>>(name, {
    init: () => new Map<Term, Term>([[atom('a'), 1]]),
    handleCall: (req, _from, s) => {
      log.push(req);
      if (req instanceof Tuple && req.elements[0] === atom('bump')) {
        const k = req.elements[1]!;
        const next = new Map(s).set(k, ((s.get(k) as number | undefined) ?? 0) + 1);
        return { reply: next.get(k)!, state: next };
      }
      return { reply: s, state: s };
    },
  });
}

beforeAll(async () => {
  requireErl();
  node = await Node.start({ name: 'tssys', cookie: 'secret', epmd: { mode: 'embedded', port: epmdPort }, ticktime: 8 });
  peer = await startErl('syspeer', 'secret', epmdPort);
}, 60_000);

afterAll(async () => {
  await peer?.stop();
  await node?.stop();
});

describe('Erlang → TypeScript: sys:get_state/1 and sys:get_status/1', () => {
  it('sys:get_state/1 returns the state as a term (a Map is an Erlang map)', async () => {
    const server = await counters('sys_state');
    expect(await erl(`sys:get_state(${at('sys_state')}).`)).toEqual(new Map([[atom('a'), 1]]));
    expect(await erl(`gen_server:call(${at('sys_state')}, {bump, b}), sys:get_state(${at('sys_state')}).`)).toEqual(
      new Map<Term, Term>([
        [atom('a'), 1],
        [atom('b'), 1],
      ]),
    );
    await server.stop();
  });

  it('sys:get_status/1 returns {status, Pid, {module, gen_server}, [PDict, running, Parent, Debug, Misc]} with format_status/2 Misc', async () => {
    const server = await counters('sys_status');
    const status = await erl(`sys:get_status(${at('sys_status')}).`);
    const misc = [
      tuple(atom('header'), cl('Status for generic server sys_status')),
      tuple(atom('data'), [tuple(cl('Status'), atom('running')), tuple(cl('Parent'), server.pid), tuple(cl('Logged events'), [])]),
      tuple(atom('data'), [tuple(cl('State'), new Map([[atom('a'), 1]]))]),
    ];
    expect(status).toEqual(tuple(atom('status'), server.pid, tuple(atom('module'), atom('gen_server')), [[], atom('running'), server.pid, [], misc]));
    // What Erlang code matches on, checked in Erlang.
    expect(
      await erl(`{status, P, {module, gen_server}, [[], running, P, [], [{header, "Status for generic server sys_status"}, {data, [{"Status", running} | _]}, {data, [{"State", #{a := 1}}]}]]} = sys:get_status(${at('sys_status')}), is_pid(P).`),
    ).toBe(true);
    await server.stop();
  });

  it('a state with no Erlang term answers {beamwire_unencodable, <<"cannot encode ...">>} and the server keeps running', async () => {
    const server = await node.serve<{ when: Date }>('sys_opaque', {
      init: () => ({ when: new Date(0) }),
      handleCall: (_r, _f, s) => ({ reply: atom('alive'), state: s }),
    });
    const got = (await erl(`sys:get_state(${at('sys_opaque')}).`)) as Tuple;
    expect(got.elements[0]).toBe(atom('beamwire_unencodable'));
    expect(format(got.elements[1]!)).toMatch(/^<<"cannot encode .*Date has no Erlang term/);
    expect(await erl(`{status, _, _, [_, running, _, _, [_, _, {data, [{"State", {beamwire_unencodable, B}}]}]]} = sys:get_status(${at('sys_opaque')}), is_binary(B).`)).toBe(true);
    expect(await erl(`gen_server:call(${at('sys_opaque')}, ping).`)).toBe(atom('alive'));
    await server.stop();
  });
});

describe('Erlang → TypeScript: sys:suspend/1 and sys:resume/1', () => {
  it('a suspended server answers system messages only; calls wait in order and are answered after resume', async () => {
    const log: Term[] = [];
    const server = await counters('sys_pause', log);
    expect(await erl(`sys:suspend(${at('sys_pause')}).`)).toBe(atom('ok'));
    expect(await erl(`try gen_server:call(${at('sys_pause')}, {bump, first}, 300) catch exit:{timeout, _} -> timed_out end.`)).toBe(atom('timed_out'));
    expect(log).toEqual([]);
    // Still answers sys, and says it is suspended.
    expect(await erl(`{status, _, _, [_, SysState, _, _, [_, {data, [{"Status", SysState} | _]}, _]]} = sys:get_status(${at('sys_pause')}), SysState.`)).toBe(atom('suspended'));
    expect(await erl(`sys:get_state(${at('sys_pause')}).`)).toEqual(new Map([[atom('a'), 1]]));
    // Three calls from three Erlang processes, one after the other, queued while suspended; then sys:resume/1.
    const pending = erl(
      `N = ${at('sys_pause')}, Self = self(),
       Ps = [begin P = spawn(fun() -> Self ! {self(), gen_server:call(N, {bump, K}, 5000)} end), timer:sleep(50), P end || K <- [x, y, x]],
       timer:sleep(500),
       Early = receive {P0, _} when is_pid(P0) -> answered_while_suspended after 0 -> none end,
       ok = sys:resume(N),
       {Early, [receive {P, R} -> R after 6000 -> none end || P <- Ps]}.`,
    );
    await sleep(400);
    expect(log).toEqual([]);
    expect(await pending).toEqual(tuple(atom('none'), [1, 1, 2]));
    // The timed-out call was queued too, and ran first (its reply went nowhere).
    expect(log).toEqual([tuple(atom('bump'), atom('first')), tuple(atom('bump'), atom('x')), tuple(atom('bump'), atom('y')), tuple(atom('bump'), atom('x'))]);
    await server.stop();
  });

  it('server.stop() works while suspended', async () => {
    const server = await counters('sys_pause_stop');
    expect(await erl(`sys:suspend(${at('sys_pause_stop')}).`)).toBe(atom('ok'));
    await server.stop(atom('done'));
    expect(await server.exited).toBe(atom('done'));
  });
});

describe('Erlang → TypeScript: sys:replace_state/2, sys:terminate/2, unknown system messages', () => {
  it('sys:replace_state/2 raises error:{callback_failed, {gen_server, system_replace_state}, {error, {notsup, Text}}} at once and keeps the state', async () => {
    const server = await counters('sys_replace');
    const started = Date.now();
    const r = await erl(`try sys:replace_state(${at('sys_replace')}, fun(S) -> S end) catch error:R -> {raised, R} end.`);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(format(r)).toBe(
      '{raised,{callback_failed,{gen_server,system_replace_state},{error,{notsup,<<"a beamwire server cannot run an Erlang fun on its TypeScript state; change it with a call">>}}}}',
    );
    expect(await erl(`sys:get_state(${at('sys_replace')}).`)).toEqual(new Map([[atom('a'), 1]]));
    await server.stop();
  });

  it('gen:call(Name, system, Other) gets {ok, {error, {unknown_system_msg, Other}}}, as sys:do_cmd; sys:log/2 returns that error', async () => {
    const server = await counters('sys_unknown');
    expect(await erl(`gen:call(${at('sys_unknown')}, system, {bogus, 1}).`)).toEqual(
      tuple(atom('ok'), tuple(atom('error'), tuple(atom('unknown_system_msg'), tuple(atom('bogus'), 1)))),
    );
    expect(await erl(`sys:log(${at('sys_unknown')}, get).`)).toEqual(
      tuple(atom('error'), tuple(atom('unknown_system_msg'), tuple(atom('debug'), tuple(atom('log'), atom('get'))))),
    );
    expect(await erl(`gen_server:call(${at('sys_unknown')}, get).`)).toEqual(new Map([[atom('a'), 1]]));
    await server.stop();
  });

  it('gen_server:stop/3 (proc_lib:stop → sys:terminate) runs terminate and ends the server with the reason', async () => {
    const ended: Term[] = [];
    const server = await node.serve<number>('sys_stop', {
      init: () => 7,
      handleCall: (_r, _f, n) => ({ reply: n, state: n }),
      terminate: (reason, n) => void ended.push(tuple(reason, n)),
    });
    expect(await erl(`gen_server:stop(${at('sys_stop')}, {shutdown, asked}, 2000).`)).toBe(atom('ok'));
    expect(await server.exited).toEqual(tuple(atom('shutdown'), atom('asked')));
    expect(ended).toEqual([tuple(tuple(atom('shutdown'), atom('asked')), 7)]);
  });
});

describe('Elixir → TypeScript: :sys.get_state/1', () => {
  it(':sys.get_state({name, node}) and :sys.get_status from elixir -e', async () => {
    requireElixir();
    const server = await node.serve<Term>('exsys', { init: () => tuple(atom('counter'), 3), handleCall: (_r, _f, s) => ({ reply: s, state: s }) });
    const script = `{:status, _, {:module, mod}, [_, sys_state | _]} = :sys.get_status({:exsys, :"${node.name}"}); IO.inspect({:sys.get_state({:exsys, :"${node.name}"}), mod, sys_state})`;
    const r = await run('elixir', ['--erl', '-start_epmd false', '--sname', 'exsysclient', '--cookie', 'secret', '-e', script]);
    expect(r.out).toContain('{{:counter, 3}, :gen_server, :running}');
    await server.stop();
  });
});

describe('gen_server timeouts: { state, timeout } → handleInfo(timeout)', () => {
  it('a cast returning { timeout: 50 } gets handleInfo(timeout) about 50 ms later, once', async () => {
    const seen: [Term, number][] = [];
    let castAt = 0;
    const server = await node.serve<number>('sys_timeout', {
      init: () => 0,
      handleCall: (_r, _f, n) => ({ reply: n, state: n }),
      handleCast: (_r, n) => {
        castAt = Date.now();
        return { state: n + 1, timeout: 50 };
      },
      handleInfo: (m, n) => {
        seen.push([m, Date.now() - castAt]);
        return { state: n + 10 };
      },
    });
    expect(await erl(`gen_server:cast(${at('sys_timeout')}, go).`)).toBe(atom('ok'));
    await sleep(300);
    expect(seen.map(([m]) => m)).toEqual([atom('timeout')]);
    expect(seen[0]![1]).toBeGreaterThanOrEqual(45);
    expect(seen[0]![1]).toBeLessThan(250);
    expect(await erl(`gen_server:call(${at('sys_timeout')}, get).`)).toBe(11);
    await server.stop();
  });

  it('a message arriving before the timeout cancels it; a call reply can set one too', async () => {
    const seen: Term[] = [];
    const server = await node.serve<number>('sys_timeout2', {
      init: () => 0,
      handleCall: (req, _f, n) => (req === atom('arm') ? { reply: atom('armed'), state: n, timeout: 150 } : { reply: n, state: n }),
      handleInfo: (m, n) => {
        seen.push(m);
        return { state: n + 1 };
      },
    });
    // Armed for 150 ms; a plain message 50 ms later cancels it (handleInfo sees the message, not timeout).
    expect(await erl(`armed = gen_server:call(${at('sys_timeout2')}, arm), timer:sleep(50), ${at('sys_timeout2')} ! hello, timer:sleep(400), ok.`)).toBe(atom('ok'));
    expect(seen).toEqual([atom('hello')]);
    // Armed again and left alone: the timeout fires.
    expect(await erl(`gen_server:call(${at('sys_timeout2')}, arm).`)).toBe(atom('armed'));
    await sleep(400);
    expect(seen).toEqual([atom('hello'), atom('timeout')]);
    await server.stop();
  });

  it('a system message does not cancel the timeout: the wait starts over, as after sys:handle_system_msg in gen_server', async () => {
    const seen: [Term, number][] = [];
    let armedAt = 0;
    const server = await node.serve<number>('sys_timeout3', {
      init: () => 0,
      handleCall: (_r, _f, n) => {
        armedAt = Date.now();
        return { reply: atom('armed'), state: n, timeout: 200 };
      },
      handleInfo: (m, n) => {
        seen.push([m, Date.now() - armedAt]);
        return { state: n };
      },
    });
    expect(await erl(`armed = gen_server:call(${at('sys_timeout3')}, arm), timer:sleep(100), sys:get_state(${at('sys_timeout3')}).`)).toBe(0);
    await sleep(500);
    expect(seen.map(([m]) => m)).toEqual([atom('timeout')]);
    expect(seen[0]![1]).toBeGreaterThanOrEqual(290); // 100 ms, then 200 ms more
    await server.stop();
  });
});
