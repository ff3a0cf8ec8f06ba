/**
 * Unit tier: runtime/handshake/stream.ts over real loopback sockets — 2-byte
 * frames split across TCP chunks, the setup timer (reset at every step), a
 * peer that closes, and the hand-over: bytes after the last handshake message
 * come back in `rest`, exactly as sent, and later bytes wait in the paused socket.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import * as H from '../../generated/handshake.js';
import { FrameReader, frame } from '../../runtime/wire/frames.js';
import { Reader } from '../../runtime/wire/reader.js';
import { Writer } from '../../runtime/wire/writer.js';
import { acceptOnStream, genDigest, HandshakeError, initiateOnStream, ourFlags, type AcceptorOptions, type InitiatorOptions } from '../../runtime/handshake/index.js';

const A: InitiatorOptions = { name: 'a@host', creation: 1111, peerName: 'b@host', cookie: 'secret' };
const B: AcceptorOptions = { name: 'b@host', creation: 2222, cookie: 'secret' };
const EMPTY = new Uint8Array(0);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
function encoded<T>(encode: (w: Writer, v: T) => void, v: T): Uint8Array {
  const w = new Writer(64);
  encode(w, v);
  return w.finish();
}

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

/** A loopback server; resolves each accepted socket in turn. */
/** Marks a handshake promise as observed: tests await it later, after it may already have failed. */
function observed<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

async function listen(onSocket: (s: Socket) => void): Promise<number> {
  const server: Server = createServer(onSocket);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => server.close());
  return (server.address() as AddressInfo).port;
}

function dial(port: number): Socket {
  const s = connect(port, '127.0.0.1');
  s.on('error', () => {}); // failures are asserted through the handshake's own error
  cleanup.push(() => s.destroy());
  return s;
}

/** Reads whole 2-byte frames from a raw socket, for a scripted peer. */
function frames(s: Socket): () => Promise<Uint8Array> {
  const reader = new FrameReader(2);
  const queue: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  s.on('data', (c: Buffer) => {
    queue.push(...reader.push(new Uint8Array(c)));
    wake?.();
  });
  return async () => {
    while (queue.length === 0) await new Promise<void>((r) => (wake = r));
    return queue.shift()!;
  };
}

/** A scripted acceptor: correct up to the ack, then `after` in the same write. */
function scriptedAcceptor(after: Uint8Array, delayMs = 0) {
  return (s: Socket) => {
    cleanup.push(() => s.destroy());
    s.on('error', () => {});
    const next = frames(s);
    void (async () => {
      await next();
      await sleep(delayMs);
      s.write(frame(2, Uint8Array.from(Buffer.from('sok'))));
      await sleep(delayMs);
      s.write(frame(2, encoded(H.encodeSendChallenge, { flags: ourFlags(), challenge: 5, creation: 2222, name: 'b@host', extra: EMPTY })));
      const reply = H.decodeChallengeReply(new Reader(await next()));
      await sleep(delayMs);
      s.write(Buffer.concat([frame(2, encoded(H.encodeChallengeAck, { digest: genDigest(reply.challenge, 'secret') })), after]));
    })();
  };
}

async function until(done: () => boolean, ms = 3000): Promise<void> {
  for (const t0 = Date.now(); !done(); await sleep(10)) if (Date.now() - t0 > ms) throw new Error('condition not reached');
}

async function handshakeError(p: Promise<unknown>): Promise<HandshakeError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof HandshakeError) return e;
    throw e;
  }
  throw new Error('the handshake succeeded');
}

describe('handshake over a socket', () => {
  it('initiateOnStream and acceptOnStream complete against each other', async () => {
    let accepted!: Promise<unknown>;
    const port = await listen((s) => {
      cleanup.push(() => s.destroy());
      accepted = observed(acceptOnStream(s, B));
    });
    const a = await initiateOnStream(dial(port), A);
    expect(a).toMatchObject({ peerName: 'b@host', peerCreation: 2222, hidden: false, rest: new Uint8Array(0) });
    await expect(accepted).resolves.toMatchObject({ peerName: 'a@host', peerCreation: 1111, flags: a.flags });
  });

  it('hands on the 4-byte-framed bytes that came with the ack, and leaves later ones in the paused socket', async () => {
    const tickAndFrame = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 3, 112, 1, 2); // a tick, then a 3-byte packet
    let peer!: Socket;
    const port = await listen((s) => {
      peer = s;
      scriptedAcceptor(tickAndFrame)(s);
    });
    const socket = dial(port);
    const a = await initiateOnStream(socket, A);
    expect([...a.rest]).toEqual([...tickAndFrame]);
    expect(socket.isPaused()).toBe(true);
    const later = new Promise<Buffer>((r) => socket.once('data', r));
    peer.write(Uint8Array.of(0, 0, 0, 0));
    await sleep(20);
    socket.resume();
    expect([...(await later)]).toEqual([0, 0, 0, 0]);
  });

  it('reads frames split across TCP chunks, and resets the timer at every step', async () => {
    // Each answer comes after 150 ms with a 400 ms timer: 450 ms in all, never 400 without progress.
    const port = await listen(scriptedAcceptor(EMPTY, 150));
    const a = await initiateOnStream(dial(port), { ...A, setupTimeoutMs: 400 });
    expect(a.peerName).toBe('b@host');

    let accepted!: Promise<unknown>;
    const port2 = await listen((s) => (accepted = observed(acceptOnStream(s, B))));
    const s = dial(port2);
    const name = frame(2, encoded(H.encodeSendName, { flags: ourFlags(), creation: 1, name: 'a@host', extra: EMPTY }));
    s.setNoDelay(true);
    const next = frames(s);
    for (const byte of name) {
      s.write(Uint8Array.of(byte));
      await sleep(1);
    }
    expect(Buffer.from(await next()).toString()).toBe('sok');
    const ch = H.decodeSendChallenge(new Reader(await next()));
    s.write(frame(2, encoded(H.encodeChallengeReply, { challenge: 9, digest: genDigest(ch.challenge, 'secret') })));
    expect((await next())[0]).toBe(0x61);
    await expect(accepted).resolves.toMatchObject({ peerName: 'a@host' });
  });

  it('times out at the step that waits, and destroys the socket', async () => {
    const port = await listen((s) => cleanup.push(() => s.destroy())); // never answers
    const socket = dial(port);
    const t0 = Date.now();
    const e = await handshakeError(initiateOnStream(socket, { ...A, setupTimeoutMs: 200 }));
    expect(e).toMatchObject({ step: 'recv_status', reason: 'timeout', peer: 'b@host' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(socket.destroyed).toBe(true);

    let accepted!: Promise<unknown>;
    const port2 = await listen((s) => (accepted = observed(acceptOnStream(s, { ...B, setupTimeoutMs: 200 }))));
    dial(port2); // connects and says nothing
    await sleep(50);
    expect(await handshakeError(accepted)).toMatchObject({ step: 'recv_name', reason: 'timeout', peer: undefined });
  });

  it('a timer that fires while a callback decides is setup_timeout, even if the steps then finish', async () => {
    let accepted!: Promise<unknown>;
    const port = await listen((s) => {
      accepted = observed(acceptOnStream(s, { ...B, setupTimeoutMs: 200, markPending: () => 'alive', waitPending: () => sleep(400) }));
    });
    const e = await handshakeError(initiateOnStream(dial(port), { ...A, setupTimeoutMs: 2000 }));
    expect(e).toMatchObject({ step: 'recv_challenge_ack', reason: 'closed' });
    expect(await handshakeError(accepted)).toMatchObject({ step: 'setup_timeout', reason: 'timeout', peer: 'a@host' });
  });

  it('a peer that closes is reported at the waiting step', async () => {
    const port = await listen((s) => s.end());
    expect(await handshakeError(initiateOnStream(dial(port), A))).toMatchObject({ step: 'recv_status', reason: 'closed' });
  });

  it("a last status still reaches the peer before the close: not_allowed for missing mandatory flags", async () => {
    let accepted!: Promise<unknown>;
    const port = await listen((s) => (accepted = observed(acceptOnStream(s, { ...B, mandatory: 26 }))));
    const flags = ourFlags() & ~H.Dflag.UNLINK_ID;
    expect(await handshakeError(initiateOnStream(dial(port), { ...A, flags }))).toMatchObject({ step: 'recv_status', reason: 'not_allowed' });
    expect(await handshakeError(accepted)).toMatchObject({ step: 'recv_name', reason: 'missing_mandatory_flags', detail: 'UNLINK_ID' });
  });

  it('a failed handshake sends nothing more and closes the socket (bad cookie on the acceptor)', async () => {
    let accepted!: Promise<unknown>;
    let serverSocket!: Socket;
    const port = await listen((s) => {
      serverSocket = s;
      accepted = observed(acceptOnStream(s, { ...B, cookie: 'other' }));
    });
    const socket = dial(port);
    const got: number[] = [];
    socket.on('data', (c: Buffer) => got.push(...c));
    const e = await handshakeError(initiateOnStream(socket, A));
    expect(e).toMatchObject({ step: 'recv_challenge_ack', reason: 'closed' });
    expect(await handshakeError(accepted)).toMatchObject({ step: 'recv_challenge_reply', reason: 'bad_cookie' });
    await until(() => serverSocket.destroyed);
    const tags = new FrameReader(2).push(Uint8Array.from(got)).map((f) => String.fromCharCode(f[0]!));
    expect(tags).toEqual(['s', 'N']); // status and challenge, then silence: no 'a'
  });
});

describe('4-byte handshake frames (inet_tls_dist)', () => {
  it('two state machines finish over a stream pair with frame 4, and the rest comes back as sent', async () => {
    const { duplexPair } = await import('../../runtime/transport/index.js');
    const [x, y] = duplexPair();
    const [a, b] = await Promise.all([initiateOnStream(x, { ...A, frame: 4 }), acceptOnStream(y, { ...B, frame: 4 })]);
    expect([a.peerName, b.peerName]).toEqual(['b@host', 'a@host']);
    x.destroy();
  });

  it('a hostile 4-byte length is a clean TransportError at once: no allocation of it, no wait for the bytes', async () => {
    const { duplexPair } = await import('../../runtime/transport/index.js');
    const [x, y] = duplexPair();
    const accepted = observed(acceptOnStream(y, { ...B, frame: 4, setupTimeoutMs: 60_000 }));
    x.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0x4e]));
    const started = Date.now();
    const e = await accepted.then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(HandshakeError);
    expect((e as Error).message).toMatch(/bad handshake frame/);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(y.destroyed).toBe(true);
  });
});
