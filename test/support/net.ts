/** Loopback helpers for tests that need real sockets. */
import { connect, createServer, type Socket } from 'node:net';

/** A port the OS just handed out and took back: free now, on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Two connected loopback sockets; both are pushed to `keep` so the test can destroy them afterwards. */
export async function socketPair(keep: Socket[]): Promise<[Socket, Socket]> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const accepted = new Promise<Socket>((r) => server.once('connection', r));
  const client = connect(port, '127.0.0.1');
  const other = await accepted;
  server.close();
  await new Promise((r) => client.once('connect', r));
  keep.push(client, other);
  return [client, other];
}

/** Polls `probe` until it gives a value (every `everyMs`), or fails after `ms` naming `what` and, if given, what `output()` shows. */
export async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined, output?: () => string, everyMs = 20): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${output ? `; output so far:\n${output()}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * A port for a test's EPMD (or another fixed listener), below Linux's
 * ephemeral range (32768-60999): no dial and no listen on port 0 anywhere on
 * the machine can be holding it, as they could a port picked in that range.
 */
export function testPort(): number {
  return 20000 + Math.floor(Math.random() * 12000);
}
