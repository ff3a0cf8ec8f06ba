/**
 * Interop: a wrong cookie says so on both sides, against a real `erl`
 * (OTP's dist_util on the other side).
 *  - erl dials a beamwire node whose cookie differs (net_adm:ping/1): our
 *    acceptor refuses the digest at recv_challenge_reply (bad_cookie), the
 *    node's 'handshakeError' event carries it, and erl gets pang.
 *  - we dial erl with a cookie it does not share: OTP's acceptor closes
 *    without a word after our challenge reply, so the initiator's error is
 *    `closed` at recv_challenge_ack, and its message names the likely cause.
 * A beamwire node with erl's cookie drives erl (evalIn) and hosts the EPMD.
 */
import { connect } from 'node:net';
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atom, HandshakeError, isBeamwireError, Node, RpcError } from '../../runtime/index.js';
import { EpmdClient } from '../../runtime/epmd/index.js';
import { initiateOnStream } from '../../runtime/handshake/index.js';
import { splitName } from '../../runtime/node/names.js';
import { evalIn, requireErl, startErl, type ErlNode } from '../support/erl-node.js';
import { testPort } from '../support/net.js';

const epmdPort = testPort();
let driver: Node;
let wrong: Node;
let erl: ErlNode;

beforeAll(async () => {
  requireErl();
  driver = await Node.start({ name: 'tsdriver', cookie: 'right', epmd: { mode: 'embedded', port: epmdPort } });
  wrong = await Node.start({ name: 'tswrong', cookie: 'not_the_cookie', epmd: { mode: 'external', port: epmdPort } });
  erl = await startErl('cookieerl', 'right', epmdPort);
}, 60_000);

afterAll(async () => {
  await erl?.stop();
  await wrong?.stop();
  await driver?.stop();
});

describe('a wrong cookie', () => {
  it('erl dials us (net_adm:ping/1): we refuse at recv_challenge_reply with bad_cookie and say the cookie differs; erl gets pang', async () => {
    const refused = new Promise<unknown>((resolve) => wrong.once('handshakeError', resolve));
    expect(await evalIn(driver, erl.name, `net_adm:ping('${wrong.name}').`)).toBe(atom('pang'));
    const e = (await refused) as HandshakeError;
    expect(e).toBeInstanceOf(HandshakeError);
    expect(e).toMatchObject({ step: 'recv_challenge_reply', reason: 'bad_cookie', peer: erl.name });
    expect(isBeamwireError(e, 'HANDSHAKE_BAD_COOKIE')).toBe(true);
    expect(e.message).toBe(`handshake with ${erl.name} failed at recv_challenge_reply: bad_cookie (cookie mismatch with ${erl.name}?)`);
  });

  it('we dial erl: OTP closes after our challenge reply, and the error at recv_challenge_ack names the cookie', async () => {
    const [alive, host] = splitName(erl.name);
    const info = await new EpmdClient({ host: '127.0.0.1', port: epmdPort }).portPlease(alive);
    expect(info).toBeDefined();
    const socket = connect({ host: '127.0.0.1', port: info!.port });
    const me = `tsdial@${host}`;
    const e = await initiateOnStream(socket, { name: me, creation: randomInt(4, 2 ** 32), peerName: erl.name, cookie: 'not_the_cookie' }).then(
      () => {
        throw new Error('the handshake succeeded with a wrong cookie');
      },
      (x: unknown) => x as HandshakeError,
    );
    expect(e).toBeInstanceOf(HandshakeError);
    expect(e).toMatchObject({ step: 'recv_challenge_ack', reason: 'closed', peer: erl.name });
    expect(e.message).toBe(
      `handshake with ${erl.name} failed at recv_challenge_ack: closed (the peer closed the connection after our challenge reply: cookie mismatch with ${erl.name}?)`,
    );
    // erl's own side of the story: it refused our digest, it did not just drop the line.
    await expect.poll(() => erl.output(), { timeout: 5000 }).toMatch(new RegExp(`Connection attempt from node '?${me.replace(/[.]/g, '\\.')}'? rejected`));
  });

  it('node.ping from the wrong-cookie node is pang and leaves no connection', async () => {
    expect(await wrong.ping(erl.name)).toBe('pang');
    expect(wrong.nodes()).not.toContain(erl.name);
  });

  it("our node's own attempt emits handshakeError ('out'), and an rpc it could not make carries that error as its cause", async () => {
    const events: [HandshakeError, string][] = [];
    const onError = (e: HandshakeError, direction: 'in' | 'out'): void => void events.push([e, direction]);
    wrong.on('handshakeError', onError);
    try {
      const e = await wrong.rpc(erl.name, 'erlang', 'node', []).then(
        () => {
          throw new Error('the rpc succeeded with a wrong cookie');
        },
        (x: unknown) => x as RpcError,
      );
      expect(e).toBeInstanceOf(RpcError);
      expect(e.reason).toEqual(expect.objectContaining({ elements: [atom('erpc'), atom('noconnection')] }));
      expect(isBeamwireError(e.cause, 'HANDSHAKE_CLOSED')).toBe(true);
      expect((e.cause as HandshakeError).message).toContain(`cookie mismatch with ${erl.name}?`);
      expect(e.message).toContain(`cookie mismatch with ${erl.name}?`);
      expect(events).toHaveLength(1);
      expect(events[0]![1]).toBe('out');
      expect(events[0]![0]).toBe(e.cause);
      // gen_server:call too: {nodedown, Node}, with the same cause.
      const c = (await wrong.call(['kv', erl.name], atom('get')).catch((x: unknown) => x)) as RpcError;
      expect(c.reason).toEqual(expect.objectContaining({ elements: [atom('nodedown'), atom(erl.name)] }));
      expect(isBeamwireError(c.cause, 'HANDSHAKE_CLOSED')).toBe(true);
    } finally {
      wrong.off('handshakeError', onError);
    }
  });
});
