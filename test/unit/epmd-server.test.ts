/**
 * Unit tier: the embedded EPMD (runtime/epmd/server.ts) over real loopback
 * sockets: the answers byte for byte, epmd's creation and ALIVE2 rules, and
 * malformed requests, which must close that connection and nothing else.
 */
import fc from 'fast-check';
import { connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EpmdClient, EpmdServer } from '../../runtime/epmd/index.js';
import { creationOf } from '../../runtime/epmd/registry.js';
import { isLocalAddress } from '../../runtime/epmd/server.js';

/** A raw client connection: everything received, and when epmd closed it. */
interface Peer {
  readonly socket: Socket;
  readonly received: () => Buffer;
  /** All bytes received, once the server closed the connection (rejects after 3 s). */
  readonly closed: Promise<Buffer>;
}

function open(port: number): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {}); // a reset is a close for these tests
    const closed = new Promise<Buffer>((res, rej) => {
      socket.on('close', () => res(Buffer.concat(chunks)));
      setTimeout(() => rej(new Error(`server did not close within 3 s; got ${Buffer.concat(chunks).toString('hex')}`)), 3000).unref();
    });
    closed.catch(() => {});
    socket.once('connect', () => resolve({ socket, received: () => Buffer.concat(chunks), closed }));
    socket.once('error', reject);
  });
}

/** Sends one request (or raw bytes) and waits for the server to close. */
async function ask(port: number, ...writes: Uint8Array[]): Promise<Buffer> {
  const peer = await open(port);
  for (const w of writes) peer.socket.write(w);
  return peer.closed;
}

const u16 = (n: number): number[] => [n >> 8, n & 255];
const bytes = (...parts: (number | string | number[])[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p)] : typeof p === 'number' ? [p] : p)));
/** A u16-framed ALIVE2_REQ. */
const alive2 = (name: string, port: number, high = 6, low = 6): Uint8Array => {
  const body = bytes(120, u16(port), 77, 0, u16(high), u16(low), u16(Buffer.byteLength(name)), name, 0, 0);
  return bytes(u16(body.length), [...body]);
};
const names = (port: number): Promise<string> => ask(port, bytes(0, 1, 110)).then((b) => b.subarray(4).toString());
const waitFor = async (cond: () => Promise<boolean>, what: string): Promise<void> => {
  for (let i = 0; i < 100; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
};

let server: EpmdServer;
let client: EpmdClient;
beforeEach(async () => {
  server = await EpmdServer.start({ port: 0 });
  client = new EpmdClient({ port: server.port, timeout: 2000 });
});
afterEach(() => server.close());

describe('EpmdServer answers as epmd does', () => {
  it('ALIVE2_REQ (v6) → ALIVE2_X_RESP with a 32-bit creation, and the connection stays open', async () => {
    const peer = await open(server.port);
    peer.socket.write(alive2('a', 40725));
    await waitFor(async () => peer.received().length >= 6, 'ALIVE2_X_RESP');
    const resp = peer.received();
    expect(resp.length).toBe(6);
    expect([resp[0], resp[1]]).toEqual([118, 0]);
    expect(resp.readUInt32BE(2)).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 5);
    expect(await names(server.port)).toBe('name a at port 40725\n');
    expect(peer.socket.destroyed).toBe(false);
    peer.socket.end();
    await peer.closed;
    await waitFor(async () => (await names(server.port)) === '', 'the name to be unregistered');
  });

  it('PORT_PLEASE2_REQ → PORT2_RESP as captured from epmd; a trailing NUL is tolerated; unknown → 119,1', async () => {
    const reg = await client.register({ name: 'a', port: 40725, highestVersion: 6, lowestVersion: 5 });
    const want = Buffer.from(bytes(119, 0, 159, 21, 77, 0, 0, 6, 0, 5, 0, 1, 'a', 0, 0));
    expect(await ask(server.port, bytes(0, 2, 122, 'a'))).toEqual(want);
    expect(await ask(server.port, bytes(0, 3, 122, 'a', 0))).toEqual(want);
    expect(await ask(server.port, bytes(0, 2, 122, 'b'))).toEqual(Buffer.from([119, 1]));
    await reg.close();
  });

  it('NAMES_REQ → u32 port then one line per node, newest first', async () => {
    const a = await client.register({ name: 'a', port: 1000 });
    const b = await client.register({ name: 'bé', port: 2000 });
    const raw = await ask(server.port, bytes(0, 1, 110));
    expect(raw.readUInt32BE(0)).toBe(server.port);
    expect(raw.subarray(4).toString()).toBe('name bé at port 2000\nname a at port 1000\n');
    expect(await client.names()).toEqual({ epmdPort: server.port, nodes: [{ name: 'bé', port: 2000 }, { name: 'a', port: 1000 }] });
    await Promise.all([a.close(), b.close()]);
  });

  it('creation: the time in seconds + 1 for a new name, +1 on each re-registration, never below 4; v5 gets 1..3 in ALIVE2_RESP', async () => {
    const t0 = Math.floor(Date.now() / 1000);
    const first = await client.register({ name: 'c', port: 1 });
    expect(first.creation).toBeGreaterThanOrEqual(t0 + 1); // as OTP 25's epmd: the counter starts at time() and every registration bumps it
    expect(first.creation).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 1);
    await first.close();
    await waitFor(async () => (await client.portPlease('c')) === undefined, 'unregistration');
    const second = await client.register({ name: 'c', port: 1 });
    expect(second.creation).toBe(first.creation + 1);
    await second.close();
    expect(creationOf(2, 6)).toBe(4);
    expect(creationOf(0xffffffff, 6)).toBe(0xffffffff);
    const peer = await open(server.port);
    peer.socket.write(alive2('v5', 7, 5, 5));
    await waitFor(async () => peer.received().length >= 4, 'ALIVE2_RESP');
    peer.socket.write(bytes(1)); // unregisters it
    const old = await peer.closed;
    expect(old.length).toBe(4);
    expect(old[0]).toBe(121);
    expect(old.readUInt16BE(2)).toBeGreaterThanOrEqual(1);
    expect(old.readUInt16BE(2)).toBeLessThanOrEqual(3);
  });

  it('a name registered already → result 1, creation 99; the connection stays open, as epmd keeps it, until a byte more', async () => {
    const reg = await client.register({ name: 'dup', port: 1 });
    const peer = await open(server.port);
    peer.socket.write(alive2('dup', 2));
    await waitFor(async () => peer.received().length >= 6, 'ALIVE2_X_RESP');
    expect(peer.received()).toEqual(Buffer.from([118, 1, 0, 0, 0, 99]));
    peer.socket.write(bytes(0));
    await peer.closed;
    await expect(client.register({ name: 'dup', port: 2 })).rejects.toMatchObject({ name: 'EpmdError', code: 'NAME_TAKEN' });
    expect((await client.portPlease('dup'))?.port).toBe(1);
    await reg.close();
  });

  it('DUMP_REQ lists active and old names in epmd_srv.c formats; KILL_REQ says NO while nodes live', async () => {
    const reg = await client.register({ name: 'live', port: 11 });
    const gone = await client.register({ name: 'gone', port: 12 });
    await gone.close();
    await waitFor(async () => (await client.names()).nodes.length === 1, 'unregistration');
    const dump = await ask(server.port, bytes(0, 1, 100));
    expect(dump.readUInt32BE(0)).toBe(server.port);
    expect(dump.subarray(4).toString()).toMatch(/^active name {5}<live> at port 11, fd = \d+\n\0old\/unused name <gone>, port = 12, fd = \d+ \n\0$/);
    expect((await ask(server.port, bytes(0, 1, 107))).toString()).toBe('NO');
    expect((await client.names()).nodes).toEqual([{ name: 'live', port: 11 }]);
    await reg.close();
  });

  it('KILL_REQ with no node registered → OK, and the server stops', async () => {
    expect((await ask(server.port, bytes(0, 1, 107))).toString()).toBe('OK');
    await expect(client.names()).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
  });

  it('STOP_REQ: closed without a reply unless relaxedCommandCheck, then STOPPED / NOEXIST', async () => {
    const reg = await client.register({ name: 's', port: 1 });
    expect((await ask(server.port, bytes(0, 2, 115, 's'))).length).toBe(0);
    expect(reg.active).toBe(true);
    const relaxed = await EpmdServer.start({ port: 0, relaxedCommandCheck: true });
    try {
      const r2 = await new EpmdClient({ port: relaxed.port }).register({ name: 's', port: 1 });
      const lost = new Promise((resolve) => r2.on('lost', resolve));
      expect((await ask(relaxed.port, bytes(0, 2, 115, 's'))).toString()).toBe('STOPPED');
      expect(await lost).toMatchObject({ code: 'LOST' });
      expect((await ask(relaxed.port, bytes(0, 2, 115, 's'))).toString()).toBe('NOEXIST');
    } finally {
      await relaxed.close();
    }
    await reg.close();
  });
});

describe('EpmdServer and malformed requests: that connection closes, the server carries on', () => {
  const stillWorks = async (): Promise<void> => {
    const reg = await client.register({ name: 'ok', port: 5 });
    expect((await client.names()).nodes).toEqual([{ name: 'ok', port: 5 }]);
    await reg.close();
  };

  it('a truncated frame (the peer stops sending and half-closes) gets no reply', async () => {
    const peer = await open(server.port);
    peer.socket.end(bytes(0, 10, 120, 0));
    expect((await peer.closed).length).toBe(0);
    await stillWorks();
  });

  it('an unknown request tag, an empty frame, a truncated ALIVE2 body: closed without a reply', async () => {
    expect((await ask(server.port, bytes(0, 1, 99))).length).toBe(0);
    expect((await ask(server.port, bytes(0, 0))).length).toBe(0);
    expect((await ask(server.port, bytes(0, 5, 120, 0, 1, 77, 0))).length).toBe(0);
    // nlen says 200, the frame holds 1 byte of name.
    expect((await ask(server.port, bytes(0, 14, 120, 0, 1, 77, 0, 0, 6, 0, 6, 0, 200, 'x', 0, 0))).length).toBe(0);
    await stillWorks();
  });

  it('names epmd refuses: NUL inside, none at all, bad UTF-8 (ALIVE2 and PORT_PLEASE2)', async () => {
    expect((await ask(server.port, alive2('a\0b', 1))).length).toBe(0);
    expect((await ask(server.port, bytes(0, 13, 120, 0, 1, 77, 0, 0, 6, 0, 6, 0, 0, 0, 0))).length).toBe(0);
    // Not UTF-8 is refused as epmd refuses a taken name: result 1 (the layout itself was fine).
    const peer = await open(server.port);
    peer.socket.write(bytes(0, 14, 120, 0, 1, 77, 0, 0, 6, 0, 6, 0, 1, 0xff, 0, 0));
    await waitFor(async () => peer.received().length >= 6, 'ALIVE2_X_RESP');
    expect(peer.received()).toEqual(Buffer.from([118, 1, 0, 0, 0, 99]));
    peer.socket.destroy();
    expect((await ask(server.port, bytes(0, 1, 122))).length).toBe(0);
    expect((await ask(server.port, bytes(0, 3, 122, 0xc3, 0x28))).length).toBe(0);
    expect((await ask(server.port, bytes(0, 4, 122, 'a', 0, 'b'))).length).toBe(0);
    await stillWorks();
  });

  it('a length over maxFrame is refused from the header alone, before its bytes arrive', async () => {
    const peer = await open(server.port);
    peer.socket.write(bytes(0xff, 0xff)); // 65535 bytes promised, none sent
    expect((await peer.closed).length).toBe(0);
    const small = await EpmdServer.start({ port: 0, maxFrame: 16 });
    try {
      expect((await ask(small.port, alive2('a-rather-long-name', 1))).length).toBe(0);
      expect((await ask(small.port, bytes(0, 1, 110))).readUInt32BE(0)).toBe(small.port);
    } finally {
      await small.close();
    }
    await stillWorks();
  });

  it('any byte after ALIVE2 on its connection unregisters the node and closes it', async () => {
    const peer = await open(server.port);
    peer.socket.write(alive2('x', 9));
    await waitFor(async () => peer.received().length === 6, 'ALIVE2_X_RESP');
    expect((await client.names()).nodes).toEqual([{ name: 'x', port: 9 }]);
    peer.socket.write(bytes(0));
    expect((await peer.closed).length).toBe(6);
    await waitFor(async () => (await client.portPlease('x')) === undefined, 'unregistration');
  });

  it('bytes sent together with a request make epmd refuse it: no reply, nothing registered', async () => {
    expect((await ask(server.port, bytes(...alive2('y', 9), 0))).length).toBe(0);
    expect((await ask(server.port, bytes(0, 1, 110, 0, 1, 110))).length).toBe(0);
    expect((await ask(server.port, bytes(0, 1, 110, 0))).length).toBe(0);
    expect(await client.portPlease('y')).toBeUndefined();
    await stillWorks();
  });

  it('a silent connection is dropped after requestTimeout', async () => {
    const quick = await EpmdServer.start({ port: 0, requestTimeout: 100 });
    try {
      const peer = await open(quick.port);
      peer.socket.write(bytes(0, 5, 122));
      expect((await peer.closed).length).toBe(0);
    } finally {
      await quick.close();
    }
  });

  it('close() ends every registration (the client hears "lost")', async () => {
    const reg = await client.register({ name: 'z', port: 3 });
    const lost = new Promise<Error>((resolve) => reg.on('lost', resolve));
    await server.close();
    expect(await lost).toMatchObject({ name: 'EpmdError', code: 'LOST' });
    expect(reg.active).toBe(false);
    await reg.close(); // idempotent after loss
  });
});

describe('EpmdServer over IPv6 loopback', () => {
  it('::1 is a local peer: register, look up and list over IPv6 (or start rejects where the host has no IPv6)', async () => {
    let v6: EpmdServer;
    try {
      v6 = await EpmdServer.start({ port: 0, host: '::1' });
    } catch (e) {
      // A container without IPv6: starting must fail with the listen error, not hang or half-start.
      expect((e as NodeJS.ErrnoException).code).toMatch(/^(EADDRNOTAVAIL|EAFNOSUPPORT)$/);
      return;
    }
    try {
      const c = new EpmdClient({ host: '::1', port: v6.port, timeout: 2000 });
      const reg = await c.register({ name: 'six', port: 6 });
      expect((await c.portPlease('six'))?.port).toBe(6);
      expect(await c.names()).toEqual({ epmdPort: v6.port, nodes: [{ name: 'six', port: 6 }] });
      await reg.close();
    } finally {
      await v6.close();
    }
  });
});

describe('which peers may register (ALIVE2, DUMP, KILL, STOP)', () => {
  it('loopback and the host talking to its own address are local; anyone else is not', () => {
    expect(isLocalAddress('127.0.0.1', '127.0.0.1')).toBe(true);
    expect(isLocalAddress('127.8.9.10', '0.0.0.0')).toBe(true);
    expect(isLocalAddress('::ffff:127.0.0.1', '::ffff:127.0.0.1')).toBe(true);
    expect(isLocalAddress('::1', '::1')).toBe(true);
    expect(isLocalAddress('10.0.0.7', '10.0.0.7')).toBe(true);
    expect(isLocalAddress('::ffff:10.0.0.7', '10.0.0.7')).toBe(true);
    expect(isLocalAddress('10.0.0.8', '10.0.0.7')).toBe(false);
    expect(isLocalAddress('fe80::1', '::1')).toBe(false);
    expect(isLocalAddress(undefined, '127.0.0.1')).toBe(false);
  });
});

describe('EpmdServer under random input', () => {
  it('any bytes, in any chunks, only ever close that connection; the server keeps answering', async () => {
    const fuzzed = await EpmdServer.start({ port: 0, requestTimeout: 50 });
    const fuzzClient = new EpmdClient({ port: fuzzed.port, timeout: 2000 });
    const keeper = await fuzzClient.register({ name: 'keeper', port: 1 });
    // Mostly a plausible frame (a u16 length and a known tag), sometimes anything at all.
    const request = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc
        .tuple(fc.constantFrom(120, 122, 110, 100, 107, 115, 0, 255), fc.uint8Array({ maxLength: 40 }), fc.integer({ min: -3, max: 3 }))
        .map(([tag, body, skew]) => {
          const len = Math.max(0, body.length + 1 + skew);
          return Uint8Array.from([len >> 8, len & 255, tag, ...body]);
        }),
    );
    try {
      await fc.assert(
        fc.asyncProperty(request, fc.integer({ min: 1, max: 8 }), async (bytes, cut) => {
          const peer = await open(fuzzed.port);
          for (let at = 0; at < bytes.length; at += cut) peer.socket.write(bytes.subarray(at, at + cut));
          // Closed by the server: at once, after its answer, or after requestTimeout (ALIVE2 connections stay: close them).
          await Promise.race([peer.closed, new Promise((r) => setTimeout(r, 200))]);
          peer.socket.destroy();
          await peer.closed;
        }),
        { numRuns: 150 },
      );
      expect(keeper.active).toBe(true);
      expect((await fuzzClient.names()).nodes.map((n) => n.name)).toContain('keeper');
      expect((await fuzzClient.portPlease('keeper'))?.port).toBe(1);
    } finally {
      await keeper.close();
      await fuzzed.close();
    }
  });
});
