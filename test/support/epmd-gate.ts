/**
 * A pass-through proxy in front of an EPMD that can hold port look-ups
 * (PORT_PLEASE2_REQ) until a given number have arrived and then let them
 * all go at once. Two nodes that look each other up through an armed gate
 * dial each other at the same moment: a simultaneous connect on demand,
 * every time, instead of by luck. Everything else (ALIVE2, NAMES) passes
 * straight through.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

const PORT_PLEASE2_REQ = 122;

export class EpmdGate {
  private held: (() => void)[] = [];
  private want = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly upstream: number,
  ) {}

  static async start(upstreamPort: number): Promise<EpmdGate> {
    const server = createServer();
    const gate = new EpmdGate(server, upstreamPort);
    server.on('connection', (s) => gate.serve(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return gate;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  /** Holds the next `n` look-ups until all `n` have arrived (or `timeoutMs` passed), then forwards them together. */
  arm(n = 2, timeoutMs = 3000): void {
    this.want = n;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.release(), timeoutMs);
  }

  private release(): void {
    clearTimeout(this.timer);
    this.want = 0;
    const go = this.held;
    this.held = [];
    for (const f of go) f();
  }

  private serve(client: Socket): void {
    this.sockets.add(client);
    client.on('error', () => client.destroy());
    client.on('close', () => this.sockets.delete(client));
    let first = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      first = Buffer.concat([first, d]);
      if (first.length < 3) return;
      client.off('data', onData);
      client.pause();
      const forward = (): void => {
        if (client.destroyed) return;
        const up = connect(this.upstream, '127.0.0.1');
        this.sockets.add(up);
        up.on('error', () => client.destroy());
        up.on('close', () => (this.sockets.delete(up), client.destroy()));
        client.on('close', () => up.destroy());
        up.write(first);
        client.pipe(up);
        up.pipe(client);
        client.resume();
      };
      if (first[2] === PORT_PLEASE2_REQ && this.want > 0) {
        this.held.push(forward);
        if (this.held.length >= this.want) this.release();
      } else forward();
    };
    client.on('data', onData);
  }

  async close(): Promise<void> {
    this.release();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
