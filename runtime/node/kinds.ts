/**
 * paragram's process kinds as `node.spawn(fn, { kind })` sees them. 'local'
 * is a process of this node; 'thread' and 'os' run in a worker thread or a
 * child process, which the layer above routers provides (runtime/kinds): it
 * sets `Node.spawnKind` when it loads, as node/ cannot import router/.
 */
import { ProcessError, type Process, type ProcessFn } from '../process/index.js';
import type { Pid } from '../term/values.js';

/** paragram's kinds: this node's event loop, a worker thread, an OS process. */
export type ProcessKind = 'local' | 'thread' | 'os';
/** Erlang's (a linked process's `normal` end is ignored) or paragram's (it is propagated). */
export type ExitPolicy = 'erlang' | 'paragram';

export interface SpawnOptions {
  /** Where it runs (default 'local'); 'thread' and 'os' resolve with the handle once it runs there. */
  readonly kind?: ProcessKind;
  /** Default 'erlang' (see ProcessContext.exitPolicy). */
  readonly exitPolicy?: ExitPolicy;
}

/** What the kinds layer does for 'thread' and 'os': spawn `fn` there (linked to `link`), resolve with a handle. */
export type KindSpawner<N> = (node: N, kind: 'thread' | 'os', fn: ProcessFn, options: { readonly link?: Pid; readonly exitPolicy: ExitPolicy }) => Promise<Process>;

/** `fn` with the exit policy set before it runs. */
export function withPolicy(fn: ProcessFn, policy: ExitPolicy | undefined): ProcessFn {
  if (policy === undefined || policy === 'erlang') return fn;
  return (self) => (self.exitPolicy(policy), fn(self));
}

/** The kind asked for, checked. */
export function kindOf(options: SpawnOptions | undefined, installed: boolean): ProcessKind {
  const kind = options?.kind ?? 'local';
  if (kind !== 'local' && kind !== 'thread' && kind !== 'os') throw new ProcessError('BADARG', 'spawn', `kind is 'local', 'thread' or 'os', not ${String(kind)}`);
  if (kind !== 'local' && !installed) throw new ProcessError('BADARG', 'spawn', `kind '${kind}' needs beamwire's kinds layer: import 'beamwire' (or runtime/kinds/index.js)`);
  return kind;
}
