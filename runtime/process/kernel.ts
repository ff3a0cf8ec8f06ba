/**
 * What the parts of the process layer (context.ts, inbound.ts, links.ts)
 * need of the process table, as an interface below them: they import this
 * file, only table.ts imports them, and so process/ has no import cycle.
 * Nothing here is public API: the table's implementation of it is marked
 * internal and left out of the published declarations.
 */
import type { Atom } from '../term/atom.js';
import type { Pid, Reference, Term, Tuple } from '../term/values.js';
import type { NodeIdentity } from './ids.js';
import type { RemoteSignals } from './remote.js';
import type { Proc } from './state.js';

/** Where a message can go: a pid, a local registered name, an alias, or `{Name, Node}`. */
export type Destination = Pid | Atom | Reference | Tuple<[Atom, Atom]>;

export interface Kernel {
  readonly node: NodeIdentity;
  readonly procs: Map<number, Proc>;
  readonly registry: Map<Atom, Proc>;
  readonly aliases: Map<string, Proc>;
  readonly remote: RemoteSignals | undefined;
  isLocalNode(node: Atom): boolean;
  /** The live local process `pid` names, if any. */
  local(pid: Pid): Proc | undefined;
  /** The remote layer, or a NO_REMOTE error naming the operation and target. */
  remoteFor(operation: string, target: { toString(): string }, node: Atom): RemoteSignals;
  /** A message to a local process, kept behind signals being processed. */
  deliver(p: Proc, message: Term): void;
  route(from: Pid, to: Destination, message: Term): void;
  exit2(from: Pid, to: Pid, reason: Term): void;
  /** An exit signal reaching `p`, by Erlang's rules. */
  receiveExit(p: Proc, from: Pid, reason: Term, viaExit2: boolean): void;
  /** Runs `fn` after the signals already queued. */
  post(fn: () => void): void;
  makeRef(): Reference;
  /** The io server spawn requests name as group leader. */
  groupLeader(): Pid;
  register(name: Atom, pid: Pid): void;
  unregister(name: Atom): void;
  whereis(name: Atom): Pid | undefined;
}
