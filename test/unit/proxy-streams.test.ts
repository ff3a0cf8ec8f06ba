/**
 * Scenario tier, streams through proxies: 256 MiB read remotely (a Node
 * Readable on the owner) and 256 MiB written remotely (an async generator
 * of the holder's, consumed by the owner), each with the process's
 * ArrayBuffer memory growth under half the stream throughout (the window
 * and what awaits a GC, not the stream);
 * a web ReadableStream crosses too, and a consumer that stops early closes
 * the owner's source.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Node, RemoteStream } from '../../runtime/index.js';

const CHUNK = 64 * 1024;
const TOTAL = 256 * 1024 * 1024;
let owner: Node;
let holder: Node;
let closed = false;

function source(total: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      sent += CHUNK;
      this.push(Buffer.alloc(CHUNK, sent & 0xff));
    },
    destroy(err, cb) {
      closed = true;
      cb(err);
    },
  });
}

const files = {
  read: (total: number) => source(total),
  async write(chunks: AsyncIterable<Uint8Array>): Promise<number> {
    let n = 0;
    for await (const c of chunks) n += c.byteLength;
    return n;
  },
  /** A file the owner offers: the name is the owner's suggestion, which the receiver may take or not. */
  offer: (name: string) => ({ name, data: source(4 * CHUNK) }),
  web: () => new ReadableStream<string>({ start: (c) => (['a', 'b', 'c'].forEach((x) => c.enqueue(x)), c.close()) }),
};

beforeAll(async () => {
  owner = await Node.start({ name: 'streamowner@127.0.0.1', cookie: 'c', epmd: { mode: 'embedded', port: 0 }, logger: 'silent' });
  holder = await Node.start({ name: 'streamholder@127.0.0.1', cookie: 'c', epmd: { mode: 'external', port: owner.epmdPort }, logger: 'silent' });
  owner.exposeObject('files', files);
});
afterAll(async () => {
  await holder?.stop();
  await owner?.stop();
});

/**
 * Runs `f` while sampling ArrayBuffer memory; gives the peak growth over the
 * start, in MiB. The bound the tests put on it (half the stream) is loose
 * because chunks already consumed wait for a GC to be freed; a stream read
 * or written whole would grow by all of it.
 */
async function peakGrowth(f: () => Promise<void>): Promise<number> {
  const base = process.memoryUsage().arrayBuffers;
  let peak = base;
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 5);
  try {
    await f();
  } finally {
    clearInterval(t);
  }
  return (Math.max(peak, process.memoryUsage().arrayBuffers) - base) / 2 ** 20;
}

describe('streams through proxies', () => {
  it('256 MiB read remotely with bounded memory', async () => {
    const f = await holder.proxy<typeof files>('files', { node: owner.name });
    let n = 0;
    const growth = await peakGrowth(async () => {
      const s = await f.read(TOTAL);
      expect(s).toBeInstanceOf(RemoteStream);
      for await (const c of s as AsyncIterable<Uint8Array>) n += c.byteLength;
    });
    expect(n).toBe(TOTAL);
    expect(growth).toBeLessThan(TOTAL / 2 / 2 ** 20);
  }, 120_000);

  it('256 MiB written remotely (a holder stream consumed by the owner) with bounded memory', async () => {
    const f = await holder.proxy<typeof files>('files', { node: owner.name });
    async function* chunks(): AsyncIterable<Uint8Array> {
      for (let sent = 0; sent < TOTAL; sent += CHUNK) yield Buffer.alloc(CHUNK, 7);
    }
    let n = 0;
    const growth = await peakGrowth(async () => void (n = await f.write(chunks())));
    expect(n).toBe(TOTAL);
    expect(growth).toBeLessThan(TOTAL / 2 / 2 ** 20);
  }, 120_000);

  it('a web ReadableStream crosses; a consumer that stops early closes the source', async () => {
    const f = await holder.proxy<typeof files>('files', { node: owner.name });
    const got: string[] = [];
    for await (const x of (await f.web()) as AsyncIterable<string>) got.push(x);
    expect(got).toEqual(['a', 'b', 'c']);
    closed = false;
    for await (const c of (await f.read(TOTAL)) as AsyncIterable<Uint8Array>) {
      expect(c.byteLength).toBe(CHUNK);
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(true);
  }, 60_000);

  it('saveTo: a name from the other side is a file name in the folder the receiver chose, never a path', async () => {
    const f = await holder.proxy<typeof files>('files', { node: owner.name });
    const dir = mkdtempSync(join(tmpdir(), 'bw-save-'));
    try {
      const ok = await f.offer('report.bin');
      expect(await (ok.data as unknown as RemoteStream).saveTo(dir, ok.name)).toEqual({ path: join(dir, 'report.bin'), bytes: 4 * CHUNK });
      expect(statSync(join(dir, 'report.bin')).size).toBe(4 * CHUNK);
      for (const hostile of ['../escape.bin', '/etc/passwd', 'a/b', '..', '', 'nul\0x']) {
        const o = await f.offer(hostile);
        await expect((o.data as unknown as RemoteStream).saveTo(dir, o.name)).rejects.toThrow(/is not a file name/);
      }
      const again = await f.offer('report.bin');
      await expect((again.data as unknown as RemoteStream).saveTo(dir, again.name)).rejects.toThrow(/EEXIST/);
      expect(readdirSync(dir)).toEqual(['report.bin']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
