/**
 * The server half of bench/proxy.ts, in its own process: the same object
 * served by capnweb over a loopback WebSocket (`ws`, as capnweb's README
 * serves it on Node) and by a beamwire node (`exposeObject`, and the same
 * `add` as an RPC module for the node.rpc comparison). Prints one line:
 * `ready <wsPort> <nodeName>`.
 *
 *   node --import tsx bench/proxy-server.ts <beamwire module> <epmdPort>
 */
import { RpcTarget, newWebSocketRpcSession } from 'capnweb';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';

// capnweb reads WebSocket's constants from the global, which Node has only from 22 on.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

type Beamwire = typeof import('../runtime/index.js');

class Profile extends RpcTarget {
  constructor(readonly id: number) {
    super();
  }
  name(): string {
    return `user ${this.id}`;
  }
}
class User extends RpcTarget {
  constructor(readonly id: number) {
    super();
  }
  profile(): Profile {
    return new Profile(this.id);
  }
}
export class Api extends RpcTarget {
  add(a: number, b: number): number {
    return a + b;
  }
  user(id: number): User {
    return new User(id);
  }
}

const [modulePath, epmdPort] = process.argv.slice(2) as [string, string];
const bw = (await import(pathToFileURL(resolve(modulePath)).href)) as Beamwire;

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
wss.on('connection', (ws) => newWebSocketRpcSession(ws as never, new Api()));
await new Promise<void>((r) => wss.once('listening', () => r()));

const node = await bw.Node.start({ name: `proxysrv${process.pid}@127.0.0.1`, cookie: 'bench', epmd: { mode: 'external', port: Number(epmdPort) }, logger: 'silent' });
node.exposeObject('api', new Api());
node.expose('bench_rpc', { add: (a, b) => (a as number) + (b as number) });

const port = (wss.address() as { port: number }).port;
process.stdout.write(`ready ${port} ${node.name}\n`);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
