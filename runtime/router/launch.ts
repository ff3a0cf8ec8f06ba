/**
 * Starting a context's process: a local `node`, `ssh host node`, or a
 * worker thread. Each gives back the stream the parent's node connects
 * over, and a way to kill what it started.
 */
import { spawn } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { MessageChannel, Worker } from 'node:worker_threads';
import { boot } from './boot.js';
import { StreamError } from './errors.js';
import { portStream } from './port-stream.js';
import { MARKER_READY, shellQuote, stageArgument } from './stage1.js';

export interface Launched {
  readonly stream: Duplex;
  readonly version: string;
  /** Resolves when the process (or thread) has ended. */
  readonly ended: Promise<void>;
  kill(): void;
}

export interface LaunchCommon {
  readonly name: string;
  readonly runtime: Uint8Array;
  readonly config: object;
  readonly timeoutMs: number;
  readonly line: (stream: 'stdout' | 'stderr', line: string) => void;
}

export interface LocalLaunch {
  /** The `node` to run (default: this process's own executable). */
  readonly node?: string | undefined;
  readonly cwd?: string | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
}

export interface SshLaunch {
  readonly host: string;
  readonly port?: number | undefined;
  readonly user?: string | undefined;
  readonly identityFile?: string | undefined;
  /** The remote command for Node (default `node`): an absolute path when the login shell's PATH has none. */
  readonly node?: string | undefined;
  /** The ssh client (default `ssh`). */
  readonly ssh?: string | undefined;
  /** More `-o` options, e.g. `StrictHostKeyChecking=accept-new` (default: BatchMode, no host-key prompts). */
  readonly options?: readonly string[] | undefined;
}

export async function launchLocal(c: LaunchCommon, o: LocalLaunch): Promise<Launched> {
  const child = spawn(o.node ?? process.execPath, ['-e', stageArgument(), c.name], { stdio: ['pipe', 'pipe', 'pipe'], cwd: o.cwd, env: o.env });
  return launched(child, await boot(child, { name: c.name, runtime: c.runtime, config: c.config, timeoutMs: c.timeoutMs, stderrLine: (l) => c.line('stderr', l) }));
}

export async function launchSsh(c: LaunchCommon, o: SshLaunch): Promise<Launched> {
  const args = ['-o', 'LogLevel=ERROR', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=3'];
  for (const opt of o.options ?? []) args.push('-o', opt);
  if (o.port !== undefined) args.push('-p', String(o.port));
  if (o.user !== undefined) args.push('-l', o.user);
  if (o.identityFile !== undefined) args.push('-i', o.identityFile, '-o', 'IdentitiesOnly=yes');
  // The remote shell parses the command line: every word quoted.
  const remote = [o.node ?? 'node', '-e', stageArgument(), c.name].map(shellQuote).join(' ');
  const child = spawn(o.ssh ?? 'ssh', [...args, o.host, remote], { stdio: ['pipe', 'pipe', 'pipe'] });
  return launched(child, await boot(child, { name: c.name, runtime: c.runtime, config: c.config, timeoutMs: c.timeoutMs, ssh: true, stderrLine: (l) => c.line('stderr', l) }));
}

function launched(child: ReturnType<typeof spawn>, b: { stream: Duplex; version: string }): Launched {
  const ended = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
  return { stream: b.stream, version: b.version, ended, kill: () => void child.kill('SIGKILL') };
}

// The worker's first stage: the runtime comes in workerData, the stream over a port of its own.
const WORKER_STAGE = `const {workerData:w,parentPort:p}=require('worker_threads');
const s=require('zlib').brotliDecompressSync(w.runtime).toString();
const m={exports:{}};new Function('require','module','exports',s)(require,m,m.exports);
m.exports.__context(w.config,w.runtime,w.port,p);`;

export async function launchWorker(c: LaunchCommon): Promise<Launched> {
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(WORKER_STAGE, {
    eval: true,
    name: `beamwire:${c.name}`,
    workerData: { runtime: c.runtime, config: c.config, port: port2 },
    transferList: [port2],
    stdout: true,
    stderr: true,
  });
  for (const which of ['stdout', 'stderr'] as const) lines(worker[which], (l) => c.line(which, l));
  const ended = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new StreamError('timeout', c.name, `not ready after ${c.timeoutMs} ms`)), c.timeoutMs);
    const fail = (e: Error): void => {
      clearTimeout(timer);
      void worker.terminate();
      reject(e);
    };
    worker.once('error', (e) => fail(new StreamError('exited', c.name, `the worker threw: ${e.message}`, '', { cause: e })));
    worker.once('exit', (code) => fail(new StreamError('exited', c.name, `the worker ended (exit code ${code}) before it was ready`)));
    worker.once('message', (m) => {
      clearTimeout(timer);
      if (m === MARKER_READY) resolve();
      else fail(new StreamError('protocol', c.name, `the worker said ${String(m)} where ${MARKER_READY} was due`));
    });
  });
  worker.on('error', () => {}); // after the start, its end is what counts: the link goes down
  return { stream: portStream(port1), version: process.version, ended, kill: () => void worker.terminate() };
}

function lines(s: NodeJS.ReadableStream, each: (line: string) => void): void {
  let rest = '';
  s.setEncoding('utf8');
  s.on('data', (d: string) => {
    rest += d;
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      each(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
    }
  });
  s.on('end', () => rest !== '' && each(rest));
}
