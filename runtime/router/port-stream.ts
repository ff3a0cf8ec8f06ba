/** A byte stream over a worker's MessagePort: each chunk one message (copied, as structured clone does). */
import { Duplex } from 'node:stream';
import type { MessagePort } from 'node:worker_threads';

export function portStream(port: MessagePort): Duplex {
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      port.postMessage(chunk);
      cb();
    },
    writev(chunks, cb) {
      port.postMessage(Buffer.concat(chunks.map((c) => c.chunk as Buffer)));
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
