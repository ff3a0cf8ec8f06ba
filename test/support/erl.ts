/**
 * A real Erlang node for the interop tests: one long-lived `erl -noinput`
 * per test file, running `bw_harness.erl` (compiled with `erlc` into a temp
 * dir at start) and talking over its stdin/stdout as a `{packet,4}` port.
 * The requests and replies use a small framing of their own, not ETF, so
 * the harness keeps working when the codec under test does not:
 *
 *   request  Id:u32 Op:u8 Payload      reply  Id:u32 Status:u8 Payload
 *
 * Everything fails loudly: a missing `erl`/`erlc`, a node that dies, or a
 * request that takes longer than its timeout rejects (and a timed-out node is
 * killed, so later requests reject at once instead of queueing behind it).
 *
 * `ERL` and `ERLC` override the executables (default: `erl`, `erlc` on PATH),
 * run on the release BEAMWIRE_OTP selects (test/support/otp.ts).
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { otp } from './otp.js';

/** One term made by the harness's generator, as Erlang encodes it. */
export interface GeneratedTerm {
  /** `term_to_binary(T)`: OTP 25 writes Latin-1 atoms as ATOM_EXT. */
  readonly t2b: Uint8Array;
  /** `term_to_binary(T, [{minor_version, 2}])`: UTF-8 atoms. */
  readonly t2bUtf8: Uint8Array;
  /** The term as `~tP` prints it (depth 10), for failure messages. */
  readonly text: string;
}

/** How Erlang sees two encodings of (supposedly) one term. */
export interface Comparison {
  /** `binary_to_term(Ours) =:= binary_to_term(Original)`. */
  readonly equal: boolean;
  /**
   * Both terms re-encode to the same bytes. Stricter than `equal` on OTP 25,
   * where `0.0 =:= -0.0` is true but the sign bit is still encoded.
   */
  readonly sameBytes: boolean;
}

export interface RoundTripOptions {
  /** `{minor_version, 2}`: UTF-8 atoms. Default: OTP's default (1). */
  readonly utf8Atoms?: boolean;
  /** `compressed`. */
  readonly compressed?: boolean;
}

export interface ErlangHarness {
  /** `erlang:system_info(otp_release)` of the running node, e.g. "25". */
  readonly otpRelease: string;
  /** `term_to_binary(binary_to_term(Bytes))`. Rejects with {@link ErlangError} if Erlang cannot decode `bytes`. */
  roundTrip(bytes: Uint8Array, options?: RoundTripOptions): Promise<Uint8Array>;
  /** Decodes both in Erlang and compares them. Rejects with {@link ErlangError} if either raises. */
  compare(ours: Uint8Array, original: Uint8Array): Promise<Comparison>;
  /** `binary_to_term(Ours) =:= binary_to_term(Original)`. Rejects with {@link ErlangError} on badarg. */
  checkEqual(ours: Uint8Array, original: Uint8Array): Promise<boolean>;
  /** `count` random terms of every kind, from Erlang's `rand` seeded with `seed` (a u32). */
  generate(count: number, seed: number): Promise<GeneratedTerm[]>;
  /** Asks the node to halt, kills it if it does not, removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** Erlang answered, with an error (e.g. `binary_to_term` raised badarg). */
export class ErlangError extends Error {
  override readonly name = 'ErlangError';
}

/** The harness itself failed: no Erlang installed, the node died, a request timed out. */
export class HarnessError extends Error {
  override readonly name = 'HarnessError';
}

export interface StartOptions {
  /** Per-request timeout; `generate` gets four times as long. Default 20 s. */
  readonly timeoutMs?: number;
  /** For compiling the harness and booting the node. Default 60 s. */
  readonly startTimeoutMs?: number;
}

const OP_ROUND_TRIP = 1;
const OP_COMPARE = 2;
const OP_GENERATE = 3;
const OP_STOP = 4;

const HARNESS_SOURCE = fileURLToPath(new URL('./bw_harness.erl', import.meta.url));
/** A frame longer than this is not a reply: something else wrote to stdout. */
const MAX_FRAME = 512 * 1024 * 1024;
const INSTALL_HINT = 'the interop tests need Erlang/OTP (erl and erlc on PATH, or set ERL and ERLC)';

/** Compiles the harness and boots one Erlang node. Rejects, never hangs, if Erlang is missing or broken. */
export async function startErlang(options: StartOptions = {}): Promise<ErlangHarness> {
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const erl = process.env['ERL'] ?? 'erl';
  const erlc = process.env['ERLC'] ?? 'erlc';
  const dir = await mkdtemp(join(tmpdir(), 'beamwire-erl-'));
  try {
    await compileHarness(erlc, dir, startTimeoutMs);
    const node = new Node(erl, dir, options.timeoutMs ?? 20_000);
    await node.ready(startTimeoutMs);
    return node;
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

function compileHarness(erlc: string, dir: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(...otp(erlc, ['-o', dir, HARNESS_SOURCE]), { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error === null) return resolve();
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return reject(new HarnessError(`cannot run '${erlc}': not found; ${INSTALL_HINT}`));
      reject(new HarnessError(`'${erlc} ${HARNESS_SOURCE}' failed (${error.message.trim()}):\n${stdout}${stderr}`));
    });
  });
}

interface Pending {
  readonly what: string;
  readonly resolve: (payload: Buffer) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

class Node implements ErlangHarness {
  otpRelease = '';
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #dir: string;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #stderr = '';
  /** Set once the node is unusable; every later request rejects with it. */
  #failure: HarnessError | undefined;
  #exited: Promise<void>;
  #stopping: Promise<void> | undefined;

  constructor(erl: string, dir: string, timeoutMs: number) {
    this.#dir = dir;
    this.#timeoutMs = timeoutMs;
    const args = [
      '-noinput', // the node must not read stdin itself: the port owns it
      // Atoms are never freed and every fast-check run makes new ones: room
      // for long campaigns (the default table holds 1,048,576).
      '+t',
      '8388608',
      '-pa',
      dir,
      // Logger output (crash reports) to stderr: stdout carries only frames.
      '-kernel',
      'logger',
      '[{handler,default,logger_std_h,#{config=>#{type=>standard_error}}}]',
      '-eval',
      'bw_harness:main()',
    ];
    this.#child = spawn(...otp(erl, args), {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ERL_CRASH_DUMP_SECONDS: '0' },
    });
    this.#exited = new Promise((resolve) => {
      // 'close', not 'exit': by then stderr has been read to the end.
      this.#child.on('close', (code, signal) => {
        this.#fail(`erl exited (${signal ?? `code ${code}`})`);
        resolve();
      });
      this.#child.on('error', (error: NodeJS.ErrnoException) => {
        this.#fail(error.code === 'ENOENT' ? `cannot run '${erl}': not found; ${INSTALL_HINT}` : `cannot run '${erl}': ${error.message}`);
        resolve();
      });
    });
    this.#child.stdout.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#child.stderr.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-4000);
    });
    this.#child.stdin.on('error', () => {}); // EPIPE after a crash; 'exit' reports it
    // Do not keep the test process alive for the node's sake: a pending
    // request's timer does that while it waits. When the test process ends,
    // the node sees EOF on stdin and halts.
    this.#child.unref();
    for (const s of [this.#child.stdin, this.#child.stdout, this.#child.stderr]) (s as unknown as { unref?: () => void }).unref?.();
  }

  /** Waits for the hello frame (request id 0) that carries the OTP release. */
  ready(timeoutMs: number): Promise<void> {
    return this.#request(0, 'start', timeoutMs).then((payload) => {
      this.otpRelease = payload.toString('utf8');
    });
  }

  async roundTrip(bytes: Uint8Array, options: RoundTripOptions = {}): Promise<Uint8Array> {
    const flags = (options.utf8Atoms ? 1 : 0) | (options.compressed ? 2 : 0);
    const reply = await this.#call(OP_ROUND_TRIP, 'roundTrip', [Uint8Array.of(flags), bytes]);
    return new Uint8Array(reply);
  }

  async compare(ours: Uint8Array, original: Uint8Array): Promise<Comparison> {
    const reply = await this.#call(OP_COMPARE, 'compare', [u32(ours.length), ours, original]);
    return { equal: reply[0] === 1, sameBytes: reply[1] === 1 };
  }

  async checkEqual(ours: Uint8Array, original: Uint8Array): Promise<boolean> {
    return (await this.compare(ours, original)).equal;
  }

  async generate(count: number, seed: number): Promise<GeneratedTerm[]> {
    const reply = await this.#call(OP_GENERATE, 'generate', [u32(count), u32(seed >>> 0)], this.#timeoutMs * 4);
    const terms: GeneratedTerm[] = [];
    let at = 0;
    const next = (): Buffer => {
      const len = reply.readUInt32BE(at);
      const part = reply.subarray(at + 4, at + 4 + len);
      at += 4 + len;
      return part;
    };
    while (at < reply.length) {
      const t2b = new Uint8Array(next());
      const t2bUtf8 = new Uint8Array(next());
      terms.push({ t2b, t2bUtf8, text: next().toString('utf8') });
    }
    if (terms.length !== count) throw new HarnessError(`generate(${count}) returned ${terms.length} terms`);
    return terms;
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      if (this.#failure === undefined) {
        await this.#call(OP_STOP, 'stop', [], 5_000).catch(() => {});
      }
      const killer = setTimeout(() => this.#child.kill('SIGKILL'), 5_000);
      await this.#exited;
      clearTimeout(killer);
      await rm(this.#dir, { recursive: true, force: true });
    })();
    return this.#stopping;
  }

  #call(op: number, what: string, parts: Uint8Array[], timeoutMs = this.#timeoutMs): Promise<Buffer> {
    const id = this.#nextId++;
    const promise = this.#request(id, what, timeoutMs);
    if (this.#failure === undefined) {
      const body = Buffer.concat([u32(id), Uint8Array.of(op), ...parts]);
      this.#child.stdin.write(Buffer.concat([u32(body.length), body]));
    }
    return promise;
  }

  #request(id: number, what: string, timeoutMs: number): Promise<Buffer> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new HarnessError(`erl did not answer ${what} within ${timeoutMs} ms${this.#stderrTail()}`));
        this.#fail(`erl was killed after ${what} timed out`);
        this.#child.kill('SIGKILL');
      }, timeoutMs);
      this.#pending.set(id, { what, resolve, reject, timer });
    });
  }

  #onData(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    for (;;) {
      if (this.#buffered < 4) return;
      let head = this.#chunks[0]!;
      if (head.length < 4) head = this.#flatten();
      const len = head.readUInt32BE(0);
      if (len < 5 || len > MAX_FRAME) {
        const text = this.#flatten().toString('latin1').slice(0, 300);
        this.#fail(`erl wrote something that is not a reply frame to stdout: ${JSON.stringify(text)}`);
        this.#child.kill('SIGKILL');
        return;
      }
      if (this.#buffered < 4 + len) return;
      const all = this.#flatten();
      const frame = all.subarray(4, 4 + len);
      const rest = all.subarray(4 + len);
      this.#chunks = rest.length > 0 ? [rest] : [];
      this.#buffered = rest.length;
      this.#onFrame(frame);
    }
  }

  #flatten(): Buffer {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0]!;
  }

  #onFrame(frame: Buffer): void {
    const id = frame.readUInt32BE(0);
    const status = frame[4];
    const payload = frame.subarray(5);
    const pending = this.#pending.get(id);
    if (pending === undefined) return; // answered after its timeout
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (status === 0) pending.resolve(payload);
    else pending.reject(new ErlangError(`${pending.what}: ${payload.toString('utf8')}`));
  }

  #fail(reason: string): void {
    if (this.#failure !== undefined) return;
    this.#failure = new HarnessError(`${reason}${this.#stderrTail()}`);
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      this.#pending.delete(id);
      p.reject(new HarnessError(`${p.what} failed: ${this.#failure.message}`));
    }
  }

  #stderrTail(): string {
    const tail = this.#stderr.trim();
    return tail ? `\nerl stderr:\n${tail}` : '';
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}
