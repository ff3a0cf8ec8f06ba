/** A process's bookkeeping, owned by its table. Not exported from the package. */
import type { Atom } from '../term/atom.js';
import { atom } from '../term/atom.js';
import type { Pid, Reference, Term } from '../term/values.js';
import { Mailbox } from './mailbox.js';

/**
 * One side of a link, as the UNLINK_ID protocol keeps it: `active` until this
 * side unlinks; then inactive with the `unlinkId` sent, until the peer's
 * UNLINK_ID_ACK for that id removes it. Local links never go inactive: both
 * sides are updated in one step.
 */
export interface LinkState {
  readonly pid: Pid;
  active: boolean;
  unlinkId: bigint | undefined;
}

/** A monitor this process holds on `pid` (known once resolved), or on `name` at `node`. */
export interface HeldMonitor {
  readonly ref: Reference;
  readonly pid: Pid | undefined;
  readonly name: Atom | undefined;
  readonly node: Atom;
  /** A spawn request made with `{reply, error_only}`: a successful SPAWN_REPLY is not delivered. */
  readonly errorOnly?: boolean;
}

/** A monitor another process (`watcher`) holds on this one; `name` when it monitored by name. */
export interface Watcher {
  readonly ref: Reference;
  readonly watcher: Pid;
  readonly name: Atom | undefined;
}

/** What a spawn returns: the pid, and how the process ended once it has. */
export interface Process {
  readonly pid: Pid;
  /** Resolves with the exit reason (`normal`, `killed`, `{error, Text}`, …) when the process ends; never rejects. */
  readonly exited: Promise<Term>;
  readonly alive: boolean;
  /** The exit reason once ended. */
  readonly reason: Term | undefined;
  /** What the process function threw, when it crashed (kept for logs: the reason holds only its text). */
  readonly error: unknown;
}

export class Proc implements Process {
  readonly mailbox = new Mailbox();
  // Links, monitors and aliases are made on first use: most processes have
  // none, and four empty collections per spawn were most of its garbage.
  #links: Map<string, LinkState> | undefined;
  #monitors: Map<string, HeldMonitor> | undefined;
  #watchers: Map<string, Watcher> | undefined;
  #aliases: Set<string> | undefined;
  /** Made on first use of `self.signal`: most processes never ask for it, and it is not cheap. */
  abort: AbortController | undefined;
  // `exited` is made on first use too: a promise and its resolver (~200 bytes)
  // per process is a tenth of an idle process, and most are never awaited.
  #exited: Promise<Term> | undefined;
  #resolveExited: ((reason: Term) => void) | undefined;
  name: Atom | undefined;
  trapExit = false;
  /** paragram's exit policy: a `normal` exit signal over a link ends this process (with `normal`) unless it traps exits. */
  propagateNormal = false;
  alive = true;
  reason: Term | undefined;
  error: unknown;
  constructor(
    readonly pid: Pid,
    readonly slot: number,
  ) {}

  get exited(): Promise<Term> {
    // Once ended (alive false, reason set), already resolved with the reason.
    return (this.#exited ??= this.alive ? new Promise<Term>((resolve) => (this.#resolveExited = resolve)) : Promise.resolve(this.reason!));
  }

  /** @internal resolves `exited` (called once `alive` is false and `reason` set). */
  finish(reason: Term): void {
    this.#resolveExited?.(reason);
    this.#resolveExited = undefined;
  }

  /** Links, by pid key. */
  get links(): Map<string, LinkState> {
    return (this.#links ??= new Map());
  }
  /** Monitors held, by ref key. */
  get monitors(): Map<string, HeldMonitor> {
    return (this.#monitors ??= new Map());
  }
  /** Monitors on this process, by ref key. */
  get watchers(): Map<string, Watcher> {
    return (this.#watchers ??= new Map());
  }
  /** Alias keys. */
  get aliases(): Set<string> {
    return (this.#aliases ??= new Set());
  }

  /** The same collections for reading without making them. */
  get someLinks(): ReadonlyMap<string, LinkState> {
    return this.#links ?? NONE;
  }
  get someMonitors(): ReadonlyMap<string, HeldMonitor> {
    return this.#monitors ?? NONE;
  }
  get someWatchers(): ReadonlyMap<string, Watcher> {
    return this.#watchers ?? NONE;
  }
  get someAliases(): ReadonlySet<string> {
    return this.#aliases ?? NO_KEYS;
  }

  /** Drops every link, monitor and alias (the process has ended and told everyone). */
  release(): void {
    this.#links = this.#monitors = this.#watchers = undefined;
    this.#aliases = undefined;
  }
}

const NONE: ReadonlyMap<string, never> = new Map<string, never>();
const NO_KEYS: ReadonlySet<string> = new Set<string>();

export const NORMAL = atom('normal');
export const KILL = atom('kill');
export const KILLED = atom('killed');
export const NOPROC = atom('noproc');
export const NOCONNECTION = atom('noconnection');
export const EXIT = atom('EXIT');
export const DOWN = atom('DOWN');
export const PROCESS = atom('process');
export const ERROR = atom('error');
