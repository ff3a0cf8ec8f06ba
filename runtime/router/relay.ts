/**
 * Contexts as members of the root's Erlang cluster. Outward: a context's
 * tunnel to a node outside the tree ends at the root, which dials that node
 * (EPMD, then TCP) and carries the bytes; the handshake is the context's
 * own. Inward (`relay`): the root registers each context's name with EPMD,
 * at a port of its own, and relays each connection an Erlang node opens
 * there to the context over the tree, so `erpc:call('w2@host', …)` reaches
 * a context two hops away. Both use the context's own cookie, which is the
 * root node's.
 */
import { createConnection, createServer, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { EpmdClient, type Registration } from '../epmd/index.js';
import type { Node } from '../node/node.js';
import { splitName } from '../node/names.js';
import type { Tree } from './tree.js';

/** A TCP connection to `peer`, found through EPMD on its host (the root's EPMD port). */
export async function dialOutside(node: Node, peer: string, timeoutMs: number): Promise<Duplex> {
  const [alive, host] = splitName(peer);
  const epmdPort = node.epmdPort;
  if (epmdPort === 0) throw new Error(`${node.name} runs without EPMD: it cannot find ${peer}`);
  const info = await new EpmdClient({ host, port: epmdPort }).portPlease(alive);
  if (info === undefined || info === null) throw new Error(`${alive} is not registered with EPMD on ${host}`);
  return await new Promise<Duplex>((resolve, reject) => {
    const s = createConnection({ host, port: info.port });
    const timer = setTimeout(() => (s.destroy(), reject(new Error(`connecting to ${peer} timed out`))), timeoutMs);
    s.once('connect', () => (clearTimeout(timer), s.setNoDelay(true), resolve(s)));
    s.once('error', (e) => (clearTimeout(timer), reject(e)));
  });
}

interface Exposed {
  readonly server: Server;
  registration?: Registration;
}

export class InwardRelay {
  readonly #exposed = new Map<string, Exposed>();

  constructor(
    private readonly node: Node,
    private readonly tree: Tree,
    private readonly debug: (line: string) => void,
  ) {}

  /** Registers `context` with EPMD at a port of ours that relays to it. */
  async expose(context: string): Promise<void> {
    if (this.#exposed.has(context) || this.node.epmdPort === 0) return;
    const server = createServer((socket) => {
      socket.setNoDelay(true);
      socket.on('error', (e) => this.debug(`relay to ${context}: ${e.message}`));
      this.tree.relayIn(context, socket);
    });
    server.on('error', (e) => this.debug(`relay listener for ${context}: ${e.message}`));
    const entry: Exposed = { server };
    this.#exposed.set(context, entry);
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const reg = await new EpmdClient({ host: '127.0.0.1', port: this.node.epmdPort }).register({ name: splitName(context)[0], port });
      if (this.#exposed.get(context) !== entry) return void reg.close();
      entry.registration = reg;
    } catch (e) {
      this.debug(`relay: could not register ${context} with EPMD: ${(e as Error).message}`);
    }
  }

  withdraw(context: string): void {
    const e = this.#exposed.get(context);
    if (e === undefined) return;
    this.#exposed.delete(context);
    e.registration?.close();
    e.server.close();
  }

  close(): void {
    for (const c of [...this.#exposed.keys()]) this.withdraw(c);
  }
}
