/**
 * A byte stream over a worker's MessagePort: each chunk one message. A
 * chunk is copied into a buffer of its own and that buffer transferred:
 * cloning a view would copy the whole ArrayBuffer under it (a connection's
 * output buffer, or Node's 8 KiB pool) on every write.
 */
import { Duplex } from 'node:stream';
import type { MessagePort } from 'node:worker_threads';

export function portStream(port: MessagePort): Duplex {
  const send = (own: Uint8Array): void => port.postMessage(own, [own.buffer as ArrayBuffer]);
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      send(new Uint8Array(chunk));
      cb();
    },
    writev(chunks, cb) {
      const all = new Uint8Array(chunks.reduce((n, c) => n + (c.chunk as Buffer).length, 0));
      let at = 0;
      for (const c of chunks) all.set(c.chunk as Buffer, at), (at += (c.chunk as Buffer).length);
      send(all);
      cb();
    },
    destroy(e, cb) {
      port.close();
      cb(e);
    },
  });
  port.on('message', (m: Uint8Array) => stream.push(Buffer.from(m.buffer, m.byteOffset, m.byteLength)));
  port.on('close', () => {
    stream.push(null);
    stream.destroy();
  });
  return stream;
}
