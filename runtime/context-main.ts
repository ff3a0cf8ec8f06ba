/**
 * A context's own start (the entry of the runtime bundle, router/runtime-bundle.ts):
 * the first stage (router/stage1.ts, or the worker's) calls `__context` with the
 * configuration and the compressed runtime it came as. Over stdio, the
 * real stdout becomes the stream to the parent and `process.stdout` is
 * re-pointed at stderr, so a `console.log` is a log line at the root and
 * never a corrupt packet. The context ends when its parent's link does (no
 * orphans): stdin's end, or the parent's connection going down.
 */
import type { Duplex } from 'node:stream';
import { Duplex as DuplexStream } from 'node:stream';
import type { MessagePort } from 'node:worker_threads';
import * as beamwire from './index.js';
import { Node } from './node/node.js';
import { StreamCarrier } from './transport/index.js';
import { adoptRuntime, MARKER_READY, portStream, Router } from './router/index.js';

export interface ContextConfig {
  readonly name: string;
  readonly node: string;
  readonly parent: string;
  readonly host: string;
  readonly linkCookie: string;
  readonly cookie: string;
  readonly unidirectional: boolean;
  readonly connectTimeout: number;
  readonly maxMessageSize: number;
}

/** Called by the first stage. `port` and `parentPort`: in a worker thread. */
export function __context(config: ContextConfig, runtime: Uint8Array, port?: MessagePort, parentPort?: MessagePort): void {
  main(config, runtime, port, parentPort).catch((e: unknown) => {
    process.stderr.write(`beamwire context ${config.name} failed to start: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(70);
  });
}

async function main(config: ContextConfig, runtime: Uint8Array, port: MessagePort | undefined, parentPort: MessagePort | undefined): Promise<void> {
  adoptRuntime(runtime);
  const [stream, ready] = port === undefined ? stdioStream() : [portStream(port), () => parentPort?.postMessage(MARKER_READY)];
  const node = await Node.start({
    name: config.node,
    cookie: config.cookie,
    cookies: { [config.parent]: config.linkCookie },
    epmd: 'none',
    transport: new StreamCarrier(),
    // Out of OTP's global (as OTP's tool nodes are): its connect would mesh the tree and drop links (prevent_overlapping_partitions).
    hidden: true,
    // A call's packet holds the arguments and a little more: the limit plus room for the envelope.
    maxPacket: config.maxMessageSize + 64 * 1024,
    // No busy wait: a tree's contexts share their root's cores, and spinning processes that outnumber the cores
    // preempt each other (a call via one hop took 348 → 518 µs with every context spinning, bench/router.ts).
    busyWait: 0,
  });
  let ending = false;
  const exit = (): void => {
    if (ending) return;
    ending = true;
    // A worker's process.exit ends the thread only; a process ends whatever is left of it.
    void node.stop().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  Router.attach(node, {
    parent: config.parent,
    host: config.host,
    unidirectional: config.unidirectional,
    connectTimeout: config.connectTimeout,
    maxMessageSize: config.maxMessageSize,
    beamwire,
    exit,
  });
  node.on('nodedown', (peer) => peer === config.parent && exit());
  stream.on('end', exit);
  stream.on('close', exit);
  stream.on('error', exit);
  node.accept(stream);
  ready();
}

/** The real stdin and stdout as the parent's stream; `process.stdout` from now on writes to stderr. */
function stdioStream(): [Duplex, () => void] {
  const out = process.stdout;
  const raw = out.write.bind(out) as (chunk: Uint8Array | string, cb?: (e?: Error | null) => void) => boolean;
  const err = process.stderr;
  out.write = ((chunk: Uint8Array | string, enc?: unknown, cb?: unknown) => err.write(chunk as string, enc as BufferEncoding, cb as () => void)) as typeof out.write;
  const stdin = process.stdin;
  const stream = new DuplexStream({
    read() {
      stdin.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      raw(chunk, (e) => cb(e ?? null));
    },
    writev(chunks, cb) {
      raw(Buffer.concat(chunks.map((c) => c.chunk as Buffer)), (e) => cb(e ?? null));
    },
  });
  stdin.on('data', (d: Buffer) => {
    if (!stream.push(d)) stdin.pause();
  });
  stdin.on('end', () => stream.push(null));
  stdin.on('error', (e) => stream.destroy(e));
  out.on('error', (e) => stream.destroy(e));
  return [stream, () => raw(`${MARKER_READY}\n`)];
}
