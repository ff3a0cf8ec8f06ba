/**
 * Starting a behaviour's process, as gen:start/proc_lib:start_link do: spawn
 * (linked to the parent when there is one), run init, and hand the starter
 * the outcome; a refusal becomes a StartError with OTP's reason.
 */
import { ProcessError, reasonOf, type ProcessContext } from '../process/index.js';
import { runServer, stopMessage, type ServerCallbacks, type StartOutcome } from '../rpc/index.js';
import { atom, type Atom } from '../term/atom.js';
import { tuple } from '../term/make.js';
import type { Pid, Reference, Term } from '../term/values.js';
import { StartError } from './errors.js';
import type { BehaviourNode } from './host.js';

const SHUTDOWN = atom('shutdown');

export interface StartOptions {
  /** Registers it under this name (once init has run). */
  readonly name?: string | Atom;
  /**
   * Links it to this process and takes it as its parent, as start_link
   * called from that process: the parent's exit ends it (terminate runs when
   * it traps exits, as a supervisor does). The parent may be on another node
   * (an Erlang supervisor). Default: the supervisor whose child's `start`
   * called this (see startingUnder), else none.
   */
  readonly link?: Pid;
}

export interface Started {
  readonly pid: Pid;
  readonly name: Atom | undefined;
  readonly exited: Promise<Term>;
  /** What `stopMessage` needs to stop it. */
  readonly stopRef: Reference;
}

/** The supervisor whose child's `start` is running (its synchronous part): the parent of what it starts. */
let starting: Pid | undefined;

/**
 * Runs a child's `start` as OTP runs it, from the supervisor's process: a
 * GenServer or Supervisor started in its synchronous part without `link`
 * is linked to `parent` and takes it as its parent, as start_link called
 * there would (`start: () => Cache.start(node)` is start_link).
 */
export function startingUnder<T>(parent: Pid, start: () => T): T {
  const was = starting;
  starting = parent;
  try {
    return start();
  } finally {
    starting = was;
  }
}

/** Spawns a gen_server process running `callbacks(self)`; resolves once init has run, or rejects with StartError. */
export async function startServer<S>(node: BehaviourNode, options: StartOptions, what: string, callbacks: (self: ProcessContext) => ServerCallbacks<S>): Promise<Started> {
  const name = typeof options.name === 'string' ? atom(options.name) : options.name;
  const parent = options.link ?? starting;
  const local = parent !== undefined && parent.node.name === node.name;
  let started!: (o: StartOutcome) => void;
  const ready = new Promise<StartOutcome>((resolve) => (started = resolve));
  let context: ProcessContext | undefined;
  const run = (self: ProcessContext): Promise<void> => {
    context = self;
    // A parent on another node: link from here, as proc_lib:spawn_link would from there.
    if (parent !== undefined && !local) self.link(parent);
    return runServer(self, callbacks(self), { name, parent, debug: () => {}, started });
  };
  const proc = local ? node.spawnLink(parent, run) : node.spawn(run);
  // A process killed before its init answered (its parent died): that reason.
  const outcome = await Promise.race([ready, proc.exited.then((reason): StartOutcome => ({ kind: 'stop', reason }))]);
  const label = `${what}${name === undefined ? '' : ` ${name.name}`}`;
  switch (outcome.kind) {
    case 'ok': {
      const { stopRef } = outcome;
      // No parent to stop it: the node does, when it stops (a top supervisor stops its tree in order).
      if (parent === undefined)
        node.adopt?.({
          exited: proc.exited,
          stop: async (reason: Term = SHUTDOWN) => {
            // From its own context: the node refuses sends once it is stopping.
            if (context !== undefined && proc.alive) context.send(proc.pid, stopMessage(stopRef, reason));
            await proc.exited;
          },
        });
      return { pid: proc.pid, name, exited: proc.exited, stopRef };
    }
    case 'ignore':
      throw new StartError('IGNORED', label, atom('ignore'));
    case 'stop':
      throw new StartError('START_FAILED', label, outcome.reason);
    case 'threw': {
      const e = outcome.error;
      if (e instanceof ProcessError && e.operation === 'register' && name !== undefined) {
        throw new StartError('ALREADY_STARTED', label, tuple(atom('already_started'), node.whereis(name) ?? atom('undefined')), { cause: e });
      }
      throw new StartError('START_FAILED', label, reasonOf(e), { cause: e });
    }
  }
}
