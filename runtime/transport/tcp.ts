/** OTP's inet_tcp_dist: plain TCP, 2-byte handshake frames, Nagle off. */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Accept, Address, Carrier, DialOptions, Listener, ListenerEvents, ListenOptions } from './carrier.js';
import { DialError, dialReason } from './errors.js';

export class TcpCarrier implements Carrier {
  readonly kind = 'tcp';
  readonly handshakeFrame = 2;

  dial(address: Address, o: DialOptions): Promise<Duplex> {
    return dialTcp(address, o);
  }

  listen(o: ListenOptions, accept: Accept, events: Partial<ListenerEvents> = {}): Promise<Listener> {
    const server = createServer({ noDelay: true }, (s) => accept(s, `${s.remoteAddress}:${s.remotePort}`));
    return listenOn(server, o, events);
  }
}

/** A connected socket to `address`, or a DialError after `o.timeoutMs`. */
export function dialTcp(address: Address, o: DialOptions): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket = connect({ host: address.host, port: address.port, noDelay: true });
    const fail = (e: DialError): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(e);
    };
    const timer = setTimeout(
      () => fail(new DialError(o.node, 'timeout', `no TCP connection to ${address.host}:${address.port} within ${o.timeoutMs} ms`)),
      o.timeoutMs,
    );
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
    const onError = (e: Error): void => fail(new DialError(o.node, dialReason(e), `TCP connect to ${address.host}:${address.port}: ${e.message}`, e));
    socket.once('error', onError);
  });
}

/** Listens `server` on `o.host:o.port` (default 0.0.0.0, any port). */
export function listenOn(server: Server, o: ListenOptions, events: Partial<ListenerEvents>): Promise<Listener> {
  return new Promise<Listener>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      // Unheard, a net.Server 'error' would crash the process.
      server.on('error', (e) => events.error?.(e));
      const a = server.address() as { address: string; port: number };
      resolve({
        address: { host: a.address, port: a.port },
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
  });
}

export const tcp: Carrier = new TcpCarrier();
