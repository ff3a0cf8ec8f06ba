/**
 * Interop tier, typed stubs (generated/services/*.ts) against a real OTP node:
 * the client stubs call OTP's own lists, erlang, maps and os through
 * node.rpc (erpc:call on the Erlang side) and check what comes back; an
 * exposed stub module serves Erlang's erpc:call/4. Each case names the Erlang
 * function it exercises.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { erlang } from '../../generated/services/erlang.js';
import { exposeLists, lists, type ListsServer } from '../../generated/services/lists.js';
import { maps } from '../../generated/services/maps.js';
import { os } from '../../generated/services/os.js';
import { atom, tuple, type Term } from '../../runtime/index.js';
import { Node } from '../../runtime/node/node.js';
import * as C from '../../runtime/stubs/index.js';
import { evalIn, requireErl, startErl, type ErlNode } from '../support/erl-node.js';
import { testPort } from '../support/net.js';

const epmdPort = testPort();
let node: Node;
let peer: ErlNode;

/** Evaluates `src` in the Erlang node's ctl process and returns the value. */
const erl = (src: string, timeout = 8000): Promise<Term> => evalIn(node, peer.name, src, timeout);

beforeAll(async () => {
  requireErl();
  node = await Node.start({ name: 'ts', cookie: 'secret', epmd: { mode: 'embedded', port: epmdPort }, ticktime: 8 });
  peer = await startErl('stubs', 'secret', epmdPort);
}, 60_000);

afterAll(async () => {
  await peer?.stop();
  await node?.stop();
});

describe('client stubs over node.rpc (erpc:call on the OTP node)', () => {
  it('lists:reverse/1, lists:seq/2,3, lists:sum/1, lists:member/2', async () => {
    expect(await lists.reverse(node, peer.name, [1, 2, 3])).toEqual([3, 2, 1]);
    expect(await lists.seq(node, peer.name, 1, 5)).toEqual([1, 2, 3, 4, 5]);
    expect(await lists.seqStep(node, peer.name, 10, 1, -3)).toEqual([10, 7, 4, 1]);
    expect(await lists.sum(node, peer.name, [1, 2, 3])).toBe(6);
    expect(await lists.sum(node, peer.name, [1, 0.5])).toBe(1.5);
    expect(await lists.member(node, peer.name, atom('b'), [atom('a'), atom('b')])).toBe(true);
  });

  it('erlang:node/0, nodes/0, system_info(otp_release), make_ref/0, atom_to_binary/1', async () => {
    expect(await erlang.node(node, peer.name)).toBe(peer.name);
    expect(await erlang.nodes(node, peer.name)).toContain(node.name);
    expect(await erlang.systemInfo(node, peer.name, 'otp_release')).toMatch(/^\d+$/);
    expect((await erlang.makeRef(node, peer.name)).node).toBe(atom(peer.name));
    expect(await erlang.atomToBinary(node, peer.name, 'héllo')).toBe('héllo');
  });

  it('maps:from_list/1, maps:get/2, maps:keys/1, os:type/0, os:timestamp/0, os:getpid/0', async () => {
    const m = await maps.fromList(node, peer.name, [[atom('a'), 1], ['b', 2]]);
    expect(await maps.get(node, peer.name, atom('a'), m)).toBe(1);
    expect(await maps.size(node, peer.name, m)).toBe(2);
    const [family, name] = await os.type(node, peer.name);
    expect(family).toBe('unix');
    expect(typeof name).toBe('string');
    const [mega, secs, micro] = await os.timestamp(node, peer.name);
    expect(mega * 1e6 + secs + micro / 1e6).toBeGreaterThan(Date.now() / 1000 - 3600);
    expect(await os.getpid(node, peer.name)).toMatch(/^\d+$/);
  });

  it('a result OTP gives in another shape than the stub says is a BadResultError', async () => {
    const nodeAsInteger = C.fn<[], number>('erlang', 'node', [], C.integer);
    await expect(nodeAsInteger.call(node, peer.name, [])).rejects.toMatchObject({ name: 'BadResultError', mfa: 'erlang:node/0', path: 'result', reason: 'must be an integer' });
  });
});

describe('lists served by our node with exposeLists (the schema that calls OTP serves too), under erpc:call/4', () => {
  const impl: ListsServer = {
    reverse: (list) => [...list].reverse(),
    seq: (from, to) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i),
    seqStep: () => [],
    sum: async (list) => list.reduce((a, b) => a + b, 0),
    member: (elem, list) => list.includes(elem),
  };

  it('converts the arguments and the result both ways', async () => {
    node.expose('lists', exposeLists(impl));
    expect(await erl(`erpc:call('${node.name}', lists, seq, [1, 4]).`)).toEqual([1, 2, 3, 4]);
    expect(await erl(`erpc:call('${node.name}', lists, sum, [[1, 2.5]]).`)).toBe(3.5);
    // And from TypeScript through our own node, which runs the exposed module locally.
    expect(await lists.seq(node, node.name, 2, 3)).toEqual([2, 3]);
  });

  it('an argument of the wrong type fails the call with error:badarg, as OTP would', async () => {
    node.expose('lists', exposeLists(impl));
    const r = await erl(`try erpc:call('${node.name}', lists, seq, [1, ten]) catch error:{exception, R, [{M, F, A, _} | _]} -> {R, M, F, A} end.`);
    expect(r).toEqual(tuple(atom('badarg'), atom('lists'), atom('seq'), [1, atom('ten')]));
  });
});
