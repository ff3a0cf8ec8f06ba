// RPC without a network: a process table whose remote layer is a fake that records signals, and an RpcHost
// whose control() plays the OTP peer (SPAWN_REPLY, then the DOWN carrying the erpc result).
import { describe, expect, it } from 'vitest';
import { atom, format, isBeamwireError, Pid, Reference, Tuple, tuple, type Atom, type Term } from '../../runtime/index.js';
import { P, ProcessTable, on, silentLogger, type Logger, type RemoteSignals } from '../../runtime/process/index.js';
import { call, CallTimeoutError, cast, ErlangExit, ErlangThrow, ExposedModules, invoke, rpc, RpcError, serve, serveSpawnRequest, type RpcHost } from '../../runtime/rpc/index.js';
import { rpcResult, startRex } from '../../runtime/rpc/rex.js';
import { Calls } from '../../runtime/rpc/calls.js';
import { dispatch, type Door } from '../../runtime/node/inbound.js';
import { control, parseControl } from '../../generated/control.js';
import type { Connection } from '../../runtime/connection/connection.js';

const peer = atom('erl@box');
const peerPid = (id: number): Pid => new Pid(peer, id, 0, 99);
const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

type SpawnRequestArgs = Parameters<RemoteSignals['spawnRequest']>;
const MFA = { module: atom('m'), function: atom('f'), arity: 0 };

/** `onSpawnRequest` plays the peer for spawn requests; other signals are recorded in `calls`. */
function setup(logger?: Logger, onSpawnRequest: (...a: SpawnRequestArgs) => void = () => {}) {
  const t = new ProcessTable({ name: atom('ts@host'), creation: 7 }, { logger });
  const calls: string[] = [];
  const rec =
    (verb: string) =>
    (...args: unknown[]) =>
      void calls.push([verb, ...args.map((a) => (typeof a === 'bigint' ? `${a}n` : format(a as Term)))].join(' '));
  const remote: RemoteSignals = {
    send: rec('send'),
    regSend: rec('regSend'),
    aliasSend: rec('aliasSend'),
    link: rec('link'),
    unlink: rec('unlink'),
    unlinkAck: rec('unlinkAck'),
    exit: rec('exit'),
    exit2: rec('exit2'),
    monitor: rec('monitor'),
    demonitor: rec('demonitor'),
    down: rec('down'),
    spawnRequest: (...a) => onSpawnRequest(...a),
    spawnReply: rec('spawnReply'),
  };
  const inbound = t.attachRemote(remote);
  return { t, calls, inbound, remote };
}

/** Nothing left behind by finished calls: none in flight, no monitor held, no process but the node's calling one. */
function expectNothingLeft(host: RpcHost): void {
  const calls = Calls.of(host);
  expect(calls.size).toBe(0);
  expect([...host.table.procs.values()].map((p) => p.pid)).toEqual([calls.pid]);
  for (const p of host.table.procs.values()) expect(p.someMonitors.size).toBe(0);
}

/** An RpcHost whose peer answers each SPAWN_REQUEST with `answer(args)`: a spawn error atom, or the DOWN reason. */
function fakePeer(answer: (args: Term[], resRef: Reference) => { spawnError: string } | { down: Term } | 'silent') {
  const requests: Term[] = [];
  const peerSide = {
    /** Set to make the next spawn request fail to send, as an argument with no Erlang term does. */
    sendError: undefined as Error | undefined,
  };
  const s = setup(undefined, (from, _node, reqId, gl, mfa, opts, payload) => {
    if (peerSide.sendError !== undefined) throw peerSide.sendError;
    requests.push(control.spawnRequest(reqId, from, gl, mfa, opts));
    const args = payload;
    const a = answer(args[3] as Term[], args[0] as Reference);
    if (a === 'silent') return;
    void tick().then(() => {
      if ('spawnError' in a) return void s.inbound.deliverSpawnReply(reqId, from, 0, atom(a.spawnError));
      s.inbound.deliverSpawnReply(reqId, from, 2, peerPid(50));
      s.inbound.deliverDown(reqId, peerPid(50), from, a.down);
    });
  });
  const host: RpcHost = { table: s.t, debug: () => {} };
  return { ...s, host, requests, peerSide };
}

describe('process layer: the monitor of a spawn request', () => {
  it('{spawn_reply, ReqId, ok, Pid} then the DOWN for ReqId, naming the pid', async () => {
    const { t, inbound } = setup();
    let reqId!: Reference;
    const got: Term[] = [];
    const p = t.spawn(async (self) => {
      reqId = self.spawnRequest(peer, MFA, []);
      got.push(await self.receive(), await self.receive());
    });
    await tick();
    expect(inbound.deliverSpawnReply(reqId, p.pid, 2, peerPid(5))).toBe(true);
    inbound.deliverDown(reqId, peerPid(5), p.pid, atom('done'));
    await p.exited;
    expect(got.map(format)).toEqual([`{spawn_reply,${format(reqId)},ok,<erl@box.5.0>}`, `{'DOWN',${format(reqId)},process,<erl@box.5.0>,done}`]);
  });

  it('an error reply drops the monitor: a later DOWN is not delivered', async () => {
    const { t, inbound } = setup();
    let reqId!: Reference;
    const p = t.spawn(async (self) => {
      reqId = self.spawnRequest(peer, MFA, []);
      await self.receive(on(atom('never'), () => 0));
    });
    await tick();
    expect(inbound.deliverSpawnReply(reqId, p.pid, 0, atom('notsup'))).toBe(true);
    inbound.deliverDown(reqId, peerPid(5), p.pid, atom('late'));
    await tick();
    expect(t.process(p.pid)).toBeDefined();
    const ctx = t.procs.get(p.pid.id)!;
    expect(ctx.mailbox.size).toBe(1);
    expect(ctx.someMonitors.size).toBe(0);
  });

  it('abandoned (demonitored, or the process ended) before the reply: nothing on the wire, and the reply is not wanted', async () => {
    const { t, inbound, calls } = setup();
    let reqId!: Reference;
    const p = t.spawn(async (self) => {
      reqId = self.spawnRequest(peer, MFA, []);
      self.demonitor(reqId);
      await self.receive(on(atom('never'), () => 0));
    });
    await tick();
    expect(inbound.deliverSpawnReply(reqId, p.pid, 2, peerPid(5))).toBe(false);
    let r2!: Reference;
    const q = t.spawn((self) => void (r2 = self.spawnRequest(peer, MFA, [])));
    await q.exited;
    expect(inbound.deliverSpawnReply(r2, q.pid, 2, peerPid(6))).toBe(false);
    expect(calls).toEqual([]);
  });

  it('the node going before the reply gives {spawn_reply, ReqId, error, noconnection}; after it, DOWN noconnection', async () => {
    const { t, inbound } = setup();
    const seen: string[] = [];
    const p = t.spawn(async (self) => {
      const a = self.spawnRequest(peer, MFA, []);
      const b = self.spawnRequest(peer, MFA, []);
      await tick();
      inbound.deliverSpawnReply(b, self.pid, 2, peerPid(7));
      inbound.nodeDown(peer);
      seen.push(format(await self.receive(on(P.tuple(P.any, P.ref(a), P.rest()), (_b, m) => m))));
      seen.push(format(await self.receive(on(P.tuple(atom('DOWN'), P.ref(b), P.rest()), (_b, m) => m))));
      seen.push(String(a), String(b));
    });
    await p.exited;
    expect(seen[0]).toMatch(/^\{spawn_reply,#Ref<.*>,error,noconnection\}$/);
    expect(seen[1]).toMatch(/^\{'DOWN',#Ref<.*>,process,<erl@box\.7\.0>,noconnection\}$/);
  });

  it("reply: 'error_only' (erpc:call's {reply, error_only}): success is not delivered, a failure is, and the DOWN still comes", async () => {
    const { t, inbound } = setup();
    const got: string[] = [];
    let ok!: Reference;
    let bad!: Reference;
    const p = t.spawn(async (self) => {
      ok = self.spawnRequest(peer, MFA, [], { reply: 'error_only' });
      bad = self.spawnRequest(peer, MFA, [], { reply: 'error_only' });
      got.push(format(await self.receive()), format(await self.receive()));
    });
    await tick();
    expect(inbound.deliverSpawnReply(ok, p.pid, 2, peerPid(12))).toBe(true);
    expect(inbound.deliverSpawnReply(bad, p.pid, 0, atom('notsup'))).toBe(true);
    inbound.deliverDown(ok, peerPid(12), p.pid, atom('done'));
    await p.exited;
    expect(got).toEqual([`{spawn_reply,${format(bad)},error,notsup}`, `{'DOWN',${format(ok)},process,<erl@box.12.0>,done}`]);
  });

  it('demonitor after the reply sends DEMONITOR_P to the spawned pid', async () => {
    const { t, inbound, calls } = setup();
    const p = t.spawn(async (self) => {
      const r = self.spawnRequest(peer, MFA, []);
      inbound.deliverSpawnReply(r, self.pid, 2, peerPid(8));
      self.demonitor(r);
    });
    await p.exited;
    expect(calls).toEqual([expect.stringMatching(/^demonitor <ts@host\.\d+\.0> <erl@box\.8\.0> erl@box #Ref/)]);
  });
});

describe('rpc: erpc:call from TypeScript against a fake peer', () => {
  it('sends SPAWN_REQUEST {erpc, execute_call, 4} [monitor] and resolves the {ResRef, return, V} of the DOWN', async () => {
    const f = fakePeer((args, resRef) => ({ down: tuple(resRef, atom('return'), [...args].reverse()) }));
    expect(await rpc(f.host, peer, atom('lists'), atom('reverse'), [[1, 2, 3]])).toEqual([[1, 2, 3]].reverse());
    expect(format(f.requests[0]!)).toMatch(/^\{29,#Ref<.*>,<ts@host\.\d+\.0>,<ts@host\.0\.0>,\{erpc,execute_call,4\},\[monitor\]\}$/);
    expectNothingLeft(f.host);
  });

  it('throw, exit, error (with the stack), {erpc, R}, a spawn error and a foreign DOWN reason', async () => {
    const cases: [(r: Reference) => Term | { spawnError: string }, string, string, string][] = [
      [(r) => tuple(r, atom('throw'), 1), 'throw', '1', '[]'],
      [(r) => tuple(r, atom('exit'), atom('bye')), 'exit', 'bye', '[]'],
      [(r) => tuple(r, atom('error'), atom('badarg'), [tuple(atom('m'), atom('f'), 0, [])]), 'error', 'badarg', '[{m,f,0,[]}]'],
      [(r) => tuple(r, atom('error'), atom('notsup')), 'error', '{erpc,notsup}', '[]'],
      [() => ({ spawnError: 'badopt' }), 'error', '{erpc,badopt}', '[]'],
      [() => atom('killed'), 'exit', '{signal,killed}', '[]'],
      [() => atom('noconnection'), 'error', '{erpc,noconnection}', '[]'],
    ];
    for (const [make, cls, reason, stack] of cases) {
      const f = fakePeer((_a, r) => {
        const d = make(r);
        return typeof d === 'object' && d !== null && 'spawnError' in d ? (d as { spawnError: string }) : { down: d as Term };
      });
      const e = (await rpc(f.host, peer, atom('m'), atom('f'), []).catch((x: unknown) => x)) as RpcError;
      expect(e).toBeInstanceOf(RpcError);
      expect([e.class, format(e.reason), format(e.stacktrace)]).toEqual([cls, reason, stack]);
      expect(e.message).toBe(`m:f/0 on erl@box raised ${cls}: ${reason}`);
    }
  });

  it('timeout: CallTimeoutError, nothing left behind, and the late reply is not wanted', async () => {
    const f = fakePeer(() => 'silent');
    const e = (await rpc(f.host, peer, atom('timer'), atom('sleep'), [5000], { timeout: 30 }).catch((x: unknown) => x)) as CallTimeoutError;
    expect(e).toBeInstanceOf(CallTimeoutError);
    expect(e.message).toBe('timer:sleep/1 on erl@box: no answer within 30 ms');
    expectNothingLeft(f.host);
    const [, reqId, from] = (f.requests[0] as Tuple).elements as [number, Reference, Pid];
    expect(f.inbound.deliverSpawnReply(reqId, from, 2, peerPid(9))).toBe(false);
  });

  it("our timeout and AbortSignal.timeout()'s are told apart by name and by isBeamwireError", async () => {
    const f = fakePeer(() => 'silent');
    const ours = await rpc(f.host, peer, atom('m'), atom('f'), [], { timeout: 20 }).catch((x: unknown) => x);
    const dom = await rpc(f.host, peer, atom('m'), atom('f'), [], { signal: AbortSignal.timeout(20) }).catch((x: unknown) => x);
    expect([(ours as Error).name, (dom as Error).name]).toEqual(['CallTimeoutError', 'TimeoutError']);
    expect(dom).toBeInstanceOf(DOMException);
    expect(dom).not.toBeInstanceOf(CallTimeoutError);
    expect([isBeamwireError(ours, 'CALL_TIMEOUT'), isBeamwireError(dom)]).toEqual([true, false]);
    expectNothingLeft(f.host);
  });

  it('an AbortSignal abandons the call as a timeout does: before the reply, after it, and already aborted', async () => {
    const f = fakePeer(() => 'silent');
    const ac = new AbortController();
    const pending = rpc(f.host, peer, atom('m'), atom('f'), [], { signal: ac.signal });
    await tick();
    ac.abort(new Error('user gave up'));
    await expect(pending).rejects.toThrow('user gave up');
    expectNothingLeft(f.host);
    await expect(rpc(f.host, peer, atom('m'), atom('f'), [], { signal: ac.signal })).rejects.toThrow('user gave up');
    expect(f.requests).toHaveLength(1); // nothing sent for an aborted signal

    // After the SPAWN_REPLY: the monitor names the pid, so the abort sends DEMONITOR_P.
    const g = fakePeer(() => 'silent');
    const ac2 = new AbortController();
    const p2 = rpc(g.host, peer, atom('m'), atom('f'), [], { signal: ac2.signal });
    await tick();
    const [, reqId, from] = (g.requests[0] as Tuple).elements as [number, Reference, Pid];
    expect(g.inbound.deliverSpawnReply(reqId, from, 2, peerPid(11))).toBe(true);
    ac2.abort();
    await expect(p2).rejects.toMatchObject({ name: 'AbortError' });
    expect(g.calls).toEqual([expect.stringMatching(/^demonitor .* <erl@box\.11\.0> erl@box #Ref/)]);
  });

  it('a payload with no Erlang term rejects with the send error', async () => {
    const f = fakePeer(() => 'silent');
    f.peerSide.sendError = new TypeError('cannot encode');
    await expect(rpc(f.host, peer, atom('m'), atom('f'), [])).rejects.toThrow('cannot encode');
    expectNothingLeft(f.host);
  });
});

describe('the calls table: one calling process for every call in flight', () => {
  it('node.call over a connection that goes rejects with {nodedown, Node}, as gen:call does', async () => {
    const f = fakePeer(() => 'silent');
    const pending = call(f.host, tuple(atom('kv'), peer), atom('get')).catch((x: unknown) => x);
    await tick();
    f.inbound.nodeDown(peer);
    const e = (await pending) as RpcError;
    expect([e.class, format(e.reason)]).toEqual(['exit', '{nodedown,erl@box}']);
    expectNothingLeft(f.host);
  });

  it('a local name nobody registered answers noproc at once (the DOWN comes before the call is in the table)', async () => {
    const f = fakePeer(() => 'silent');
    const e = (await call(f.host, atom('nobody'), 1, { timeout: 60_000 }).catch((x: unknown) => x)) as RpcError;
    expect([e.class, format(e.reason)]).toEqual(['exit', 'noproc']);
    expectNothingLeft(f.host);
  });

  it('killing the calling process rejects its calls with the reason; the next call gets a new one', async () => {
    const f = fakePeer(() => 'silent');
    const a = rpc(f.host, peer, atom('m'), atom('f'), []).catch((x: unknown) => x);
    const b = call(f.host, tuple(atom('kv'), peer), 1).catch((x: unknown) => x);
    await tick();
    const first = Calls.of(f.host).pid;
    f.t.exit(first, atom('kill'));
    const [ea, eb] = (await Promise.all([a, b])) as RpcError[];
    expect([ea!.class, format(ea!.reason), eb!.class, format(eb!.reason)]).toEqual(['exit', 'killed', 'exit', 'killed']);
    expect(Calls.of(f.host).pid).not.toEqual(first);
    expect(f.t.size).toBe(1);
  });

  it('a call that cannot be made rejects (never throws): this node as the rpc target, a malformed {Name, Node}', async () => {
    const f = fakePeer(() => 'silent');
    let p: Promise<unknown> | undefined;
    expect(() => (p = rpc(f.host, atom('ts@host'), atom('m'), atom('f'), []))).not.toThrow();
    await expect(p).rejects.toMatchObject({ code: 'BADARG' });
    expect(() => (p = call(f.host, tuple(atom('kv'), 42) as never, 1))).not.toThrow();
    await expect(p).rejects.toMatchObject({ code: 'BADARG' });
    expectNothingLeft(f.host);
  });

  it('replies that come late, or twice, or for nobody are dropped without disturbing calls in flight', async () => {
    const f = fakePeer((args, resRef) => ({ down: tuple(resRef, atom('return'), args[0]!) }));
    const calls = Calls.of(f.host);
    const stray = f.t.makeRef();
    f.t.send(calls.pid, tuple(stray, atom('late')));
    f.t.send(calls.pid, tuple(atom('DOWN'), stray, atom('process'), peerPid(1), atom('x')));
    f.t.send(calls.pid, tuple(atom('spawn_reply'), stray, atom('ok'), peerPid(1)));
    f.t.send(calls.pid, atom('junk'));
    expect(await Promise.all([1, 2, 3].map((n) => rpc(f.host, peer, atom('m'), atom('id'), [n])))).toEqual([1, 2, 3]);
    expectNothingLeft(f.host);
  });
});

describe('exposed functions: what Erlang sees', () => {
  const modules = new ExposedModules();
  modules.expose(atom('m'), {
    add: (a, b) => (a as number) + (b as number),
    later: async () => atom('done'),
    nothing: () => {},
    boom: () => {
      throw new RangeError('too big');
    },
    thrown: () => {
      throw new ErlangThrow(atom('t'));
    },
    exited: () => {
      throw new ErlangExit(atom('x'));
    },
  });

  it('invoke maps returns and exceptions to Erlang classes; undef for what is not exposed (prototype names too)', async () => {
    const show = async (f: string, args: Term[] = []): Promise<string> => {
      const r = await invoke(modules, atom('m'), atom(f), args);
      return r.kind === 'return' || r.kind === 'throw' ? `${r.kind} ${format(r.value)}` : r.kind === 'exit' ? `exit ${format(r.reason)}` : `error ${format(r.reason)} ${format(r.stack)}`;
    };
    expect(await show('add', [1, 2])).toBe('return 3');
    expect(await show('later')).toBe('return done');
    expect(await show('nothing')).toBe('return ok');
    expect(await show('boom')).toBe('error {beamwire_error,<<"RangeError: too big">>} [{m,boom,0,[]}]');
    expect(await show('thrown')).toBe('throw t');
    expect(await show('exited')).toBe('exit x');
    expect(await show('toString')).toBe('error undef [{m,toString,[],[]}]');
    expect(await show('nope', [1])).toBe('error undef [{m,nope,[1],[]}]');
  });

  it('SPAWN_REQUEST execute_call: SPAWN_REPLY flags 2 with a new pid, then the DOWN carries {ResRef, return, V}', async () => {
    const { t, inbound, calls, remote } = setup();
    const host: RpcHost = { table: t, debug: () => {} };
    const door: Door = { inbound, out: remote, spawn: (r, a) => serveSpawnRequest(host, modules, r, a), debug: () => {}, taps: new Map() };
    const c = { peer: 'erl@box' } as unknown as Connection;
    const reqId = new Reference(peer, 99, [1, 2, 3]);
    const resRef = new Reference(peer, 99, [4, 5, 6]);
    const request = (mfa: { module: Atom; function: Atom; arity: number }, opts: Term[]) => parseControl(control.spawnRequest(reqId, peerPid(3), peerPid(4), mfa, opts));
    const EXECUTE_CALL = { module: atom('erpc'), function: atom('execute_call'), arity: 4 };
    dispatch(door, c, request(EXECUTE_CALL, [atom('monitor')]), [resRef, atom('m'), atom('add'), [1, 2]]);
    const reply = /^spawnReply <erl@box\.3\.0> #Ref<erl@box\.3\.2\.1> (\d) (.*)$/;
    const [, flags, pidText] = reply.exec(calls[0]!)!;
    expect(flags).toBe('2');
    const pid = [...t.procs.values()].map((p) => p.pid).find((p) => format(p) === pidText)!;
    await t.process(pid)!.exited;
    expect(calls[1]).toBe(`down ${format(pid)} <erl@box.3.0> #Ref<erl@box.3.2.1> {#Ref<erl@box.6.5.4>,return,3}`);

    // execute_cast: flags 0 and no DOWN; a malformed erpc argument list: badarg; a plain MFA with link: flag 1, OTP's crash reason.
    calls.length = 0;
    dispatch(door, c, request({ module: atom('erpc'), function: atom('execute_cast'), arity: 3 }, []), [atom('m'), atom('boom'), []]);
    dispatch(door, c, request(EXECUTE_CALL, [atom('monitor')]), [atom('bad')]);
    dispatch(door, c, request({ module: atom('m'), function: atom('nope'), arity: 0 }, [atom('link')]), []);
    const replies = calls.map((l) => reply.exec(l)!.slice(1));
    expect([replies[0]![0], replies[1]!.join(' '), replies[2]![0]]).toEqual(['0', '0 badarg', '1']);
    await tick();
    expect(calls.slice(3)).toEqual([`exit ${replies[2]![1]} <erl@box.3.0> {undef,[{m,nope,[],[]}]}`]);
  });
});

describe('serve, call and cast inside one node', () => {
  // Servers here crash on purpose (a throwing callback, a bad return): no crash reports on stderr.
  const host = (): RpcHost => {
    const { t } = setup(silentLogger);
    return { table: t, debug: () => {} };
  };

  it('a counter: calls reply with typed state, casts update it, stop runs terminate', async () => {
    const h = host();
    const ended: Term[] = [];
    const server = await serve<number>(h, atom('counter'), {
      init: () => 10,
      handleCall: (req, _from, n) => (req === atom('get') ? { reply: n, state: n } : { stop: atom('asked'), reply: atom('bye'), state: n }),
      handleCast: (req, n) => ({ state: n + (req as number) }),
      terminate: (reason, n) => void ended.push(tuple(reason, n)),
    });
    expect(h.table.whereis(atom('counter'))).toEqual(server.pid);
    cast(h, atom('counter'), 5);
    expect(await call(h, atom('counter'), atom('get'))).toBe(15);
    expect(await call(h, atom('counter'), atom('quit'))).toBe(atom('bye'));
    expect(await server.exited).toBe(atom('asked'));
    expect(ended.map(format)).toEqual(['{asked,15}']);
    // Gone: noproc; casts to nobody are dropped.
    const e = (await call(h, atom('counter'), atom('get')).catch((x: unknown) => x)) as RpcError;
    expect([e.class, e.reason]).toEqual(['exit', atom('noproc')]);
    expect(() => cast(h, atom('counter'), 1)).not.toThrow();
  });

  it('a callback that throws ends the server with {error, Text} after terminate; the caller gets that reason', async () => {
    const h = host();
    const ended: Term[] = [];
    await serve(h, atom('fragile'), {
      handleCall: () => {
        throw new Error('nope');
      },
      terminate: (reason) => void ended.push(reason),
    });
    const e = (await call(h, atom('fragile'), 1).catch((x: unknown) => x)) as RpcError;
    expect(format(e.reason)).toBe('{error,<<"Error: nope">>}');
    expect(ended.map(format)).toEqual(['{error,<<"Error: nope">>}']);
  });

  it('serve rejects when init throws or the name is taken, and leaves no process', async () => {
    const h = host();
    await expect(serve(h, atom('s1'), { init: () => { throw new Error('no config'); }, handleCall: (_r, _f, s) => ({ reply: 1, state: s }) })).rejects.toThrow('no config');
    const first = await serve(h, atom('s2'), { handleCall: (_r, _f, s: undefined) => ({ reply: 1, state: s }) });
    await expect(serve(h, atom('s2'), { handleCall: (_r, _f, s: undefined) => ({ reply: 1, state: s }) })).rejects.toThrow(/already registered/);
    await tick();
    expect(h.table.size).toBe(1);
    await first.stop();
    expect(h.table.size).toBe(0);
  });

  it('a call with no reply times out and leaves no call, monitor or process behind', async () => {
    const h = host();
    const s = await serve(h, atom('mute'), { handleCall: (_r, _f, st: undefined) => ({ noreply: true, state: st }) });
    await expect(call(h, s.pid, 1, { timeout: 20 })).rejects.toBeInstanceOf(CallTimeoutError);
    expect(Calls.of(h).size).toBe(0);
    for (const p of h.table.procs.values()) expect(p.someMonitors.size).toBe(0);
    expect(h.table.size).toBe(2); // the server and the node's calling process
    await s.stop();
  });
});

describe('rex (erl_call, rpc:block_call, features_request)', () => {
  it('rpc:call results, ei_rpc {rex, Result} and features_reply', async () => {
    expect(format(rpcResult({ kind: 'error', reason: atom('undef'), stack: [] }))).toBe("{badrpc,{'EXIT',{undef,[]}}}");
    expect(format(rpcResult({ kind: 'exit', reason: atom('x') }))).toBe("{badrpc,{'EXIT',x}}");
    expect(rpcResult({ kind: 'throw', value: 1 })).toBe(1);
    const { t } = setup();
    const modules = new ExposedModules();
    modules.expose(atom('m'), { add: (a, b) => (a as number) + (b as number) });
    startRex(t, modules, () => {});
    const got: Term[] = [];
    const p = t.spawn(async (self) => {
      self.send(atom('rex'), tuple(self.pid, tuple(atom('call'), atom('m'), atom('add'), [1, 2], atom('user'))));
      got.push(await self.receive());
      self.send(atom('rex'), tuple(self.pid, atom('features_request')));
      got.push(await self.receive());
    });
    await p.exited;
    expect(got.map(format)).toEqual(['{rex,3}', '{features_reply,ts@host,[erpc]}']);
  });
});

describe('runtime/node/inbound.ts: SPAWN_REQUEST and SPAWN_REPLY through the door', () => {
  const c = { peer: 'erl@box' } as unknown as Connection;
  const reqId = new Reference(peer, 99, [7, 8, 9]);
  const door = (s: ReturnType<typeof setup>, spawn: Door['spawn'] = () => atom('badarg')): Door => ({ inbound: s.inbound, out: s.remote, spawn, debug: () => {}, taps: new Map() });

  it('a reply nobody waits for is undone through the way out: DEMONITOR_P for flag 2, exit abandoned for flag 1; flags 0 (erpc:cast) is dropped quietly', () => {
    const s = setup();
    const gone = new Pid(atom('ts@host'), 4000, 0, 7);
    dispatch(door(s), c, parseControl(control.spawnReply(reqId, gone, 3, peerPid(5))), undefined);
    dispatch(door(s), c, parseControl(control.spawnReply(reqId, gone, 0, peerPid(6))), undefined);
    expect(s.calls).toEqual([`demonitor <ts@host.4000.0> <erl@box.5.0> erl@box ${format(reqId)}`, `exit <ts@host.4000.0> <erl@box.5.0> abandoned`]);
  });

  it('SPAWN_REQUEST: a payload that is not a list is badarg; a handler that throws gets system_limit; an error atom is the reply; one reply each', () => {
    const s = setup();
    const req = parseControl(control.spawnRequest(reqId, peerPid(3), peerPid(4), { module: atom('m'), function: atom('f'), arity: 0 }, [atom('monitor')]));
    dispatch(door(s, () => peerPid(9)), c, req, atom('nolist'));
    dispatch(door(s, () => {
      throw new Error('broken');
    }), c, req, []);
    dispatch(door(s, () => atom('notsup')), c, req, []);
    // A requester on another node than the connection's peer is forged: no process, no reply, nothing dialled.
    let spawned = 0;
    const forged = parseControl(control.spawnRequest(reqId, new Pid(atom('elsewhere@box'), 3, 0, 1), peerPid(4), { module: atom('m'), function: atom('f'), arity: 0 }, []));
    dispatch(door(s, () => (spawned++, peerPid(9))), c, forged, []);
    expect(spawned).toBe(0);
    expect(s.calls).toEqual([
      `spawnReply <erl@box.3.0> ${format(reqId)} 0 badarg`,
      `spawnReply <erl@box.3.0> ${format(reqId)} 0 system_limit`,
      `spawnReply <erl@box.3.0> ${format(reqId)} 0 notsup`,
    ]);
  });
});

describe('serve: system messages and timeouts inside one node', () => {
  // Servers here crash on purpose (a throwing callback, a bad return): no crash reports on stderr.
  const host = (): RpcHost => {
    const { t } = setup(silentLogger);
    return { table: t, debug: () => {} };
  };
  /** gen:call(Dest, system, Request) from a process of our own: the reply term. */
  const system = async (h: RpcHost, dest: Term, request: Term): Promise<Term> => {
    let got: Term = atom('no_reply');
    const p = h.table.spawn(async (self) => {
      const tag = self.makeRef();
      self.send(dest as Pid, tuple(atom('system'), tuple(self.pid, tag), request));
      got = (await self.receive([on(P.tuple(P.lit(tag), P.bind('v')), ({ v }) => v)], { timeout: 1000 })) as Term;
    });
    await p.exited;
    return got;
  };

  it('sys:get_state of a state with no Erlang term (undefined) answers a placeholder; the server keeps serving', async () => {
    const h = host();
    const s = await serve(h, atom('plain'), { handleCall: (_r, _f, st: undefined) => ({ reply: atom('pong'), state: st }) });
    expect(format(await system(h, s.pid, atom('get_state')))).toMatch(/^\{beamwire_unencodable,<<"cannot encode term: undefined has no Erlang term/);
    expect(await call(h, s.pid, atom('ping'))).toBe(atom('pong'));
    await s.stop();
  });

  it('suspend queues a TypeScript call until resume; get_status says suspended meanwhile', async () => {
    const h = host();
    const s = await serve<number>(h, atom('paused'), { init: () => 5, handleCall: (_r, _f, n) => ({ reply: n, state: n }) });
    expect(await system(h, s.pid, atom('suspend'))).toBe(atom('ok'));
    let answered: Term | undefined;
    const pending = call(h, s.pid, atom('get')).then((v) => (answered = v));
    await tick(30);
    expect(answered).toBeUndefined();
    expect(format(await system(h, s.pid, atom('get_status')))).toContain(`[[],suspended,${format(s.pid)},[],`);
    expect(await system(h, s.pid, atom('resume'))).toBe(atom('ok'));
    expect(await pending).toBe(5);
    await s.stop();
  });

  it('timeout 0 fires at once when nothing is queued; a negative timeout is a bad return that ends the server', async () => {
    const h = host();
    const seen: Term[] = [];
    const s = await serve<number>(h, atom('zero'), {
      init: () => 0,
      handleCall: (req, _f, n) => ({ reply: atom('ok'), state: n, timeout: req === atom('bad') ? -1 : 0 }),
      handleInfo: (m, n) => {
        seen.push(m);
        return { state: n };
      },
    });
    expect(await call(h, s.pid, atom('arm'))).toBe(atom('ok'));
    await tick(10);
    expect(seen).toEqual([atom('timeout')]);
    expect(await call(h, s.pid, atom('bad'))).toBe(atom('ok'));
    expect(format(await s.exited)).toBe('{error,<<"TypeError: server callback returned timeout -1: expected milliseconds >= 0 or Infinity">>}');
  });
});
