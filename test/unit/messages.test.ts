/**
 * Unit tier: the generated handshake and EPMD codecs on the byte captures of
 * erlang-dist-protocol.md (OTP 25.2.3, marked [V] there): decode to the
 * documented fields, encode back to the same bytes, and refuse bad input with
 * a DecodeError naming the schema path.
 */
import { describe, expect, it } from 'vitest';
import * as E from '../../generated/epmd.js';
import * as H from '../../generated/handshake.js';
import { DecodeError } from '../../runtime/index.js';
import { Reader } from '../../runtime/wire/reader.js';
import { Writer } from '../../runtime/wire/writer.js';

const bytes = (...parts: (number | string)[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'number' ? [p] : [...Buffer.from(p, 'latin1')])));

function encoded<T>(encode: (w: Writer, v: T) => void, v: T): Uint8Array {
  const w = new Writer(16);
  encode(w, v);
  return w.finish();
}

function decodeError(f: () => unknown): DecodeError {
  try {
    f();
  } catch (e) {
    if (e instanceof DecodeError) return e;
    throw e;
  }
  throw new Error('no DecodeError');
}

describe('handshake (schemas/handshake.ksy)', () => {
  // OTP 25 send_name, u16 frame removed: flags 0xD07DF7FBD, creation 1795311901, "a@vm".
  const sendName = bytes(78, 0, 0, 0, 13, 7, 223, 127, 189, 107, 2, 73, 29, 0, 4, 'a@vm');

  it('send_name: decodes the OTP 25 capture and encodes it back byte for byte', () => {
    const m = H.decodeSendName(new Reader(sendName));
    expect(m).toEqual({ flags: 0xd07df7fbdn, creation: 1795311901, name: 'a@vm', extra: new Uint8Array(0) });
    expect(m.flags & H.Dflag.HANDSHAKE_23).toBe(H.Dflag.HANDSHAKE_23);
    expect(encoded(H.encodeSendName, m)).toEqual(sendName);
  });

  it('send_name: a wrong tag or a truncated name is a DecodeError at the field that broke', () => {
    const wrongTag = Uint8Array.from(sendName);
    wrongTag[0] = 110;
    expect(decodeError(() => H.decodeSendName(new Reader(wrongTag)))).toMatchObject({ code: 'BAD_TAG', offset: 0, path: 'send_name.tag' });
    expect(decodeError(() => H.decodeSendName(new Reader(sendName.subarray(0, 17))))).toMatchObject({ code: 'TRUNCATED', path: 'send_name.name' });
  });

  it("the 'named:' status (DFLAG_NAME_ME) carries the name and creation B assigned", () => {
    const named = bytes(115, 'named:', 0, 16, '3EP1RLFPNPXF4@vm', 204, 189, 167, 81);
    expect(H.decodeSendStatusNamed(new Reader(named))).toEqual({ name: '3EP1RLFPNPXF4@vm', creation: 3434981201, extra: new Uint8Array(0) });
  });

  it('challenge_reply is exactly 21 bytes and challenge_ack 17: a longer one is refused', () => {
    const reply = { challenge: 3318321439, digest: Uint8Array.from(Buffer.from('1a6a2992ab9106b0722aa0ca3bbf2e30', 'hex')) };
    const b = encoded(H.encodeChallengeReply, reply);
    expect(b.length).toBe(21);
    expect(H.decodeChallengeReply(new Reader(b))).toEqual(reply);
    expect(decodeError(() => H.decodeChallengeReply(new Reader(bytes(...b, 0))))).toMatchObject({ code: 'TRAILING_BYTES' });
    expect(() => encoded(H.encodeChallengeAck, { digest: new Uint8Array(15) })).toThrow(/challenge_ack\.digest/);
    expect(encoded(H.encodeChallengeAck, { digest: new Uint8Array(16) }).length).toBe(17);
  });

  it('the flag table has dist.h values (MANDATORY_25_DIGEST is bit 26, SPAWN bit 32)', () => {
    expect(H.Dflag.MANDATORY_25_DIGEST).toBe(1n << 26n);
    expect(H.Dflag.SPAWN).toBe(1n << 32n);
    expect(H.Dflag.V4_NC).toBe(4n << 32n);
  });
});

describe('EPMD (schemas/epmd.ksy)', () => {
  it('ALIVE2_REQ in its u16 envelope: the capture decodes, and encodes back with the length computed', () => {
    const wire = bytes(0, 15, 120, 0, 0, 72, 0, 0, 6, 0, 6, 0, 2, 'py', 0, 0);
    const req = E.decodeRequest(new Reader(wire));
    expect(req.request.tag).toBe(E.RequestTag.ALIVE2_REQ);
    expect(req.request.body).toEqual({ portNo: 0, nodeType: 72, protocol: 0, highestVersion: 6, lowestVersion: 6, nodeName: 'py', extra: new Uint8Array(0) });
    expect(encoded(E.encodeRequest, req)).toEqual(wire);
  });

  it('ALIVE2_X_RESP (after its tag 118, which the response switch reads) gives the 32-bit creation', () => {
    expect(E.ResponseTag.ALIVE2_X_RESP).toBe(118);
    expect(E.decodeAlive2XResp(new Reader(bytes(0, 107, 2, 73, 176)))).toMatchObject({ result: 0, creation: 1795312048 });
  });

  it('PORT_PLEASE2_REQ and the node part of PORT2_RESP', () => {
    const req = E.decodeRequest(new Reader(bytes(0, 2, 122, 'a')));
    expect(req.request.body).toEqual({ nodeName: bytes('a') }); // the rest of the request: an alive name, NUL tolerated
    const node = E.decodePort2RespNode(new Reader(bytes(159, 21, 77, 0, 0, 6, 0, 5, 0, 1, 'a', 0, 0)));
    expect(node).toMatchObject({ portNo: 40725, nodeType: 77, protocol: 0, highestVersion: 6, lowestVersion: 5, nodeName: 'a' });
  });

  it('an unknown request tag is refused with BAD_TAG, not ignored', () => {
    expect(decodeError(() => E.decodeRequest(new Reader(bytes(0, 1, 99))))).toMatchObject({ code: 'BAD_TAG' });
  });
});
