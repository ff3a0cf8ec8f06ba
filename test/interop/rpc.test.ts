/**
 * Interop tier, RPC: erpc and gen_server calls between a beamwire Node and a
 * real OTP 25 node, both ways, plus Elixir (GenServer.call, :erpc.call) and
 * erl_call. Each case names the Erlang function it exercises. Erlang is
 * driven through its `ctl` process (test/support/erl-node.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atom, format, ImproperList, Pid, Tuple, tuple, type Term } from '../../runtime/index.js';
import { Node } from '../../runtime/node/node.js';
import type { ProcessTable } from '../../runtime/process/table.js';
import { ErlangError, ErlangExit, ErlangThrow, RpcError, CallTimeoutError } from '../../runtime/rpc/index.js';
import { evalIn, requireElixir, requireErl, runAgainst, startErl, type ErlNode } from '../support/erl-node.js';
import { testPort } from '../support/net.js';

const epmdPort = testPort();
let node: Node;
let peer: ErlNode;

/** Evaluates `src` in the Erlang node's ctl process and returns the value. */
const erl = (src: string, timeout = 8000): Promise<Term> => evalIn(node, peer.name, src, timeout);

/** Puts `t` in the ctl mailbox as {use, T}, for the next expression to receive. */
const give = (t: Term): void => node.send(['ctl', peer.name], tuple(atom('use'), t));
const USE = 'receive {use, X} -> X after 3000 -> no_use end';

/** The table behind the node, to check that a call left nothing behind. */
const tableOf = (n: Node): ProcessTable => (n as unknown as { table: ProcessTable }).table;

/** Runs a program against this test's EPMD. */
const run = (cmd: string, args: string[], timeoutMs?: number) => runAgainst(epmdPort, cmd, args, timeoutMs);

const KV = `-module(kv).
-behaviour(gen_server).
-export([init/1, handle_call/3, handle_cast/2]).
init([]) -> {ok, #{}}.
handle_call({get, K}, _From, S) -> {reply, maps:get(K, S, undefined), S};
handle_call({put, K, V}, _From, S) -> {reply, ok, S#{K => V}};
handle_call(crash, _From, _S) -> exit(crashed).
handle_cast({put, K, V}, S) -> {noreply, S#{K => V}}.
`;

beforeAll(async () => {
  requireErl();
  node = await Node.start({ name: 'ts', cookie: 'secret', epmd: { mode: 'embedded', port: epmdPort }, ticktime: 8 });
  peer = await startErl('rpcpeer', 'secret', epmdPort);
  node.expose('mymod', {
    add: (a, b) => (a as number) + (b as number),
    slow_double: async (x) => {
      await new Promise((r) => setTimeout(r, 50));
      return (x as number) * 2;
    },
    boom: () => {
      throw new TypeError('no such thing');
    },
    throws: () => {
      throw new ErlangThrow(tuple(atom('thrown'), 1));
    },
    exits: () => {
      throw new ErlangExit(atom('gone'));
    },
    errors: () => {
      throw new ErlangError(atom('badarith'));
    },
    notify: (to) => {
      node.send(to as Pid, tuple(atom('notified'), atom('yes')));
    },
  });
}, 60_000);

afterAll(async () => {
  await peer?.stop();
  await node?.stop();
});

describe('TypeScript → Erlang: erpc:call/5 (node.rpc)', () => {
  it('lists:reverse/1 and erlang:node/0 return their values', async () => {
    expect(await node.rpc(peer.name, 'lists', 'reverse', [[1, 2, 3]])).toEqual([3, 2, 1]);
    expect(await node.rpc(peer.name, 'erlang', 'node', [])).toBe(atom(peer.name));
  });

  it('erlang:error(badarg) rejects with RpcError class error, reason badarg and a stacktrace', async () => {
    const e = (await node.rpc(peer.name, 'erlang', 'error', [atom('badarg')]).catch((x: unknown) => x)) as RpcError;
    expect(e).toBeInstanceOf(RpcError);
    expect(e.name).toBe('RpcError');
    expect(e.class).toBe('error');
    expect(e.reason).toBe(atom('badarg'));
    expect(Array.isArray(e.stacktrace) && e.stacktrace.length > 0).toBe(true);
    expect(e.message).toContain('erlang:error/1');
    expect(e.message).toContain('badarg');
  });

  it('erlang:throw/1 and erlang:exit/1 keep their class and reason', async () => {
    const t = (await node.rpc(peer.name, 'erlang', 'throw', [tuple(atom('oops'), 1)]).catch((x: unknown) => x)) as RpcError;
    expect([t.class, t.reason]).toEqual(['throw', tuple(atom('oops'), 1)]);
    const x = (await node.rpc(peer.name, 'erlang', 'exit', [atom('bye')]).catch((e: unknown) => e)) as RpcError;
    expect([x.class, x.reason]).toEqual(['exit', atom('bye')]);
  });

  it('an undefined function rejects with undef', async () => {
    const e = (await node.rpc(peer.name, 'nosuchmod', 'nofun', [1]).catch((x: unknown) => x)) as RpcError;
    expect([e.class, e.reason]).toEqual(['error', atom('undef')]);
  });

  it('timer:sleep/1 past the timeout rejects with CallTimeoutError and leaves nothing behind', async () => {
    const table = tableOf(node);
    const before = table.size;
    const sleepers = `[process_info(P, monitored_by) || P <- processes(), process_info(P, current_function) =:= {current_function, {timer, sleep, 1}}]`;
    const started = Date.now();
    const pending = node.rpc(peer.name, 'timer', 'sleep', [3000], { timeout: 400 }).catch((x: unknown) => x);
    await new Promise((r) => setTimeout(r, 150));
    const [watched] = (await erl(`${sleepers}.`)) as Term[];
    expect((watched as Tuple).elements[1]).toHaveLength(1); // our caller monitors it (the spawn request's monitor)
    const e = (await pending) as CallTimeoutError;
    expect(e).toBeInstanceOf(CallTimeoutError);
    expect(e.name).toBe('CallTimeoutError');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(table.size).toBe(before); // no process was left, and the calling one holds no monitor
    // global_name_server monitors its peer's (runtime/global): not the call's.
    const gns = table.whereis(atom('global_name_server'));
    for (const p of table.procs.values()) if (p.pid !== gns) expect(p.someMonitors.size).toBe(0);
    // On the Erlang side the sleeping process is no longer monitored (DEMONITOR_P went out).
    expect(await erl(`${sleepers}.`)).toEqual([tuple(atom('monitored_by'), [])]);
  });

  it('500 concurrent calls (lists:seq/2) all answer, each with its own value', async () => {
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => node.rpc(peer.name, 'lists', 'seq', [1, i % 7])));
    results.forEach((r, i) => expect(r).toEqual(Array.from({ length: i % 7 }, (_, k) => k + 1)));
    expect(tableOf(node).size).toBeLessThan(20);
  });

  it('erpc:cast/4 (node.rpcCast) runs erlang:send/2 on the peer, with no answer', async () => {
    node.rpcCast(peer.name, 'erlang', 'send', [atom('ctl'), tuple(atom('use'), atom('cast_ok'))]);
    expect(await erl(`${USE}.`)).toBe(atom('cast_ok'));
  });

  it('noconnection: the node vanishing (kill -9) mid-call rejects node.rpc with {erpc, noconnection} and node.call with {nodedown, Node}, as gen:call does', async () => {
    const victim = await startErl('rpcvictim', 'secret', epmdPort);
    try {
      const sleeping = node.rpc(victim.name, 'timer', 'sleep', [10_000]).catch((x: unknown) => x);
      const calling = node.call(['ctl', victim.name], atom('never_answered'), { timeout: 10_000 }).catch((x: unknown) => x);
      await new Promise((r) => setTimeout(r, 300));
      victim.kill9();
      const [e, c] = (await Promise.all([sleeping, calling])) as [RpcError, RpcError];
      expect([e.class, e.reason]).toEqual(['error', tuple(atom('erpc'), atom('noconnection'))]);
      expect([c.class, c.reason]).toEqual(['exit', tuple(atom('nodedown'), atom(victim.name))]);
    } finally {
      victim.kill9();
    }
  });

  it('noconnection: a node that is not there rejects with {erpc, noconnection}', async () => {
    const e = (await node.rpc(`nobody@${peer.name.split('@')[1]}`, 'erlang', 'node', []).catch((x: unknown) => x)) as RpcError;
    expect([e.class, e.reason]).toEqual(['error', tuple(atom('erpc'), atom('noconnection'))]);
  });
});

describe('TypeScript → Erlang: gen_server:call/3 and cast/2 (node.call, node.cast)', () => {
  it('calls and casts a gen_server started in Erlang', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'beamwire-kv-'));
    writeFileSync(join(dir, 'kv.erl'), KV);
    expect(
      await erl(`{ok, kv, B} = compile:file("${join(dir, 'kv.erl')}", [binary]), {module, kv} = code:load_binary(kv, "kv.erl", B), {ok, _} = gen_server:start({local, kv}, kv, [], []), ok.`),
    ).toBe(atom('ok'));
    expect(await node.call(['kv', peer.name], tuple(atom('put'), atom('a'), 1))).toBe(atom('ok'));
    expect(await node.call(['kv', peer.name], tuple(atom('get'), atom('a')))).toBe(1);
    node.cast(['kv', peer.name], tuple(atom('put'), atom('b'), 2));
    expect(await node.call(['kv', peer.name], tuple(atom('get'), atom('b')))).toBe(2);
    const kvPid = (await erl('whereis(kv).')) as Pid;
    expect(await node.call(kvPid, tuple(atom('get'), atom('a')))).toBe(1);
  });

  it('a missing server rejects with noproc; one that dies in the call with its reason', async () => {
    const e = (await node.call(['nosuch', peer.name], atom('hi')).catch((x: unknown) => x)) as RpcError;
    expect([e.class, e.reason]).toEqual(['exit', atom('noproc')]);
    const c = (await node.call(['kv', peer.name], atom('crash')).catch((x: unknown) => x)) as RpcError;
    expect([c.class, c.reason]).toEqual(['exit', atom('crashed')]);
  });

  it('a call that gets no reply times out and demonitors', async () => {
    const sink = (await erl(`spawn(fun() -> receive never -> ok end end).`)) as Pid;
    const before = tableOf(node).size;
    const e = (await node.call(sink, atom('hello'), { timeout: 150 }).catch((x: unknown) => x)) as CallTimeoutError;
    expect(e).toBeInstanceOf(CallTimeoutError);
    expect(tableOf(node).size).toBe(before);
    give(sink);
    expect(await erl(`process_info(${USE}, monitored_by).`)).toEqual(tuple(atom('monitored_by'), []));
  });
});

describe('Erlang → TypeScript: erpc:call/4, rpc:call/4, erpc:cast/4 (node.expose)', () => {
  it('erpc:call runs exposed functions, sync and async', async () => {
    expect(await erl(`erpc:call('${node.name}', mymod, add, [1, 2]).`)).toBe(3);
    expect(await erl(`erpc:call('${node.name}', mymod, slow_double, [21]).`)).toBe(42);
    expect(await erl(`rpc:call('${node.name}', mymod, add, [40, 2]).`)).toBe(42);
    // node.rpc to this node calls the exposed function directly.
    expect(await node.rpc(node.name, 'mymod', 'add', [1, 2])).toBe(3);
    await expect(node.rpc(node.name, 'mymod', 'nope', [])).rejects.toMatchObject({ class: 'error', reason: atom('undef') });
  });

  it('a JavaScript error is error:{beamwire_error, <<"Name: message">>} with a stacktrace', async () => {
    expect(format(await erl(`try erpc:call('${node.name}', mymod, boom, []) catch error:{exception, R, [{M, F, A, _} | _]} -> {R, M, F, A} end.`))).toBe(
      '{{beamwire_error,<<"TypeError: no such thing">>},mymod,boom,0}',
    );
    expect(format(await erl(`rpc:call('${node.name}', mymod, boom, []).`))).toBe(
      '{badrpc,{\'EXIT\',{{beamwire_error,<<"TypeError: no such thing">>},[{mymod,boom,0,[]}]}}}',
    );
  });

  it('ErlangThrow, ErlangExit and ErlangError raise those classes in Erlang', async () => {
    expect(await erl(`try erpc:call('${node.name}', mymod, throws, []) catch throw:T -> {caught, T} end.`)).toEqual(tuple(atom('caught'), tuple(atom('thrown'), 1)));
    expect(await erl(`try erpc:call('${node.name}', mymod, exits, []) catch exit:{exception, R} -> R end.`)).toBe(atom('gone'));
    expect(await erl(`try erpc:call('${node.name}', mymod, errors, []) catch error:{exception, R, _} -> R end.`)).toBe(atom('badarith'));
  });

  it('an unknown module or function is undef, as OTP', async () => {
    expect(await erl(`try erpc:call('${node.name}', mymod, nope, [1]) catch error:{exception, undef, [MFA | _]} -> MFA end.`)).toEqual(
      tuple(atom('mymod'), atom('nope'), [1], []),
    );
    expect(await erl(`rpc:call('${node.name}', nomod, f, []).`)).toEqual(tuple(atom('badrpc'), tuple(atom('EXIT'), tuple(atom('undef'), [tuple(atom('nomod'), atom('f'), [], [])]))));
  });

  it('erpc:call 1000 times concurrently from Erlang', async () => {
    expect(
      await erl(`Self = self(), [spawn(fun() -> Self ! {done, I, erpc:call('${node.name}', mymod, add, [I, 1])} end) || I <- lists:seq(1, 1000)],
                 lists:all(fun(I) -> receive {done, I, R} -> R =:= I + 1 after 10000 -> false end end, lists:seq(1, 1000)).`, 20_000),
    ).toBe(true);
  });

  it('spawn/4 runs an exposed function; spawn_monitor/4 of an unknown one goes DOWN with {undef, ...}', async () => {
    expect(await erl(`spawn('${node.name}', mymod, notify, [self()]), receive {notified, X} -> X after 3000 -> timeout end.`)).toBe(atom('yes'));
    expect(await erl(`{_, R} = spawn_monitor('${node.name}', mymod, nope, []), receive {'DOWN', R, process, _, Why} -> Why after 3000 -> timeout end.`)).toEqual(
      tuple(atom('undef'), [tuple(atom('mymod'), atom('nope'), [], [])]),
    );
  });

  it('erpc:cast runs the function with no answer', async () => {
    expect(await erl(`ok = erpc:cast('${node.name}', mymod, notify, [self()]), receive {notified, X} -> X after 3000 -> timeout end.`)).toBe(atom('yes'));
  });

  it('erpc:call with a timeout on a slow function raises {erpc, timeout}', async () => {
    node.expose('slow', { wait: () => new Promise((r) => setTimeout(() => r(atom('late')), 500)) });
    expect(await erl(`try erpc:call('${node.name}', slow, wait, [], 100) catch error:{erpc, R} -> R end.`)).toBe(atom('timeout'));
  });
});

describe('Erlang → TypeScript: gen_server:call/2 and cast/2 into node.serve', () => {
  it('answers calls (alias tags) and casts with typed state', async () => {
    const server = await node.serve<Map<string, Term>>('store', {
      init: () => new Map(),
      handleCall: (req, _from, state) => {
        if (req instanceof Tuple && req.elements[0] === atom('get')) return { reply: state.get(format(req.elements[1]!)) ?? atom('undefined'), state };
        return { reply: tuple(atom('error'), atom('unknown')), state };
      },
      handleCast: (req, state) => {
        if (req instanceof Tuple && req.elements[0] === atom('put')) state.set(format(req.elements[1]!), req.elements[2]!);
        return { state };
      },
    });
    expect(await erl(`gen_server:cast({store, '${node.name}'}, {put, k, 42}), gen_server:call({store, '${node.name}'}, {get, k}).`)).toBe(42);
    expect(await erl(`gen_server:call({store, '${node.name}'}, other).`)).toEqual(tuple(atom('error'), atom('unknown')));
    // From TypeScript too, by name.
    expect(await node.call('store', tuple(atom('get'), atom('k')))).toBe(42);
    await server.stop();
    expect(await erl(`try gen_server:call({store, '${node.name}'}, x, 1000) catch exit:{R, _} -> R end.`)).toBe(atom('noproc'));
  });

  it('a deferred reply ({ noreply }) answers later through node.reply', async () => {
    const server = await node.serve<number>('later', {
      init: () => 0,
      handleCall: (_req, from, n) => {
        setTimeout(() => node.reply(from, n + 100), 20);
        expect(from.elements[1]).toBeInstanceOf(ImproperList); // OTP 25 tags calls [alias | Mref]
        return { noreply: true, state: n + 1 };
      },
    });
    expect(await erl(`gen_server:call({later, '${node.name}'}, go).`)).toBe(100);
    await server.stop();
  });
});

describe('Elixir and erl_call', () => {
  it('GenServer.call and :erpc.call from Elixir', async () => {
    requireElixir();
    const server = await node.serve('exstore', { handleCall: (req, _from, s: undefined) => ({ reply: tuple(atom('got'), req), state: s }) });
    const script = `IO.inspect({GenServer.call({:exstore, :"${node.name}"}, :hello), :erpc.call(:"${node.name}", :mymod, :add, [20, 22])})`;
    const r = await run('elixir', ['--erl', '-start_epmd false', '--sname', 'exclient', '--cookie', 'secret', '-e', script]);
    expect(r.out).toContain('{{:got, :hello}, 42}');
    await server.stop();
  });

  it('erl_call -a mymod add [1,2] (ei_rpc through rex)', async () => {
    const erlCall = (await run('sh', ['-c', 'ls /usr/lib/erlang/lib/erl_interface-*/bin/erl_call | head -1'])).out.trim();
    const r = await run(erlCall, ['-sname', node.name, '-c', 'secret', '-a', 'mymod add [1,2]']);
    expect(r.out.trim()).toBe('3');
  });
});
