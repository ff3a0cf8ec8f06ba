/**
 * The parent's side of a context's start over a child process's stdio (a
 * local `node`, or `ssh host node`): waits for each marker of the first
 * stage (stage1.ts), checks the remote Node's version, sends the runtime
 * and the configuration, and hands back the child's stdout and stdin as one
 * stream once the runtime says its node is ready. Until then whatever the
 * child prints is kept (the last 4 KiB), for the StreamError that says why
 * a start failed.
 */
import type { ChildProcess } from 'node:child_process';
import { Duplex, type Writable } from 'node:stream';
import { StreamError } from './errors.js';
import { MARKER_LOADED, MARKER_READY, MARKER_STAGE, stagePayload } from './stage1.js';

/** The oldest Node a context runs on (this package's engines). */
export const MIN_NODE_MAJOR = 20;
const KEEP = 4096;

export interface BootOptions {
  /** The context's name, for errors. */
  readonly name: string;
  readonly runtime: Uint8Array;
  readonly config: object;
  readonly timeoutMs: number;
  /** Set for ssh: exit status 255 is ssh's own failure. */
  readonly ssh?: boolean;
  /** Each line the child writes to stderr, before and after the start. */
  readonly stderrLine: (line: string) => void;
}

export interface Booted {
  readonly stream: Duplex;
  /** The remote `process.version`. */
  readonly version: string;
}

export function boot(child: ChildProcess, o: BootOptions): Promise<Booted> {
  const { stdout, stdin, stderr } = child;
  if (stdout === null || stdin === null) return Promise.reject(new StreamError('spawn', o.name, 'the child has no stdio pipes'));
  let printed = '';
  const keep = (s: string): void => void (printed = (printed + s).slice(-KEEP));
  let err = '';
  stderr?.setEncoding('utf8');
  stderr?.on('data', (d: string) => {
    keep(d);
    err += d;
    let nl: number;
    while ((nl = err.indexOf('\n')) >= 0) {
      o.stderrLine(err.slice(0, nl));
      err = err.slice(nl + 1);
    }
  });
  stderr?.on('end', () => err !== '' && o.stderrLine(err));
  // A write to a child that died fails with EPIPE: the exit says why.
  stdin.on('error', () => {});

  return new Promise<Booted>((resolve, reject) => {
    let buffered: Buffer = Buffer.alloc(0);
    let version = '';
    let done = false;
    const fail = (e: StreamError): void => {
      if (done) return;
      done = true;
      cleanup();
      child.kill('SIGKILL');
      reject(e);
    };
    const timer = setTimeout(() => fail(new StreamError('timeout', o.name, `not ready after ${o.timeoutMs} ms`, printed)), o.timeoutMs);
    let exited = false;
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (exited) return;
      exited = true;
      // Let stderr's last words arrive first: 'close' comes once the pipes are drained (a grandchild may hold them: then a moment).
      const now = (): void => {
        const how = code !== null ? `exit status ${code}` : `signal ${signal}`;
        if (code === 127) return fail(new StreamError('no_node', o.name, `no \`node\` there (${how})`, printed));
        if (o.ssh && code === 255) return fail(new StreamError('ssh', o.name, `ssh failed (${how})`, printed));
        fail(new StreamError('exited', o.name, `the child ended (${how}) before it was ready`, printed));
      };
      const late = setTimeout(now, 250);
      child.once('close', () => (clearTimeout(late), now()));
    };
    const onError = (e: Error): void => fail(new StreamError('spawn', o.name, e.message, printed, { cause: e }));
    const onData = (d: Buffer): void => {
      buffered = buffered.length === 0 ? d : Buffer.concat([buffered, d]);
      for (;;) {
        const nl = buffered.indexOf(10);
        if (nl < 0) return;
        const line = buffered.subarray(0, nl).toString('utf8');
        buffered = buffered.subarray(nl + 1);
        if (line.startsWith(`${MARKER_STAGE} `)) {
          version = line.split(' ')[1] ?? '';
          const major = Number(/^v(\d+)\./.exec(version)?.[1]);
          if (!(major >= MIN_NODE_MAJOR)) return fail(new StreamError('version', o.name, `it runs Node ${version || '(unknown)'}; beamwire needs ${MIN_NODE_MAJOR} or later`, printed));
          stdin.write(stagePayload(o.runtime, o.config));
        } else if (line === MARKER_LOADED) {
          if (version === '') return fail(new StreamError('protocol', o.name, `${MARKER_LOADED} before ${MARKER_STAGE}`, printed));
        } else if (line === MARKER_READY) {
          done = true;
          cleanup();
          // Out of flowing mode before the stream takes over, or bytes are lost between the two.
          stdout.pause();
          if (buffered.length > 0) stdout.unshift(buffered);
          return resolve({ stream: joinPipes(stdout, stdin), version });
        } else keep(`${line}\n`); // a banner, a shell's complaint: kept for the error
      }
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      stdout.removeListener('data', onData);
      child.removeListener('exit', onExit);
      child.removeListener('error', onError);
    };
    stdout.on('data', onData);
    child.on('exit', onExit);
    child.on('error', onError);
  });
}

/**
 * The child's stdout and stdin as one stream, with nothing between: each
 * chunk read is pushed as it comes and each write goes straight to the
 * pipe (Duplex.from's adapter costs a call round trip several ticks).
 */
export function joinPipes(readable: NodeJS.ReadableStream & { destroy(e?: Error): void }, writable: NodeJS.WritableStream & { destroy(e?: Error): void }): Duplex {
  const stream = new Duplex({
    read() {
      readable.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      writable.write(chunk, (e?: Error | null) => cb(e ?? null));
    },
    writev(chunks, cb) {
      // Corked, the pipe takes the runs in one writev(2) instead of a write(2) each.
      const w = writable as NodeJS.WritableStream & Partial<Pick<Writable, 'cork' | 'uncork'>>;
      w.cork?.();
      for (let i = 0; i < chunks.length - 1; i++) writable.write(chunks[i]!.chunk as Buffer);
      writable.write(chunks[chunks.length - 1]!.chunk as Buffer, (e?: Error | null) => cb(e ?? null));
      w.uncork?.();
    },
    final(cb) {
      writable.end();
      cb();
    },
    destroy(e, cb) {
      readable.destroy();
      writable.destroy();
      cb(e);
    },
  });
  readable.on('data', (d: Buffer) => {
    if (!stream.push(d)) readable.pause();
  });
  readable.on('end', () => stream.push(null));
  readable.on('error', (e: Error) => stream.destroy(e));
  writable.on('error', (e: Error) => stream.destroy(e));
  return stream;
}
