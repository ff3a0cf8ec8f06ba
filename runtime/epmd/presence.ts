/**
 * Being findable through EPMD, for one node, for as long as it lives.
 *
 * A Registration ends when its ALIVE2 connection does: epmd killed or
 * restarted, or the beamwire node that ran the embedded EPMD stopped. An
 * EpmdPresence then registers again (ALIVE2) with backoff, until it
 * succeeds or `close()`; in 'auto' and 'embedded' mode, when nothing
 * listens on the EPMD port any more, it starts the embedded EPMD there
 * itself (another node that won that race answers EADDRINUSE: register
 * with it), so the beamwire nodes of a host keep one EPMD between them.
 * That includes a real epmd killed under an 'auto' node: the embedded
 * EPMD takes its port, and an epmd started later finds the port taken and
 * exits (quietly, status 0) while Erlang nodes register with ours; use
 * 'external' to wait for the system's epmd instead.
 *
 *   const presence = await EpmdPresence.start({ name: 'app', port: distPort, epmdPort: 4369, mode: 'auto', debug });
 *   presence.creation   // the first registration's creation: the node's for its whole life
 *   presence.epmdPort   // where it registered (port 0 read back), also where to look peers up
 *   presence.on('lost', (e) => …).on('registered', (info) => …);
 *   await presence.close();   // unregisters; closes the embedded EPMD if this presence runs it
 *
 * Events (EpmdPresenceEvents) are information only and need no listener;
 * 'error' is never emitted. Start-up failures reject `start()` instead.
 * Timers are unref'd: retrying never keeps the process alive, and after
 * `close()` nothing of this presence is left (no timer, no socket).
 */
import { EventEmitter } from 'node:events';
import { checkName, EpmdClient, portFromEnv } from './client.js';
import { EpmdError } from './errors.js';
import { findEpmd } from './find.js';
import type { Registration } from './registration.js';
import { EpmdServer } from './server.js';

/**
 * 'auto': a running epmd, else the embedded one (and take the port over
 * when it goes away); 'external': only a running epmd, waited for when it
 * goes away; 'embedded': start ours at first, take the port over later.
 */
export type EpmdMode = 'auto' | 'external' | 'embedded';

export interface EpmdPresenceOptions {
  /** The alive part of the node name (before '@'). */
  readonly name: string;
  /** The node's distribution port, registered with epmd. */
  readonly port: number;
  /** Registers NodeType 72 (informational only). */
  readonly hidden?: boolean;
  /** Default $ERL_EPMD_PORT, else 4369. 0 ('embedded' or 'auto'): the embedded EPMD on any free port, read back from `epmdPort`. */
  readonly epmdPort?: number;
  /** Default 'auto'. */
  readonly mode?: EpmdMode;
  /**
   * Where the embedded EPMD listens: default 0.0.0.0, so nodes on other
   * hosts can look this one up. Registering goes to 127.0.0.1 (epmd takes
   * ALIVE2 from local peers only) unless this names one address.
   */
  readonly host?: string | undefined;
  /** One line per step: losses, attempts, take-overs. */
  readonly debug?: (line: string) => void;
  /** Delay before the n-th retry: initialMs × 2ⁿ up to maxMs, times a random 0.5..1. Default 50 ms to 2000 ms. */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Milliseconds for each EPMD call (default 5000). */
  readonly timeout?: number;
}

/** Where the node is registered now. */
export interface PresenceInfo {
  /** What epmd assigned this time; the node keeps its first one (its pids carry it). */
  readonly creation: number;
  readonly epmdPort: number;
  /** Whether this presence runs the embedded EPMD it registered with. */
  readonly ownsEpmd: boolean;
}

export interface EpmdPresenceEvents {
  /** The registration ended without `close()` (`error.code` 'LOST'): registering again has begun. */
  lost: [error: EpmdError];
  /** Registered again after a loss; peers find the node through EPMD again. */
  registered: [info: PresenceInfo];
}

/** What start-up settled: fixed for the presence's life. */
interface Settings {
  readonly name: string;
  readonly port: number;
  readonly hidden: boolean;
  readonly mode: EpmdMode;
  readonly epmdPort: number;
  readonly listenHost: string;
  readonly client: EpmdClient;
  readonly initialMs: number;
  readonly maxMs: number;
  readonly debug: (line: string) => void;
}

export class EpmdPresence extends EventEmitter<EpmdPresenceEvents> {
  /** The alive name registered. */
  readonly name: string;
  /** The first registration's creation: the node's for its whole life. */
  readonly creation: number;
  /** The EPMD port registered with (0 resolved), the same across re-registrations. */
  readonly epmdPort: number;
  readonly #s: Settings;
  #registration: Registration | undefined;
  #embedded: EpmdServer | undefined;
  #latestCreation: number;
  #timer: NodeJS.Timeout | undefined;
  #attempt: Promise<void> | undefined;
  #failures = 0;
  readonly #abort = new AbortController();
  /** Set first thing in close(): every step after an await looks at it. */
  #closing = false;
  #closed: Promise<void> | undefined;

  private constructor(s: Settings, registration: Registration, embedded: EpmdServer | undefined) {
    super();
    this.#s = s;
    this.name = s.name;
    this.epmdPort = s.epmdPort;
    this.creation = registration.creation;
    this.#latestCreation = registration.creation;
    this.#embedded = embedded;
    this.#adopt(registration);
  }

  /**
   * Finds or starts the EPMD as `mode` says and registers: rejects with
   * the EpmdError (or the listen error of the embedded EPMD) when that
   * first registration fails, leaving nothing behind.
   */
  static async start(options: EpmdPresenceOptions): Promise<EpmdPresence> {
    const { name, port } = options;
    checkName(name);
    const mode = options.mode ?? 'auto';
    if (!['auto', 'external', 'embedded'].includes(mode)) throw new EpmdError('BAD_ARGUMENT', `EPMD mode must be 'auto', 'external' or 'embedded', not ${JSON.stringify(mode)}`);
    const initialMs = options.backoff?.initialMs ?? 50;
    const maxMs = options.backoff?.maxMs ?? 2000;
    if (!(initialMs > 0 && maxMs >= initialMs)) throw new EpmdError('BAD_ARGUMENT', `EPMD backoff needs 0 < initialMs <= maxMs, not ${initialMs} and ${maxMs}`);
    const listenHost = options.host ?? '0.0.0.0';
    const clientHost = listenHost === '0.0.0.0' || listenHost === '::' ? '127.0.0.1' : listenHost;
    let epmdPort = options.epmdPort ?? portFromEnv();
    for (const [what, v] of [['distribution port', port], ['EPMD port', epmdPort]] as const)
      if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new EpmdError('BAD_ARGUMENT', `${what} of "${name}" must be an integer in 0..65535, not ${v}`);
    if (epmdPort === 0 && mode === 'external') throw new EpmdError('BAD_ARGUMENT', "EPMD port 0 (any free port) needs mode 'embedded' or 'auto': no running epmd can be found there");
    const debug = options.debug ?? ((): void => {});

    let embedded: EpmdServer | undefined;
    // 'auto' on port 0, as Node.start always took it: nothing runs there, so the embedded EPMD on a free port.
    if (mode === 'embedded' || epmdPort === 0) embedded = await EpmdServer.start({ port: epmdPort, host: listenHost, debug });
    else if (mode === 'auto' && !(await findEpmd(epmdPort, { host: clientHost }))) embedded = await startOrJoin(epmdPort, listenHost, debug);
    if (embedded !== undefined) {
      epmdPort = embedded.port;
      debug(`epmd: running the embedded EPMD on ${listenHost}:${epmdPort}`);
    }
    const client = new EpmdClient({ host: clientHost, port: epmdPort, timeout: options.timeout ?? 5000 });
    try {
      const registration = await client.register({ name, port, hidden: options.hidden ?? false });
      debug(`epmd: registered "${name}" (port ${port}) with ${registration.epmd}, creation ${registration.creation}`);
      const s = { name, port, hidden: options.hidden ?? false, mode, epmdPort, listenHost, client, initialMs, maxMs, debug };
      return new EpmdPresence(s, registration, embedded);
    } catch (e) {
      await embedded?.close();
      throw e;
    }
  }

  /** Whether the name is in epmd now (false between a loss and the next registration). */
  get registered(): boolean {
    return this.#registration?.active ?? false;
  }

  /** Whether this presence runs the embedded EPMD (from start, or since it took the port over). */
  get ownsEpmd(): boolean {
    return this.#embedded !== undefined;
  }

  /** The creation of the latest registration, for information: the node keeps `creation`. */
  get latestCreation(): number {
    return this.#latestCreation;
  }

  /**
   * Unregisters, stops retrying and closes the embedded EPMD if this
   * presence runs it (which ends every registration made with it, so the
   * other nodes notice at once). Idempotent; resolves when all is closed.
   */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
    await this.#attempt;
    const registration = this.#registration;
    this.#registration = undefined;
    await registration?.close();
    const embedded = this.#embedded;
    this.#embedded = undefined;
    await embedded?.close();
    this.#s.debug(`epmd: "${this.#s.name}" unregistered${embedded ? `; the embedded EPMD on port ${this.epmdPort} closed` : ''}`);
  }

  #adopt(registration: Registration): void {
    this.#registration = registration;
    this.#latestCreation = registration.creation;
    registration.on('lost', (e) => this.#lost(registration, e));
  }

  #lost(registration: Registration, error: EpmdError): void {
    if (this.#closing || registration !== this.#registration) return;
    this.#registration = undefined;
    this.#s.debug(`epmd: ${error.message}; registering again`);
    this.#failures = 0;
    // At once: all nodes of a host lose their registration together, and the first to listen takes the port over.
    this.#schedule(0);
    this.emit('lost', error);
  }

  #schedule(delay: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#attempt = this.#retry().finally(() => (this.#attempt = undefined));
    }, delay);
    this.#timer.unref();
  }

  /** One attempt; on failure the next is scheduled. Never rejects. */
  async #retry(): Promise<void> {
    let registration: Registration;
    try {
      registration = await this.#registerAgain();
    } catch (e) {
      if (this.#closing) return;
      const delay = this.#delay(this.#failures++);
      this.#s.debug(`epmd: cannot register "${this.#s.name}" again: ${e instanceof Error ? e.message : String(e)}; next try in ${delay} ms`);
      this.#schedule(delay);
      return;
    }
    if (this.#closing) {
      await registration.close();
      return;
    }
    this.#adopt(registration);
    this.#s.debug(`epmd: registered "${this.#s.name}" again with ${registration.epmd}, creation ${registration.creation} (the node keeps ${this.creation})`);
    this.emit('registered', { creation: registration.creation, epmdPort: this.epmdPort, ownsEpmd: this.ownsEpmd });
  }

  async #registerAgain(): Promise<Registration> {
    try {
      return await this.#register();
    } catch (e) {
      if (this.#s.mode === 'external' || !(e instanceof EpmdError) || e.code !== 'CONNECT_FAILED') throw e;
    }
    // Nothing listens on the EPMD port: if ours was there it is gone too (KILL_REQ); start it anew.
    const old = this.#embedded;
    this.#embedded = undefined;
    await old?.close();
    this.#s.debug(`epmd: nothing listens on EPMD port ${this.epmdPort}; starting the embedded EPMD there`);
    const embedded = await startOrJoin(this.epmdPort, this.#s.listenHost, this.#s.debug);
    if (this.#closing) {
      await embedded?.close();
      throw new EpmdError('ABORTED', `registering "${this.#s.name}" again was aborted by close()`);
    }
    this.#embedded = embedded;
    if (embedded !== undefined) this.#s.debug(`epmd: took EPMD port ${this.epmdPort} over with the embedded EPMD`);
    return await this.#register();
  }

  #register(): Promise<Registration> {
    const { client, name, port, hidden } = this.#s;
    return client.register({ name, port, hidden, signal: this.#abort.signal });
  }

  #delay(failures: number): number {
    const { initialMs, maxMs } = this.#s;
    const full = Math.min(maxMs, initialMs * 2 ** Math.min(failures, 30));
    return Math.round(full * (0.5 + Math.random() / 2));
  }
}

/** The embedded EPMD on `port`, or undefined when another process listens there first (EADDRINUSE): use that one. */
async function startOrJoin(port: number, host: string, debug: (line: string) => void): Promise<EpmdServer | undefined> {
  try {
    return await EpmdServer.start({ port, host, debug });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    debug(`epmd: another process listens on EPMD port ${port} first; registering with it`);
    return undefined;
  }
}
