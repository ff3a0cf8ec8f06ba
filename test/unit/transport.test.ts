// The carriers under the distribution protocol: memory (nodes by name, no sockets or EPMD), a stream handed
// over (a socket pair, a child's stdio), TCP's dial errors, and the stream pair's back-pressure.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { atom, format, DialError, duplexPair, isBeamwireError, joinStreams, MemoryCarrier, Node, on, P, tcp, tuple, type Term } from '../../runtime/index.js';
import { freePort } from '../support/net.js';

const COOKIE = 'transport';
const nodes: Node[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});
async function start(o: Parameters<typeof Node.start>[0]): Promise<Node> {
  const n = await Node.start({ logger: 'silent', ...o });
  nodes.push(n);
  return n;
}

/** `a` sends {Self, ping} to `b`'s registered echo; resolves with what came back. */
async function echoThrough(a: Node, b: Node): Promise<Term> {
  const echo = b.spawn(async (self) => {
    const { from } = (await self.receive([on(P.tuple(P.bind('from', P.pid()), atom('ping')), (x) => x)])) as { from: never };
    self.send(from, tuple(atom('pong'), atom(b.name)));
  });
  b.register('echo', echo.pid);
  let got: Term = atom('nothing');
  const asker = a.spawn(async (self) => {
    self.send(tuple(atom('echo'), atom(b.name)), tuple(self.pid, atom('ping')));
    got = (await self.receive([on(P.bind('m'), ({ m }) => m)], { timeout: 3000 })) as Term;
  });
  await asker.exited;
  return got;
}

describe('memory carrier', () => {
  it('connects nodes by name, without EPMD or sockets: messages, rpc and nodedown', async () => {
    const net = new MemoryCarrier();
    const a = await start({ name: 'ma@mem', cookie: COOKIE, transport: net, epmd: 'none' });
    const b = await start({ name: 'mb@mem', cookie: COOKIE, transport: net, epmd: 'none' });
    expect(a.epmdPort).toBe(0);
    expect(format(await echoThrough(a, b))).toBe('{pong,mb@mem}');
    b.expose('calc', { add: (x, y) => (x as number) + (y as number) });
    expect(await a.rpc('mb@mem', 'calc', 'add', [2, 3])).toBe(5);
    expect(a.nodes()).toEqual(['mb@mem']);
    const down = new Promise((r) => a.once('nodedown', (n, why) => r([n, why])));
    await b.stop();
    expect(await down).toEqual(['mb@mem', 'closed']);
  });

  it('a wrong cookie fails the handshake as over TCP', async () => {
    const net = new MemoryCarrier();
    const a = await start({ name: 'mc@mem', cookie: COOKIE, transport: net, epmd: 'none' });
    await start({ name: 'md@mem', cookie: 'other', transport: net, epmd: 'none' });
    const e = await a.connect('md@mem').then(() => undefined, (x: unknown) => x);
    expect(isBeamwireError(e, 'HANDSHAKE_BAD_COOKIE') || isBeamwireError(e, 'HANDSHAKE_CLOSED')).toBe(true);
  });

  it('a node it does not know is unreachable, with a DialError', async () => {
    const a = await start({ name: 'me@mem', cookie: COOKIE, transport: new MemoryCarrier(), epmd: 'none' });
    const e = await a.connect('nobody@mem').then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(DialError);
    expect((e as DialError).code).toBe('DIAL_UNREACHABLE');
    expect((e as Error).message).toMatch(/without EPMD/);
  });
});

describe('a stream handed over', () => {
  it('carries a connection made by node.connect(peer, { stream }) and node.accept(stream)', async () => {
    const a = await start({ name: 'sa@pipe', cookie: COOKIE, epmd: 'none' });
    const b = await start({ name: 'sb@pipe', cookie: COOKIE, epmd: 'none' });
    const [x, y] = duplexPair();
    b.accept(y);
    await a.connect('sb@pipe', { stream: x });
    expect(b.nodes()).toEqual(['sa@pipe']);
    expect(format(await echoThrough(b, a))).toBe('{pong,sa@pipe}');
  });

  it("runs the protocol over a child's stdio: a node with no listener and no EPMD", async () => {
    const a = await start({ name: 'parent@pipe', cookie: COOKIE, epmd: 'none' });
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/stream-child.ts', 'child@pipe', COOKIE], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    await a.connect('child@pipe', { stream: joinStreams(child.stdout!, child.stdin!) });
    expect(await a.rpc('child@pipe', 'child', 'add', [40, 2])).toBe(42);
    const who = (await a.rpc('child@pipe', 'child', 'who', [])) as { elements: Term[] };
    expect(who.elements[1]).toBe(child.pid);
    a.disconnect('child@pipe');
    expect(await exited).toBe(0);
  });
});

describe('tcp carrier', () => {
  it('a dial to a closed port is refused with a DialError naming the address', async () => {
    const port = await freePort();
    const e = await tcp.dial({ host: '127.0.0.1', port }, { node: 'x@127.0.0.1', timeoutMs: 2000 }).then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(DialError);
    expect((e as DialError).code).toBe('DIAL_REFUSED');
    expect((e as Error).message).toContain(`127.0.0.1:${port}`);
  });

  it('connects without EPMD to a fixed port (peers table and connect(peer, { port }))', async () => {
    const port = await freePort();
    const b = await start({ name: 'fb@127.0.0.1', cookie: COOKIE, epmd: 'none', listen: { host: '127.0.0.1', port } });
    expect(b.address).toEqual({ host: '127.0.0.1', port });
    const a = await start({ name: 'fa@127.0.0.1', cookie: COOKIE, epmd: 'none', peers: { 'fb@127.0.0.1': port } });
    await a.connect('fb@127.0.0.1');
    const c = await start({ name: 'fc@127.0.0.1', cookie: COOKIE, epmd: 'none' });
    await c.connect('fb@127.0.0.1', { port });
    expect(b.nodes()).toEqual(['fa@127.0.0.1', 'fc@127.0.0.1']);
  });
});

describe('embedded EPMD address', () => {
  /** Whether a TCP connect to host:port is answered. */
  const answers = (host: string, port: number) =>
    new Promise<boolean>((resolve) => {
      const s = connect({ host, port });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });

  it('listens where epmd.host says: 127.0.0.1 is not reached at 127.0.0.2; the default 0.0.0.0 is', async () => {
    const local = await start({ name: 'eh1', cookie: COOKIE, epmd: { mode: 'embedded', port: 0, host: '127.0.0.1' } });
    expect(await answers('127.0.0.1', local.epmdPort)).toBe(true);
    expect(await answers('127.0.0.2', local.epmdPort)).toBe(false);
    const any = await start({ name: 'eh2', cookie: COOKIE, epmd: { mode: 'embedded', port: 0 } });
    expect(await answers('127.0.0.2', any.epmdPort)).toBe(true);
  });
});

describe('duplexPair', () => {
  it('holds a writer back until the reader takes the bytes, and closes both ends together', async () => {
    const [a, b] = duplexPair();
    b.pause();
    const big = Buffer.alloc(1 << 20, 7);
    let ok = true;
    for (let i = 0; i < 64 && ok; i++) ok = a.write(big);
    expect(ok).toBe(false); // back-pressure: the reader is paused
    let got = 0;
    b.on('data', (c: Buffer) => (got += c.length));
    b.resume();
    await new Promise((r) => a.once('drain', r));
    expect(got).toBeGreaterThan(0);
    const closed = new Promise((r) => b.once('close', r));
    a.destroy();
    await closed;
    expect(b.destroyed).toBe(true);
  });
});

