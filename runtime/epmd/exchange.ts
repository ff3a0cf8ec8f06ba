/**
 * One request to epmd over a fresh TCP connection: connect, write the
 * request, collect the answer until it is complete (or epmd closes), all
 * under one deadline. epmd serves one request per connection and closes it
 * afterwards, except a successful ALIVE2 whose socket is handed back open.
 */
import { connect, type Socket } from 'node:net';
import { EpmdError } from './errors.js';

export interface EpmdAddress {
  readonly host: string;
  readonly port: number;
}

export interface CallOptions {
  /** Milliseconds for the whole call, connecting included (default: the client's). */
  readonly timeout?: number;
  readonly signal?: AbortSignal;
}

export interface ExchangeSpec<T> {
  /** What is asked, for messages: `PORT_PLEASE2_REQ for "a"`. */
  readonly what: string;
  readonly request: Uint8Array;
  readonly timeout: number;
  readonly signal?: AbortSignal | undefined;
  /** Most bytes the answer may have; more is a BAD_RESPONSE (a NAMES list is the only long one). */
  readonly maxResponse: number;
  /**
   * Looks at every byte received so far: the answer once it is complete,
   * undefined to wait for more. `closed`: epmd closed, nothing more will come,
   * so it must return an answer or throw. Throws EpmdError for a bad answer.
   */
  complete(received: Uint8Array, closed: boolean): T | undefined;
  /** Keep the socket open after the answer (ALIVE2); otherwise it is destroyed. */
  readonly keep?: boolean;
}

export interface Answer<T> {
  readonly value: T;
  /**
   * Open only when `keep` was set: paused, with its listeners removed except
   * one that ignores errors, until the new owner attaches its own and resumes it.
   */
  readonly socket: Socket;
}

const ignore = (): void => {};

export const where = (to: EpmdAddress): string => `epmd at ${to.host}:${to.port}`;

export function exchange<T>(to: EpmdAddress, spec: ExchangeSpec<T>): Promise<Answer<T>> {
  return new Promise((resolve, reject) => {
    const at = where(to);
    if (spec.signal?.aborted) {
      reject(new EpmdError('ABORTED', `${spec.what} to ${at} was aborted before it started`, { cause: spec.signal.reason }));
      return;
    }
    const socket = connect({ host: to.host, port: to.port });
    socket.setNoDelay(true);
    let received = new Uint8Array(0);
    let connected = false;
    let settled = false;

    const finish = (error: EpmdError | undefined, value?: T): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      spec.signal?.removeEventListener('abort', onAbort);
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      socket.removeListener('close', onEnd);
      socket.removeListener('error', onError);
      socket.removeListener('connect', onConnect);
      if (error !== undefined || !spec.keep) socket.destroy();
      else {
        // Until the caller's continuation runs: no data lost, no error emitted with no listener.
        socket.pause();
        socket.on('error', ignore);
      }
      if (error !== undefined) reject(error);
      else resolve({ value: value as T, socket });
    };
    const check = (closed: boolean): void => {
      let value: T | undefined;
      try {
        value = spec.complete(received, closed);
      } catch (e) {
        finish(e instanceof EpmdError ? e : new EpmdError('BAD_RESPONSE', `${at} answered ${spec.what} unreadably: ${String(e)}`, { cause: e }));
        return;
      }
      if (value !== undefined) finish(undefined, value);
      else if (closed) finish(new EpmdError('BAD_RESPONSE', `${at} closed the connection before answering ${spec.what} in full`));
    };
    const onConnect = (): void => {
      connected = true;
      socket.write(spec.request);
    };
    const onData = (chunk: Buffer): void => {
      if (received.length + chunk.length > spec.maxResponse) {
        finish(new EpmdError('BAD_RESPONSE', `${at} sent more than ${spec.maxResponse} bytes in answer to ${spec.what}`));
        return;
      }
      const next = new Uint8Array(received.length + chunk.length);
      next.set(received);
      next.set(chunk, received.length);
      received = next;
      check(false);
    };
    const onEnd = (): void => check(true);
    const onError = (err: Error): void => {
      if (!connected) finish(new EpmdError('CONNECT_FAILED', `cannot reach ${at} for ${spec.what}: ${err.message}`, { cause: err }));
      else if (received.length === 0)
        finish(new EpmdError('REFUSED', `${at} dropped the connection without answering ${spec.what}: ${err.message}`, { cause: err }));
      else finish(new EpmdError('BAD_RESPONSE', `${at} dropped the connection while answering ${spec.what}: ${err.message}`, { cause: err }));
    };
    const onAbort = (): void => finish(new EpmdError('ABORTED', `${spec.what} to ${at} was aborted`, { cause: spec.signal?.reason }));
    const timer = setTimeout(
      () => finish(new EpmdError('TIMEOUT', `${at} did not answer ${spec.what} within ${spec.timeout} ms${connected ? '' : ' (not even connected)'}`)),
      spec.timeout,
    );
    socket.on('connect', onConnect);
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onError);
    spec.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The connection closed with nothing received: epmd's way of refusing a request. */
export function refused(to: EpmdAddress, what: string, why: string): EpmdError {
  return new EpmdError('REFUSED', `${where(to)} closed the connection without answering ${what} (${why})`);
}
