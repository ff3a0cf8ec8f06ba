/**
 * Unit tier: EpmdClient against fake epmds that misbehave (garbage,
 * truncation, silence, slammed connections): every call settles, with an
 * EpmdError whose code says what happened and whose cause is the DecodeError.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EpmdClient, EpmdError, EpmdServer, findEpmd, portFromEnv } from '../../runtime/epmd/index.js';
import { DecodeError } from '../../runtime/wire/errors.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A fake epmd on a free port: `answer` gets each connection and the bytes of its first chunk. */
async function fake(answer: (request: Buffer, socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', (req: Buffer) => answer(req, socket));
    server.once('close', () => socket.destroy());
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Writes `bytes` one byte per tick, then closes (unless `keep`). */
async function dribble(socket: Socket, bytes: number[], keep = false): Promise<void> {
  for (const b of bytes) {
    socket.write(Uint8Array.of(b));
    await new Promise((r) => setTimeout(r, 2));
  }
  if (!keep) socket.end();
}

async function failure(p: Promise<unknown>): Promise<EpmdError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(EpmdError);
  return e as EpmdError;
}

const client = (port: number, timeout = 2000): EpmdClient => new EpmdClient({ port, timeout });

describe('EpmdClient', () => {
  it('reads answers that arrive a byte at a time; takes the old ALIVE2_RESP with its 16-bit creation', async () => {
    const port = await fake((req, s) => {
      if (req[2] === 120) void dribble(s, [121, 0, 0, 3], true);
      else if (req[2] === 122) void dribble(s, [119, 0, 0, 80, 72, 0, 0, 6, 0, 6, 0, 1, 97, 0, 2, 1, 2]);
      else void dribble(s, [0, 0, 17, 17, ...Buffer.from('name a at port 80\n')]);
    });
    const reg = await client(port).register({ name: 'a', port: 80 });
    expect(reg.creation).toBe(3);
    expect(await client(port).portPlease('a')).toEqual({ port: 80, nodeType: 72, protocol: 0, highestVersion: 6, lowestVersion: 6, name: 'a', extra: Uint8Array.of(1, 2) });
    expect(await client(port).names()).toEqual({ epmdPort: 4369, nodes: [{ name: 'a', port: 80 }] });
    await reg.close();
  });

  it('the request bytes are the spec layout (ALIVE2_REQ with hidden NodeType and extra)', async () => {
    let seen: Buffer | undefined;
    const port = await fake((req, s) => {
      seen = req;
      s.write(Uint8Array.of(118, 0, 0, 0, 0, 9));
    });
    const reg = await client(port).register({ name: 'py', port: 258, hidden: true, extra: Uint8Array.of(7) });
    expect([...seen!]).toEqual([0, 16, 120, 1, 2, 72, 0, 0, 6, 0, 6, 0, 2, 112, 121, 0, 1, 7]);
    expect(reg.creation).toBe(9);
    await reg.close();
  });

  it('malformed answers are BAD_RESPONSE with the DecodeError as cause', async () => {
    const cases: [number[], (c: EpmdClient) => Promise<unknown>, string][] = [
      [[0x99, 0, 0, 0, 0, 1], (c) => c.register({ name: 'a', port: 1 }), 'BAD_TAG'],
      [[118, 0, 0, 1], (c) => c.register({ name: 'a', port: 1 }), 'TRUNCATED'],
      [[120, 1], (c) => c.portPlease('a'), 'BAD_TAG'],
      [[119, 0, 0, 80, 77, 0, 0, 6], (c) => c.portPlease('a'), 'TRUNCATED'],
      [[119, 0, 0, 80, 77, 0, 0, 6, 0, 6, 0, 1, 97, 0, 0, 5], (c) => c.portPlease('a'), 'TRAILING_BYTES'],
      [[119, 1, 0], (c) => c.portPlease('a'), 'TRAILING_BYTES'],
      [[0, 0], (c) => c.names(), 'TRUNCATED'],
      [[0, 0, 17, 17, ...Buffer.from('nom a at port 1\n')], (c) => c.names(), 'BAD_VALUE'],
      [[0, 0, 17, 17, ...Buffer.from('name a at port 1')], (c) => c.names(), 'TRUNCATED'],
      [[0, 0, 17, 17, ...Buffer.from('name a at port 99999\n')], (c) => c.names(), 'BAD_VALUE'],
      [[0, 0, 17, 17, 0xff, 10], (c) => c.names(), 'BAD_UTF8'],
    ];
    for (const [answer, call, cause] of cases) {
      const port = await fake((_req, s) => s.end(Uint8Array.from(answer)));
      const e = await failure(call(client(port)));
      expect(e.code, `${answer}`).toBe('BAD_RESPONSE');
      expect(e.cause).toBeInstanceOf(DecodeError);
      expect((e.cause as DecodeError).code, `${answer}`).toBe(cause);
      expect(e.message).toContain(`127.0.0.1:${port}`);
    }
  });

  it('a result ≠ 0 to ALIVE2 is NAME_TAKEN; a connection closed unanswered is REFUSED; a non-PORT2 portPlease result is undefined', async () => {
    const taken = await fake((_req, s) => s.end(Uint8Array.of(118, 1, 0, 0, 0, 99)));
    const e = await failure(client(taken).register({ name: 'n', port: 1 }));
    expect(e).toMatchObject({ name: 'EpmdError', code: 'NAME_TAKEN' });
    expect(e.message).toMatch(/refused to register "n" \(result 1\)/);
    const slam = await fake((_req, s) => s.end());
    expect((await failure(client(slam).register({ name: 'n', port: 1 }))).code).toBe('REFUSED');
    expect((await failure(client(slam).portPlease('n'))).code).toBe('REFUSED');
    expect((await failure(client(slam).names())).code).toBe('REFUSED');
    const unknown = await fake((_req, s) => s.end(Uint8Array.of(119, 1)));
    expect(await client(unknown).portPlease('n')).toBeUndefined();
  });

  it('never hangs: a silent epmd is TIMEOUT after the deadline, an AbortSignal is ABORTED, no listener is CONNECT_FAILED', async () => {
    const silent = await fake(() => {});
    const started = Date.now();
    const e = await failure(client(silent, 150).names());
    expect(e.code).toBe('TIMEOUT');
    expect(e.message).toMatch(/within 150 ms/);
    expect(Date.now() - started).toBeLessThan(1500);
    expect((await failure(client(silent).register({ name: 'a', port: 1, timeout: 100 }))).code).toBe('TIMEOUT');
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error('stop')), 50);
    expect((await failure(client(silent).portPlease('a', { signal: abort.signal }))).code).toBe('ABORTED');
    const gone = await fake(() => {});
    await new Promise((r) => servers.pop()!.close(r));
    const down = await failure(client(gone).names());
    expect(down.code).toBe('CONNECT_FAILED');
    expect(down.message).toMatch(/ECONNREFUSED/);
  });

  it('a registration is lost when epmd closes the connection or writes on it', async () => {
    for (const after of [(s: Socket) => s.end(), (s: Socket) => s.write(Uint8Array.of(1))]) {
      const port = await fake((_req, s) => {
        s.write(Uint8Array.of(118, 0, 0, 0, 0, 5));
        setTimeout(() => after(s), 20);
      });
      const reg = await client(port).register({ name: 'a', port: 1 });
      expect(reg.active).toBe(true);
      const lost = await new Promise<EpmdError>((resolve) => reg.on('lost', resolve));
      expect(lost).toMatchObject({ name: 'EpmdError', code: 'LOST' });
      expect(lost.message).toMatch(/registration of "a" with epmd at 127\.0\.0\.1:\d+ lost/);
      expect(reg.active).toBe(false);
    }
  });

  it('refuses arguments epmd would refuse, before connecting', async () => {
    const c = client(1);
    for (const name of ['', 'a@host', 'a\0b', 'x'.repeat(256), '\ud800'])
      expect((await failure(c.portPlease(name))).code, JSON.stringify(name)).toBe('BAD_ARGUMENT');
    expect((await failure(c.register({ name: 'a', port: 70000 }))).code).toBe('BAD_ARGUMENT');
    expect(() => new EpmdClient({ port: -1 })).toThrow(EpmdError);
  });

  it('the port comes from ERL_EPMD_PORT, else 4369', () => {
    expect(portFromEnv({})).toBe(4369);
    expect(portFromEnv({ ERL_EPMD_PORT: '4370' })).toBe(4370);
    expect(() => portFromEnv({ ERL_EPMD_PORT: 'epmd' })).toThrow(/ERL_EPMD_PORT="epmd" is not a TCP port/);
    expect(() => portFromEnv({ ERL_EPMD_PORT: '70000' })).toThrow(EpmdError);
  });
});

describe('findEpmd', () => {
  it('true for an EPMD that answers NAMES, false for no listener or a listener that is not one', async () => {
    const server = await EpmdServer.start();
    try {
      expect(await findEpmd(server.port)).toBe(true);
    } finally {
      await server.close();
    }
    expect(await findEpmd(server.port)).toBe(false);
    const http = await fake((_req, s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    expect(await findEpmd(http)).toBe(false);
    const silent = await fake(() => {});
    expect(await findEpmd(silent, { timeout: 100 })).toBe(false);
  });
});
