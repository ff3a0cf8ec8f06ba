/**
 * Interop tier, remote objects: an object a beamwire node exposes is a
 * registered process that a real `erl` and Elixir call as a gen_server,
 * `{call, Path, Args}` and `{get, Path}`, with Path a list of atoms or
 * binaries; refusals and remote errors come back as `{error, #{...}}`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Node } from '../../runtime/index.js';
import { evalIn, requireElixir, requireErl, runAgainst, startErl, type ErlNode } from '../support/erl-node.js';
import { testPort } from '../support/net.js';

const epmdPort = testPort();
let node: Node;
let peer: ErlNode;

const erl = (src: string): Promise<unknown> => evalIn(node, peer.name, src);
const show = async (src: string): Promise<string> => {
  const t = await erl(`iolist_to_binary(io_lib:format("~0p", [${src}])).`);
  return Buffer.from(t as Uint8Array).toString('utf8');
};

class Calc {
  version = '1.2';
  stats = { mean: (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length, median: (xs: number[]) => xs[0] };
  add(a: number, b: number): number {
    return a + b;
  }
  greet(who: string): string {
    return `hello ${who}`;
  }
  async later(ms: number): Promise<{ waited: number; tags: string[] }> {
    await new Promise((r) => setTimeout(r, ms));
    return { waited: ms, tags: ['a', 'b'] };
  }
  fail(): never {
    throw new RangeError('out of range');
  }
  fn(): () => void {
    return () => undefined;
  }
}

beforeAll(async () => {
  requireErl();
  node = await Node.start({ name: 'ts', cookie: 'secret', epmd: { mode: 'embedded', port: epmdPort }, logger: 'silent' });
  peer = await startErl('proxypeer', 'secret', epmdPort);
  node.exposeObject('calc', new Calc());
  node.exposeObject('narrow', new Calc(), { allow: ['add', 'stats.mean'] });
});
afterAll(async () => {
  await peer?.stop();
  await node?.stop();
});

describe('an exposed object from erl (gen_server:call)', () => {
  it('{call, Path, Args} with atoms or binaries in the path, and {get, Path}', async () => {
    expect(await show(`gen_server:call({calc, '${node.name}'}, {call, [add], [1, 2]})`)).toBe('{ok,3}');
    expect(await show(`gen_server:call({calc, '${node.name}'}, {call, [<<"stats">>, <<"mean">>], [[1, 2, 3]]})`)).toBe('{ok,2}');
    expect(await show(`gen_server:call({calc, '${node.name}'}, {get, [version]})`)).toBe('{ok,<<"1.2">>}');
    expect(await show(`gen_server:call({calc, '${node.name}'}, {call, [greet], [<<"joe">>]})`)).toBe('{ok,<<"hello joe">>}');
  });

  it('an async method answers when it resolves; a result is a term Erlang matches', async () => {
    expect(await erl(`{ok, #{<<"waited">> := 30, <<"tags">> := [<<"a">>, <<"b">>]}} = gen_server:call({calc, '${node.name}'}, {call, [later], [30]}), matched.`)).toMatchObject({ name: 'matched' });
  });

  it('refusals and remote errors are {error, #{name, message, code}}', async () => {
    expect(await show(`maps:get(code, element(2, gen_server:call({narrow, '${node.name}'}, {get, [version]})))`)).toBe('<<"NOT_ALLOWED">>');
    expect(await show(`maps:get(code, element(2, gen_server:call({calc, '${node.name}'}, {call, [constructor], []})))`)).toBe('<<"NOT_ALLOWED">>');
    expect(await show(`gen_server:call({narrow, '${node.name}'}, {call, [stats, mean], [[2, 4]]})`)).toBe('{ok,3}');
    const e = await show(`gen_server:call({calc, '${node.name}'}, {call, [fail], []})`);
    expect(e).toContain('name => <<"RangeError">>');
    expect(e).toContain('message => <<"out of range">>');
    expect(await show(`maps:get(code, element(2, gen_server:call({calc, '${node.name}'}, {call, [fn], []})))`)).toBe('<<"UNSUPPORTED_VALUE">>');
    expect(await show(`maps:get(code, element(2, gen_server:call({calc, '${node.name}'}, {bogus, 1})))`)).toBe('<<"BAD_REQUEST">>');
  });

  it('unexpose takes the name away', async () => {
    const gone = node.exposeObject('brief', new Calc());
    expect(await show(`gen_server:call({brief, '${node.name}'}, {call, [add], [2, 2]})`)).toBe('{ok,4}');
    gone.unexpose();
    expect(await show(`catch gen_server:call({brief, '${node.name}'}, {call, [add], [2, 2]}, 500)`)).toContain('noproc');
  });
});

describe('from Elixir', () => {
  it('GenServer.call({:calc, node}, {:call, [:stats, :mean], [[1, 2, 3]]})', async () => {
    requireElixir();
    const script = `IO.inspect(GenServer.call({:calc, :"${node.name}"}, {:call, [:stats, :mean], [[1, 2, 3]]}))`;
    const r = await runAgainst(epmdPort, 'elixir', ['--erl', '-start_epmd false', '--sname', 'exproxy', '--cookie', 'secret', '-e', script]);
    expect(r.out).toContain('{:ok, 2}');
  });
});
