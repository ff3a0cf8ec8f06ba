/**
 * Unit tier: the two handshake state machines (runtime/handshake/initiator.ts,
 * acceptor.ts) driven against each other over an in-memory transport pair,
 * and each against a scripted peer that sends exactly the bytes a test needs.
 * Every failure must be a HandshakeError naming OTP's step and reason.
 */
import { describe, expect, it } from 'vitest';
import * as H from '../../generated/handshake.js';
import { Reader } from '../../runtime/wire/reader.js';
import { Writer } from '../../runtime/wire/writer.js';
import {
  accept,
  genDigest,
  HandshakeError,
  initiate,
  memoryPair,
  ourFlags,
  simultaneousStatus,
  type AcceptorOptions,
  type InitiatorOptions,
  type MemoryTransport,
  type Transport,
} from '../../runtime/handshake/index.js';

const A: InitiatorOptions = { name: 'a@host', creation: 1111, peerName: 'b@host', cookie: 'secret' };
const B: AcceptorOptions = { name: 'b@host', creation: 2222, cookie: 'secret' };

const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
const cat = (...parts: (Uint8Array | number[] | string)[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...ascii(p)] : [...p])));
function encoded<T>(encode: (w: Writer, v: T) => void, v: T): Uint8Array {
  const w = new Writer(64);
  encode(w, v);
  return w.finish();
}
const EMPTY = new Uint8Array(0);

/** A transport end that keeps a copy of everything sent through it. */
function recording(t: MemoryTransport): MemoryTransport & { sent: Uint8Array[] } {
  const sent: Uint8Array[] = [];
  return {
    sent,
    send: (p) => (sent.push(Uint8Array.from(p)), t.send(p)),
    recv: () => t.recv(),
    close: () => t.close(),
    get closed() {
      return t.closed;
    },
  };
}

/** Resolves to the HandshakeError `p` rejects with; fails the test if it resolves or throws something else. */
async function handshakeError(p: Promise<unknown>): Promise<HandshakeError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof HandshakeError) return e;
    throw e;
  }
  throw new Error('the handshake succeeded');
}

/** Closes the transport when the state machine fails, as socket.ts does with the socket. */
function closing<T>(t: MemoryTransport, p: Promise<T>): Promise<T> {
  return p.catch((e: unknown) => {
    t.close();
    throw e;
  });
}

/** Both state machines over one pair. */
function pair(a: Partial<InitiatorOptions> = {}, b: Partial<AcceptorOptions> = {}) {
  const [ta, tb0] = memoryPair();
  const tb = recording(tb0);
  const initiator = closing(ta, initiate(ta, { ...A, ...a }));
  const acceptor = closing(tb, accept(tb, { ...B, ...b }));
  // A test awaits the side it checks; the other side's failure is expected, not unhandled.
  initiator.catch(() => {});
  acceptor.catch(() => {});
  return { initiator, acceptor, acceptorSent: tb.sent };
}

/** The scripted side of a pair: `t` talks to the state machine under test. */
function scripted(): [MemoryTransport, MemoryTransport] {
  return memoryPair();
}

const sendName = (flags = ourFlags(), name = 'a@host', creation = 1111) =>
  encoded(H.encodeSendName, { flags, creation, name, extra: EMPTY });
const challenge = (over: Partial<H.SendChallenge> = {}) =>
  encoded(H.encodeSendChallenge, { flags: ourFlags(), challenge: 42, creation: 2222, name: 'b@host', extra: EMPTY, ...over });
const status = (s: string) => cat('s', s);

describe('initiator against acceptor', () => {
  it('completes with matching views of the connection', async () => {
    const { initiator, acceptor } = pair();
    const [a, b] = await Promise.all([initiator, acceptor]);
    expect(a).toMatchObject({ peerName: 'b@host', peerCreation: 2222, name: 'a@host', creation: 1111, hidden: false });
    expect(b).toMatchObject({ peerName: 'a@host', peerCreation: 1111, hidden: false });
    expect(a.flags).toBe(b.flags);
    expect(a.flags).toBe(ourFlags());
    expect(b.peerFlags).toBe(ourFlags());
  });

  it('is hidden when either side leaves out PUBLISHED', async () => {
    for (const [a, b] of [[{ hidden: true }, {}], [{}, { hidden: true }]] as const) {
      const { initiator, acceptor } = pair(a, b);
      const [ra, rb] = await Promise.all([initiator, acceptor]);
      expect([ra.hidden, rb.hidden]).toEqual([true, true]);
      expect(ra.flags & H.Dflag.PUBLISHED).toBe(0n);
    }
  });

  it('uses the per-node cookie from cookieFor on both sides', async () => {
    const { initiator, acceptor } = pair(
      { cookie: 'default-a', cookieFor: (n) => (n === 'b@host' ? 'pair' : undefined) },
      { cookie: 'default-b', cookieFor: (n) => (n === 'a@host' ? 'pair' : undefined) },
    );
    await expect(Promise.all([initiator, acceptor])).resolves.toHaveLength(2);
  });

  it('wrong cookie: the acceptor fails at recv_challenge_reply and closes without a reply; the initiator sees the close; both name the cookie', async () => {
    const { initiator, acceptor, acceptorSent } = pair({ cookie: 'one' }, { cookie: 'two' });
    const eb = await handshakeError(acceptor);
    expect(eb).toMatchObject({ step: 'recv_challenge_reply', reason: 'bad_cookie', peer: 'a@host', code: 'HANDSHAKE_BAD_COOKIE' });
    expect(eb.message).toBe('handshake with a@host failed at recv_challenge_reply: bad_cookie (cookie mismatch with a@host?)');
    expect(acceptorSent.map((m) => String.fromCharCode(m[0]!))).toEqual(['s', 'N']); // no 'a'
    const ea = await handshakeError(initiator);
    expect(ea).toMatchObject({ step: 'recv_challenge_ack', reason: 'closed', peer: 'b@host', code: 'HANDSHAKE_CLOSED' });
    expect(ea.message).toBe(
      'handshake with b@host failed at recv_challenge_ack: closed (the other end closed the transport after our challenge reply: cookie mismatch with b@host?)',
    );
  });

  it('wrong cookie seen by the initiator: an ack digest of another cookie is bad_cookie at recv_challenge_ack', async () => {
    const [ta, peer] = scripted();
    const result = initiate(ta, A);
    await peer.recv();
    peer.send(status('ok'));
    peer.send(challenge());
    const reply = H.decodeChallengeReply(new Reader(await peer.recv()));
    expect(reply.digest).toEqual(genDigest(42, 'secret'));
    peer.send(encoded(H.encodeChallengeAck, { digest: genDigest(reply.challenge, 'other') }));
    const e = await handshakeError(result);
    expect(e).toMatchObject({ step: 'recv_challenge_ack', reason: 'bad_cookie', peer: 'b@host' });
    expect(e.message).toBe('handshake with b@host failed at recv_challenge_ack: bad_cookie (cookie mismatch with b@host?)');
  });

  it('missing mandatory flags from the initiator: not_allowed on the wire, missing_mandatory_flags at recv_name', async () => {
    const flags = ourFlags() & ~H.Dflag.MANDATORY_25_DIGEST & ~H.Dflag.MAP_TAG;
    const { initiator, acceptor, acceptorSent } = pair({ flags });
    const eb = await handshakeError(acceptor);
    expect(eb).toMatchObject({ step: 'recv_name', reason: 'missing_mandatory_flags', peer: 'a@host', detail: 'MAP_TAG' });
    expect(acceptorSent).toEqual([status('not_allowed')]);
    const ea = await handshakeError(initiator);
    expect(ea).toMatchObject({ step: 'recv_status', reason: 'not_allowed' });
    // OTP's acceptor says no more than not_allowed; the message says what that can mean.
    expect(ea.message).toContain('requires a distribution flag we do not offer');
  });

  it('an OTP 26 acceptor also requires UNLINK_ID and V4_NC', async () => {
    const flags = ourFlags() & ~H.Dflag.V4_NC;
    const { initiator, acceptor } = pair({ flags }, { mandatory: 26 });
    expect(await handshakeError(acceptor)).toMatchObject({ reason: 'missing_mandatory_flags', detail: 'V4_NC' });
    expect(await handshakeError(initiator)).toMatchObject({ step: 'recv_status', reason: 'not_allowed' });
  });

  it('missing mandatory flags from the acceptor: the initiator gives up at recv_challenge', async () => {
    const flags = ourFlags() & ~H.Dflag.MANDATORY_25_DIGEST & ~H.Dflag.BIG_CREATION & ~H.Dflag.UTF8_ATOMS;
    const { initiator, acceptor } = pair({}, { flags });
    expect(await handshakeError(initiator)).toMatchObject({ step: 'recv_challenge', reason: 'missing_mandatory_flags', detail: 'UTF8_ATOMS, BIG_CREATION' });
    expect(await handshakeError(acceptor)).toMatchObject({ step: 'recv_challenge_reply', reason: 'closed' });
  });

  it('name mismatch: the challenge must carry exactly the name dialled', async () => {
    const { initiator, acceptor } = pair({ peerName: 'b@host.local' });
    const e = await handshakeError(initiator);
    expect(e).toMatchObject({ step: 'recv_challenge', reason: 'name_mismatch', peer: 'b@host.local' });
    expect(e.detail).toContain('"b@host"');
    await handshakeError(acceptor);
  });

  it('nok: the acceptor keeps its own attempt', async () => {
    const { initiator, acceptor, acceptorSent } = pair({}, { markPending: () => 'nok' });
    expect(await handshakeError(initiator)).toMatchObject({ step: 'recv_status', reason: 'nok', peer: 'b@host' });
    expect(await handshakeError(acceptor)).toMatchObject({ step: 'send_status', reason: 'nok', peer: 'a@host' });
    expect(acceptorSent).toEqual([status('nok')]);
  });

  it('ok_simultaneous continues', async () => {
    const seen: string[] = [];
    const { initiator, acceptor } = pair({}, { markPending: (n) => (seen.push(n), 'ok_simultaneous') });
    await Promise.all([initiator, acceptor]);
    expect(seen).toEqual(['a@host']);
  });

  it('alive answered true: the handshake goes on, and waitPending runs before the ack', async () => {
    const order: string[] = [];
    const { initiator, acceptor, acceptorSent } = pair(
      { isAlive: async (n) => (order.push(`isAlive ${n}`), true) },
      { markPending: async () => 'alive' as const, waitPending: (n) => void order.push(`waitPending ${n}`) },
    );
    await Promise.all([initiator, acceptor]);
    expect(order).toEqual(['isAlive b@host', 'waitPending a@host']);
    expect(acceptorSent[0]).toEqual(status('alive'));
  });

  it('alive answered false: both sides stop at recv_status', async () => {
    const { initiator, acceptor } = pair({ isAlive: () => false }, { markPending: () => 'alive' });
    expect(await handshakeError(initiator)).toMatchObject({ step: 'recv_status', reason: 'alive' });
    expect(await handshakeError(acceptor)).toMatchObject({ step: 'recv_status', reason: 'alive', peer: 'a@host' });
  });

  it('simultaneous connects: the greater name (byte-wise) keeps its attempt', () => {
    expect(simultaneousStatus('b@host', 'a@host')).toBe('nok');
    expect(simultaneousStatus('a@host', 'b@host')).toBe('ok_simultaneous');
    expect(simultaneousStatus('Z@h', 'a@h')).toBe('ok_simultaneous'); // 'Z' (0x5a) < 'a' (0x61)
    expect(simultaneousStatus('\u00e9@h', 'z@h')).toBe('nok');
  });

  it('NAME_ME: the acceptor names the initiator on its host, and both agree on name and creation', async () => {
    const { initiator, acceptor, acceptorSent } = pair({ name: 'host', nameMe: true });
    const [a, b] = await Promise.all([initiator, acceptor]);
    expect(a.name).toMatch(/^[A-Z0-9]{13}@host$/);
    expect(b.peerName).toBe(a.name);
    expect(b.peerCreation).toBe(a.creation);
    expect(a.creation).toBeGreaterThanOrEqual(4);
    expect(a.hidden).toBe(true); // NAME_ME replaces PUBLISHED
    // The acceptor echoes NAME_ME, so it survives the AND: OTP's initiator checks it there.
    expect(H.decodeSendChallenge(new Reader(acceptorSent[1]!)).flags & H.Dflag.NAME_ME).toBe(H.Dflag.NAME_ME);
    expect(a.flags & H.Dflag.NAME_ME).toBe(H.Dflag.NAME_ME);
    expect(H.decodeSendStatusNamed(new Reader(acceptorSent[0]!)).name).toBe(a.name);
  });

  it('NAME_ME with a chosen name; a full name is not a host', async () => {
    const { initiator } = pair({ name: 'host', nameMe: true }, { assignName: (h) => ({ name: `dyn@${h}`, creation: 77 }) });
    expect(await initiator).toMatchObject({ name: 'dyn@host', creation: 77 });
    const bad = pair({ name: 'a@host', nameMe: true });
    expect(await handshakeError(bad.initiator)).toMatchObject({ step: 'send_name', reason: 'bad_name' });
  });
});

describe('initiator against a scripted acceptor', () => {
  async function upToStatus(opts: Partial<InitiatorOptions> = {}) {
    const [ta, peer] = scripted();
    const result = initiate(ta, { ...A, ...opts });
    const name = H.decodeSendName(new Reader(await peer.recv()));
    return { result, peer, name };
  }

  it("sends 'N' with our flags, creation and full name", async () => {
    const { name } = await upToStatus();
    expect(name).toEqual({ flags: ourFlags(), creation: 1111, name: 'a@host', extra: EMPTY });
  });

  it("sends the host alone, creation 0 and NAME_ME when asking for a name", async () => {
    const { name } = await upToStatus({ name: 'host', nameMe: true });
    expect(name).toMatchObject({ creation: 0, name: 'host' });
    expect(name.flags & H.Dflag.NAME_ME).toBe(H.Dflag.NAME_ME);
  });

  it('accepts extra bytes after the challenge name and the named: creation', async () => {
    const { result, peer } = await upToStatus({ name: 'host', nameMe: true });
    peer.send(cat(encoded(H.encodeSendStatusNamed, { name: 'x@host', creation: 9, extra: EMPTY }), [1, 2, 3]));
    peer.send(cat(challenge(), [9, 9]));
    const reply = H.decodeChallengeReply(new Reader(await peer.recv()));
    peer.send(encoded(H.encodeChallengeAck, { digest: genDigest(reply.challenge, 'secret') }));
    expect(await result).toMatchObject({ name: 'x@host', creation: 9 });
  });

  const statusCases: [string, Uint8Array, string, Partial<InitiatorOptions>?][] = [
    ['an empty message', EMPTY, 'malformed'],
    ["a tag other than 's'", cat('x', 'ok'), 'malformed'],
    ['an unknown status', status('maybe'), 'unexpected_status'],
    ['a NUL-terminated status', cat('s', 'ok', [0]), 'unexpected_status'],
    ["'named:' we did not ask for", encoded(H.encodeSendStatusNamed, { name: 'x@host', creation: 1, extra: EMPTY }), 'unexpected_status'],
    ["a truncated 'named:'", cat('s', 'named:', [0, 9], 'x@h'), 'malformed', { name: 'host', nameMe: true }],
    ["'named:' on another host", encoded(H.encodeSendStatusNamed, { name: 'x@elsewhere', creation: 1, extra: EMPTY }), 'bad_name', { name: 'host', nameMe: true }],
    ["'ok' when a name was due", status('ok'), 'unexpected_status', { name: 'host', nameMe: true }],
  ];
  for (const [what, bytes, reason, opts] of statusCases) {
    it(`recv_status: ${what} is ${reason}`, async () => {
      const { result, peer } = await upToStatus(opts);
      peer.send(bytes);
      expect(await handshakeError(result)).toMatchObject({ step: 'recv_status', reason });
    });
  }

  it("answers 'alive' with 's' \"true\" or \"false\"", async () => {
    for (const answer of [true, false]) {
      const { result, peer } = await upToStatus({ isAlive: () => answer });
      peer.send(status('alive'));
      expect(await peer.recv()).toEqual(status(String(answer)));
      if (answer) peer.close(); // "true" goes on to wait for the challenge
      const step = answer ? 'recv_challenge' : 'recv_status';
      expect(await handshakeError(result)).toMatchObject({ step, reason: answer ? 'closed' : 'alive' });
    }
  });

  const challengeCases: [string, Uint8Array, string][] = [
    ['a truncated challenge', challenge().subarray(0, 20), 'malformed'],
    ['a name cut short', challenge().subarray(0, challenge().length - 1), 'malformed'],
    ["a tag other than 'N'", cat('n', challenge().subarray(1)), 'malformed'],
    ['another name', challenge({ name: 'c@host' }), 'name_mismatch'],
    ['no mandatory flags', challenge({ flags: H.Dflag.PUBLISHED }), 'missing_mandatory_flags'],
  ];
  for (const [what, bytes, reason] of challengeCases) {
    it(`recv_challenge: ${what} is ${reason}`, async () => {
      const { result, peer } = await upToStatus();
      peer.send(status('ok'));
      peer.send(bytes);
      expect(await handshakeError(result)).toMatchObject({ step: 'recv_challenge', reason, peer: 'b@host' });
    });
  }

  const ackCases: [string, (d: Uint8Array) => Uint8Array][] = [
    ['16 bytes', (d) => cat('a', d.subarray(1))],
    ['18 bytes (extra byte)', (d) => cat('a', d, [0])],
    ["a tag other than 'a'", (d) => cat('r', d)],
  ];
  for (const [what, make] of ackCases) {
    it(`recv_challenge_ack: ${what} is malformed, even with the right digest`, async () => {
      const { result, peer } = await upToStatus();
      peer.send(status('ok'));
      peer.send(challenge());
      const reply = H.decodeChallengeReply(new Reader(await peer.recv()));
      peer.send(make(genDigest(reply.challenge, 'secret')));
      expect(await handshakeError(result)).toMatchObject({ step: 'recv_challenge_ack', reason: 'malformed' });
    });
  }

  it('a close at each step is reported at that step', async () => {
    for (const steps of [0, 1, 2]) {
      const { result, peer } = await upToStatus();
      if (steps >= 1) peer.send(status('ok'));
      if (steps >= 2) peer.send(challenge());
      if (steps >= 2) await peer.recv();
      peer.close();
      const step = ['recv_status', 'recv_challenge', 'recv_challenge_ack'][steps];
      const e = await handshakeError(result);
      expect(e).toMatchObject({ step, reason: 'closed' });
      // Only a close after our challenge reply points at the cookie.
      expect(e.message.includes('cookie mismatch')).toBe(steps === 2);
    }
  });
});

describe('acceptor against a scripted initiator', () => {
  function start(opts: Partial<AcceptorOptions> = {}) {
    const [tb0, peer] = scripted();
    const tb = recording(tb0);
    return { result: accept(tb, { ...B, ...opts }), peer, sent: tb.sent };
  }

  /** Plays the rest of a correct initiator after send_name: status, challenge, reply, ack. */
  async function finish(peer: Transport, cookie = 'secret'): Promise<Uint8Array> {
    expect(await peer.recv()).toEqual(status('ok'));
    const ch = H.decodeSendChallenge(new Reader(await peer.recv()));
    peer.send(encoded(H.encodeChallengeReply, { challenge: 7, digest: genDigest(ch.challenge, cookie) }));
    return peer.recv();
  }

  it("sends our flags, a challenge, our creation and full name in 'N'", async () => {
    const { result, peer } = start();
    peer.send(sendName());
    expect(await peer.recv()).toEqual(status('ok'));
    const ch = H.decodeSendChallenge(new Reader(await peer.recv()));
    expect(ch).toMatchObject({ flags: ourFlags(), creation: 2222, name: 'b@host' });
    peer.send(encoded(H.encodeChallengeReply, { challenge: 3318321439, digest: genDigest(ch.challenge, 'secret') }));
    expect(await peer.recv()).toEqual(cat('a', genDigest(3318321439, 'secret')));
    expect(await result).toMatchObject({ peerName: 'a@host', peerCreation: 1111 });
  });

  it('a peer that offers flags we lack and closes after our challenge (as an OTP initiator does when one is mandatory): the error names them', async () => {
    // A release newer than beamwire: OTP 29's flags, plus a bit no release has yet, as if it required one of them.
    const future = 1n << 45n;
    const { result, peer } = start();
    peer.send(sendName(ourFlags() | H.Dflag.ALTACT_SIG | H.Dflag.NATIVE_RECORDS | future));
    expect(await peer.recv()).toEqual(status('ok'));
    await peer.recv(); // our challenge
    peer.close();
    const e = await handshakeError(result);
    expect(e).toMatchObject({ step: 'recv_challenge_reply', reason: 'closed', peer: 'a@host' });
    expect(e.detail).toContain(`it offers flags we do not (ALTACT_SIG, NATIVE_RECORDS, 0x${future.toString(16)}): if its release requires one, that is why`);
    expect(e.message).toContain('ALTACT_SIG, NATIVE_RECORDS');
  });

  it('a close after our challenge from a peer that offers nothing we lack names no flags', async () => {
    const { result, peer } = start();
    peer.send(sendName());
    expect(await peer.recv()).toEqual(status('ok'));
    await peer.recv();
    peer.close();
    const e = await handshakeError(result);
    expect(e).toMatchObject({ step: 'recv_challenge_reply', reason: 'closed' });
    expect(e.message).not.toContain('offers flags');
  });

  it("accepts extra bytes after the send_name name", async () => {
    const { result, peer } = start();
    peer.send(cat(sendName(), [0xde, 0xad]));
    await finish(peer);
    await expect(result).resolves.toMatchObject({ peerName: 'a@host' });
  });

  it("accepts the MANDATORY_25_DIGEST shorthand without the individual bits [V]", async () => {
    const { result, peer } = start({ mandatory: 26 });
    peer.send(sendName(H.Dflag.MANDATORY_25_DIGEST | H.Dflag.UNLINK_ID | H.Dflag.V4_NC | H.Dflag.PUBLISHED));
    await finish(peer);
    const r = await result;
    expect(r.peerFlags & H.DflagMask.DIST_MANDATORY_25).toBe(H.DflagMask.DIST_MANDATORY_25);
    expect(r.flags & H.DflagMask.DIST_MANDATORY).toBe(H.DflagMask.DIST_MANDATORY);
  });

  it("accepts the old 'n' send_name and its 'c' complement, as OTP 25.3 does", async () => {
    const { result, peer } = start();
    const flags = ourFlags();
    peer.send(encoded(H.encodeOldSendName, { version: 5, flags: Number(flags & 0xffffffffn), name: ascii('old@host') }));
    expect(await peer.recv()).toEqual(status('ok'));
    const ch = H.decodeSendChallenge(new Reader(await peer.recv()));
    peer.send(encoded(H.encodeSendComplement, { flagsHigh: Number(flags >> 32n), creation: 4444 }));
    peer.send(encoded(H.encodeChallengeReply, { challenge: 7, digest: genDigest(ch.challenge, 'secret') }));
    expect((await peer.recv())[0]).toBe(0x61);
    expect(await result).toMatchObject({ peerName: 'old@host', peerCreation: 4444, peerFlags: flags, flags });
  });

  it("old 'n': high mandatory flags are checked once the complement has come", async () => {
    const { result, peer } = start({ mandatory: 26 });
    const flags = ourFlags() & ~H.Dflag.V4_NC;
    peer.send(encoded(H.encodeOldSendName, { version: 5, flags: Number(flags & 0xffffffffn), name: ascii('old@host') }));
    expect(await peer.recv()).toEqual(status('ok'));
    await peer.recv();
    peer.send(encoded(H.encodeSendComplement, { flagsHigh: Number(flags >> 32n), creation: 4444 }));
    expect(await handshakeError(result)).toMatchObject({ step: 'recv_complement', reason: 'missing_mandatory_flags', detail: 'V4_NC' });
  });

  const nameCases: [string, Uint8Array, string][] = [
    ['an empty message', EMPTY, 'malformed'],
    ["a tag other than 'N' or 'n'", cat('x', sendName().subarray(1)), 'malformed'],
    ['a truncated header', sendName().subarray(0, 10), 'malformed'],
    ['a name cut short', sendName().subarray(0, sendName().length - 2), 'malformed'],
    ['a name without @', sendName(ourFlags(), 'ahost'), 'bad_name'],
    ['an empty alive part', sendName(ourFlags(), '@host'), 'bad_name'],
    ['an empty host', sendName(ourFlags(), 'a@'), 'bad_name'],
    ['two @', sendName(ourFlags(), 'a@b@c'), 'bad_name'],
    ['NAME_ME with a full name', sendName(ourFlags({ nameMe: true }), 'a@host', 0), 'bad_name'],
    ["an old 'n' shorter than its header", cat('n', [0, 5, 0]), 'malformed'],
  ];
  for (const [what, bytes, reason] of nameCases) {
    it(`recv_name: ${what} is ${reason}, and nothing is sent`, async () => {
      const { result, peer, sent } = start();
      peer.send(bytes);
      expect(await handshakeError(result)).toMatchObject({ step: 'recv_name', reason });
      expect(sent).toEqual([]);
    });
  }

  it("recv_status after 'alive': anything but true/false is unexpected_status", async () => {
    const { result, peer } = start({ markPending: () => 'alive' });
    peer.send(sendName());
    expect(await peer.recv()).toEqual(status('alive'));
    peer.send(status('yes'));
    expect(await handshakeError(result)).toMatchObject({ step: 'recv_status', reason: 'unexpected_status', peer: 'a@host' });
  });

  it('recv_complement: a short complement is malformed', async () => {
    const { result, peer } = start();
    peer.send(encoded(H.encodeOldSendName, { version: 5, flags: Number(ourFlags() & 0xffffffffn), name: ascii('old@host') }));
    await peer.recv();
    await peer.recv();
    peer.send(cat('c', [0, 0, 0, 4, 0, 0, 0]));
    expect(await handshakeError(result)).toMatchObject({ step: 'recv_complement', reason: 'malformed' });
  });

  const replyCases: [string, (ch: number) => Uint8Array, string][] = [
    ['20 bytes', (ch) => encoded(H.encodeChallengeReply, { challenge: 1, digest: genDigest(ch, 'secret') }).subarray(0, 20), 'malformed'],
    ['22 bytes (extra byte)', (ch) => cat(encoded(H.encodeChallengeReply, { challenge: 1, digest: genDigest(ch, 'secret') }), [0]), 'malformed'],
    ["a tag other than 'r'", (ch) => cat('a', encoded(H.encodeChallengeReply, { challenge: 1, digest: genDigest(ch, 'secret') }).subarray(1)), 'malformed'],
    ['a digest of another challenge', (ch) => encoded(H.encodeChallengeReply, { challenge: 1, digest: genDigest((ch ^ 1) >>> 0, 'secret') }), 'bad_cookie'],
  ];
  for (const [what, make, reason] of replyCases) {
    it(`recv_challenge_reply: ${what} is ${reason}, and no ack is sent`, async () => {
      const { result, peer, sent } = start();
      peer.send(sendName());
      await peer.recv();
      const ch = H.decodeSendChallenge(new Reader(await peer.recv()));
      peer.send(make(ch.challenge));
      expect(await handshakeError(result)).toMatchObject({ step: 'recv_challenge_reply', reason, peer: 'a@host' });
      expect(sent).toHaveLength(2);
    });
  }

  it('a close before send_name is reported at recv_name with no peer', async () => {
    const { result, peer } = start();
    peer.close();
    const e = await handshakeError(result);
    expect(e).toMatchObject({ step: 'recv_name', reason: 'closed', peer: undefined });
    expect(e.message).toMatch(/^handshake with an unnamed peer failed at recv_name: closed/);
  });
});
