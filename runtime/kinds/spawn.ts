/**
 * `node.spawn(fn, { kind: 'thread' | 'os' })`: the function's source goes to
 * a pooled context (pool.ts), which spawns it on its own node (entry.ts); the
 * caller gets a Process whose `exited` is a monitor's DOWN reason, so links,
 * monitors, exits and messages work as with any process of another node.
 */
import { randomBytes } from 'node:crypto';
import type { Node } from '../node/node.js';
import type { Process, ProcessFn } from '../process/index.js';
import { atom } from '../term/atom.js';
import { tuple } from '../term/make.js';
import { Pid, type Term } from '../term/values.js';
import { GO } from './go.js';
import { KindError } from './errors.js';
import { Pools } from './pool.js';
import { sourceOf } from './ship.js';

// entry.ts beside this file: .ts from source (tsx), .js from dist/.
const ENTRY = import.meta.url.replace(/spawn\.(ts|js)$/, 'entry.$1');

export async function spawnKind(node: Node, kind: 'thread' | 'os', fn: ProcessFn, options: { readonly link?: Pid; readonly exitPolicy: string }): Promise<Process> {
  const source = sourceOf(fn, kind);
  if (!ENTRY.startsWith('file:')) throw new KindError('UNAVAILABLE', kind, `this runtime was loaded from ${ENTRY}, not from files (inside a context?): spawn threads and OS processes from the root of the tree`);
  const pools = Pools.of(node);
  const slot = pools.take(kind);
  let handle: KindProcess;
  try {
    const context = await slot.context;
    const token = randomBytes(12).toString('base64url');
    const pid = await context.call(ENTRY, 'spawn', source, options.link ?? null, options.exitPolicy, token);
    if (!(pid instanceof Pid)) throw new TypeError(`context ${context.name} answered a spawn with ${String(pid)}, not a pid`);
    handle = new KindProcess(node, pid);
    // The monitor is on its way before the process may start: a DOWN for any end, with its reason.
    await handle.watching;
    node.send(pid, tuple(atom(GO), token));
  } catch (e) {
    pools.release(slot);
    throw e;
  }
  void handle.exited.then(() => pools.release(slot));
  return handle;
}

/** A process in another context, as a Process: its end is what a monitor of it says. */
class KindProcess implements Process {
  readonly exited: Promise<Term>;
  readonly watching: Promise<unknown>;
  alive = true;
  reason: Term | undefined;
  /** What it threw stays where it ran: its text is in `reason` (`{error, <<"Error: ...">>}`). */
  readonly error: unknown = undefined;

  constructor(
    node: Node,
    readonly pid: Pid,
  ) {
    const m = node.monitor(pid);
    this.watching = m.ref;
    this.exited = m.down.then((reason) => {
      this.alive = false;
      this.reason = reason;
      return reason;
    });
  }
}
