/**
 * The generated service stubs (generated/services/*.ts) over runtime/stubs:
 * the client converts arguments, calls through an RpcCaller and checks the
 * result; the expose adapter checks a peer's arguments, dispatches by arity
 * and checks the implementation's result. A fake caller stands in for
 * node.rpc; the last case wires a client to a server through ETF bytes.
 */
import { describe, expect, it, vi } from 'vitest';
import { erlang } from '../../generated/services/erlang.js';
import { exposeLists, lists, listsFunctions, type ListsServer } from '../../generated/services/lists.js';
import { maps } from '../../generated/services/maps.js';
import { exposeOs, os, osType, type OsServer } from '../../generated/services/os.js';
import { decode, encode } from '../../runtime/etf/codec.js';
import { atom } from '../../runtime/term/atom.js';
import { toCharlist } from '../../runtime/term/convert.js';
import { Reference, Tuple, type Term } from '../../runtime/term/values.js';
import * as C from '../../runtime/stubs/index.js';

/** An RpcCaller that answers every call with `reply` and records what it was asked. */
function fake(reply: Term | ((m: string, f: string, args: Term[]) => Term)) {
  const calls: { node: string; m: string; f: string; args: Term[]; opts: C.CallOptions | undefined }[] = [];
  const caller: C.RpcCaller = {
    rpc: vi.fn(async (node: string, m: string, f: string, args: Term[], opts?: C.CallOptions) => {
      calls.push({ node, m, f, args, opts });
      return typeof reply === 'function' ? reply(m, f, args) : reply;
    }),
  };
  return { caller, calls };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('client stubs', () => {
  it('lists:seq/2 sends integers and returns number[]', async () => {
    const { caller, calls } = fake([1, 2, 3]);
    expect(await lists.seq(caller, 'erl@h', 1, 3)).toEqual([1, 2, 3]);
    expect(calls).toEqual([{ node: 'erl@h', m: 'lists', f: 'seq', args: [1, 3], opts: undefined }]);
  });

  it('passes the options through; seqStep is lists:seq/3', async () => {
    const { caller, calls } = fake([1, 3]);
    const signal = new AbortController().signal;
    expect(await lists.seqStep(caller, 'erl@h', 1, 4, 2, { timeout: 50, signal })).toEqual([1, 3]);
    expect(calls[0]).toMatchObject({ f: 'seq', args: [1, 4, 2], opts: { timeout: 50, signal } });
  });

  it('erlang:system_info(otp_release) sends the atom and reads the charlist back', async () => {
    const { caller, calls } = fake(toCharlist('25'));
    expect(await erlang.systemInfo(caller, 'erl@h', 'otp_release')).toBe('25');
    expect(calls[0]!.args).toEqual([atom('otp_release')]);
    expect(calls[0]!.f).toBe('system_info');
  });

  it('os:type/0 and os:timestamp/0 read tuples as TS tuples; erlang:make_ref/0 a reference', async () => {
    expect(await os.type(fake(new Tuple([atom('unix'), atom('linux')])).caller, 'erl@h')).toEqual(['unix', 'linux']);
    expect(await os.timestamp(fake(new Tuple([1700, 123, 456])).caller, 'erl@h')).toEqual([1700, 123, 456]);
    const ref = new Reference(atom('erl@h'), 1, [1, 2, 3]);
    expect(await erlang.makeRef(fake(ref).caller, 'erl@h')).toBe(ref);
  });

  it('maps:from_list/1 sends {K, V} tuples and returns a Map', async () => {
    const { caller, calls } = fake(new Map<Term, Term>([[atom('a'), 1]]));
    const m = await maps.fromList(caller, 'erl@h', [[atom('a'), 1]]);
    expect(m.get(atom('a'))).toBe(1);
    expect(calls[0]!.args[0]).toEqual([new Tuple([atom('a'), 1])]);
  });

  it('a result of the wrong shape is a BadResultError naming the function and the place', async () => {
    const e = await rejection(os.type(fake(new Tuple([atom('unix'), toCharlist('linux')])).caller, 'erl@h'));
    expect(e).toBeInstanceOf(C.BadResultError);
    expect(e).toMatchObject({ mfa: 'os:type/0', path: 'result[1]', reason: 'must be an atom', code: 'BAD_RESULT' });
    expect(e.message).toBe('bad result from os:type/0: result[1] must be an atom (got [108,105,110,117,120])');
    const e2 = await rejection(lists.seq(fake(atom('badarg')).caller, 'erl@h', 1, 2));
    expect(e2).toMatchObject({ name: 'BadResultError', path: 'result', reason: 'must be a proper list' });
  });

  it('a JS argument of the wrong shape is a BadArgError before anything is sent', async () => {
    const { caller } = fake([]);
    const e = await rejection(lists.seq(caller, 'erl@h', 1, 2.5));
    expect(e).toBeInstanceOf(C.BadArgError);
    expect(e).toMatchObject({ mfa: 'lists:seq/2', index: 1, path: 'args[1]', code: 'BADARG' });
    expect(e.message).toMatch(/^badarg: 2nd argument of lists:seq\/2: args\[1\] must be an integer/);
    expect(caller.rpc).not.toHaveBeenCalled();
  });

  it('an rpc failure passes through untouched', async () => {
    const boom = new Error('noconnection');
    const caller: C.RpcCaller = { rpc: async () => Promise.reject(boom) };
    expect(await rejection(erlang.node(caller, 'erl@h'))).toBe(boom);
  });

  it('bind fixes the caller and the target', async () => {
    const { caller, calls } = fake(atom('erl@h'));
    const remote = C.bind(erlang, caller, 'erl@h');
    expect(await remote.node()).toBe('erl@h');
    expect(calls[0]).toMatchObject({ node: 'erl@h', m: 'erlang', f: 'node', args: [] });
  });
});

const impl: ListsServer = {
  reverse: (list) => [...list].reverse(),
  seq: (from, to) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i),
  seqStep: (from, to, incr) => Array.from({ length: Math.max(0, Math.floor((to - from) / incr) + 1) }, (_, i) => from + i * incr),
  sum: async (list) => list.reduce((a, b) => a + b, 0),
  member: (elem, list) => list.includes(elem),
};

describe('expose adapters', () => {
  const exposed = exposeLists(impl);

  it('has one entry per Erlang name and dispatches on arity', async () => {
    expect(Object.keys(exposed)).toEqual(['reverse', 'seq', 'sum', 'member']);
    expect(await exposed['seq']!(1, 3)).toEqual([1, 2, 3]);
    expect(await exposed['seq']!(1, 7, 3)).toEqual([1, 4, 7]);
    expect(await exposed['sum']!([1, 2.5])).toBe(3.5);
  });

  it('a peer argument of the wrong type is a BadArgError with its index and reason', async () => {
    const e = await rejection(exposed['seq']!(1, atom('ten')));
    expect(e).toBeInstanceOf(C.BadArgError);
    expect(e).toMatchObject({ index: 1, path: 'args[1]', reason: 'must be an integer', mfa: 'lists:seq/2' });
    const nested = await rejection(exposed['sum']!([1, 2, 'three']));
    expect(nested).toMatchObject({ index: 0, path: 'args[0][2]', reason: 'must be a number' });
  });

  it('an arity the schema does not declare is an UndefError', async () => {
    const e = await rejection(exposed['seq']!(1));
    expect(e).toBeInstanceOf(C.UndefError);
    expect(e.message).toBe('undef: lists:seq/1 is not exposed');
  });

  it('an implementation that breaks the schema is a BadResultError, not a bad term on the wire', async () => {
    const broken = exposeOs({ type: () => ['vms', 'x'] as never } as unknown as OsServer);
    expect(await rejection(broken['type']!())).toMatchObject({ name: 'BadResultError', mfa: 'os:type/0', path: 'result[0]' });
  });

  it('a client and a server wired through ETF bytes, as node.rpc and node.expose will be', async () => {
    const modules: Record<string, C.Exposed> = { lists: exposeLists(impl) };
    const wire = (t: Term): Term => decode(encode(t));
    const caller: C.RpcCaller = {
      rpc: async (_node, m, f, args) => wire(await modules[m]![f]!(...args.map(wire))),
    };
    expect(await lists.reverse(caller, 'ts@h', [1, 'two', atom('three')])).toEqual([atom('three'), new TextEncoder().encode('two'), 1]);
    expect(await lists.seqStep(caller, 'ts@h', 10, 1, -3)).toEqual([10, 7, 4, 1]);
    expect(await lists.member(caller, 'ts@h', 3, [1, 2, 3])).toBe(true);
    expect(await rejection(listsFunctions.seq.call(caller, 'ts@h', [1, 2.5] as never))).toBeInstanceOf(C.BadArgError);
  });

  it('the named types double as validators', () => {
    expect(C.is(osType, new Tuple([atom('win32'), atom('nt')]))).toBe(true);
    expect(C.is(osType, new Tuple([atom('beos'), atom('x')]))).toBe(false);
  });
});
