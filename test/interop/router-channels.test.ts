/**
 * Interop: a channel's messages are plain Erlang terms, so an Erlang process
 * holding a Sender's term (`{'$bw_sender', Pid, Alias}`) feeds a beamwire
 * Receiver with `Alias ! {'$bw_chan', Alias, V}` (erlang:send/2 to an alias,
 * OTP 24+) and ends it with `{'$bw_chan_end', Alias, sender_closed}`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atom, tuple } from '../../runtime/index.js';
import { Node } from '../../runtime/node/node.js';
import { Receiver, Select } from '../../runtime/router/index.js';
import { evalIn, requireErl, startErl, type ErlNode } from '../support/erl-node.js';
import { testPort } from '../support/net.js';

const epmdPort = testPort();
let node: Node;
let peer: ErlNode;
const USE = 'receive {use, X} -> X after 3000 -> no_use end';

beforeAll(async () => {
  requireErl();
  node = await Node.start({ name: 'tsch', cookie: 'secret', epmd: { mode: 'embedded', port: epmdPort }, logger: 'silent' });
  peer = await startErl('chpeer', 'secret', epmdPort);
}, 60_000);

afterAll(async () => {
  await peer?.stop();
  await node?.stop();
});

describe('erlang:send/2 to a Receiver alias', () => {
  it('Erlang sends values and the end marker through a Sender term; they arrive in order', async () => {
    const recv = new Receiver(node);
    node.send(['ctl', peer.name], tuple(atom('use'), recv.toSender().toTerm()));
    const sent = await evalIn(
      node,
      peer.name,
      `{'$bw_sender', _Pid, A} = ${USE}, [A ! {'$bw_chan', A, {n, N}} || N <- lists:seq(1, 50)], A ! {'$bw_chan_end', A, sender_closed}, ok.`,
    );
    expect(sent).toBe(atom('ok'));
    const got = [];
    for await (const v of recv) got.push(v);
    expect(got).toEqual([...Array(50).keys()].map((i) => tuple(atom('n'), i + 1)));
  });

  it('a dead message from Erlang ends the Receiver with its reason and detail; Select.all gathers the rest', async () => {
    const [ok, dead] = [new Receiver(node, { oneshot: true }), new Receiver(node)];
    node.send(['ctl', peer.name], tuple(atom('use'), [ok.toSender().toTerm(), dead.toSender().toTerm()]));
    await evalIn(
      node,
      peer.name,
      `[{_, _, A}, {_, _, D}] = ${USE}, D ! {'$bw_chan_end', D, {no_route, <<"no route to w9">>}}, A ! {'$bw_chan', A, done}, ok.`,
    );
    await expect(dead.get({ timeout: 3000 })).rejects.toMatchObject({ name: 'ChannelError', reason: 'no_route', detail: 'no route to w9' });
    const values = [];
    for await (const v of Select.all([ok])) values.push(v);
    expect(values).toEqual([atom('done')]);
  });
});
