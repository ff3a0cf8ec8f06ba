/**
 * What the behaviours need from their node. A `Node` satisfies it as it is
 * (behaviours/ sits below node/ and cannot import it): `Supervisor.start(node, ...)`,
 * `Cache.start(node, ...)` and `Task.async(node, ...)` take a Node.
 */
import type { Logger, Process, ProcessFn } from '../process/index.js';
import type { CallOptions, Implementation } from '../rpc/index.js';
import type { Atom } from '../term/atom.js';
import type { Pid, Term } from '../term/values.js';

export interface BehaviourNode {
  readonly name: string;
  /** Where supervisor reports go (the node's logger). */
  readonly logger: Logger;
  spawn(fn: ProcessFn): Process;
  spawnLink(parent: Pid, fn: ProcessFn): Process;
  send(dest: Pid, message: Term): void;
  whereis(name: Atom): Pid | undefined;
  exit(pid: Pid, reason: Term): void;
  call(dest: Pid | Atom, request: Term, options?: CallOptions): Promise<Term>;
  cast(dest: Pid | Atom, request: Term): void;
  expose(module: string | Atom, implementation: Implementation): void;
  /** Takes a behaviour started without a parent: the node's stop() stops it with `shutdown` (terminate runs) before ending every process. */
  adopt?(server: { stop(reason?: Term): Promise<void>; readonly exited: Promise<Term> }): void;
}
