/**
 * Child specifications and the supervisor's records of its children, as
 * supervisor.erl keeps them (#child{}, check_childspec/2, extract_child/1).
 */
import { Tuple, type Pid, type Term } from '../term/values.js';
import { atom, MAX_ATOM_CHARS } from '../term/atom.js';
import { tuple } from '../term/make.js';
import { SupervisorError } from './errors.js';

export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one' | 'simple_one_for_one';
export type Restart = 'permanent' | 'transient' | 'temporary';
/** Milliseconds to wait after exit(Child, shutdown) before exit(Child, kill); `brutal_kill` kills at once; `infinity` waits (for supervisors). */
export type Shutdown = number | 'brutal_kill' | 'infinity';
export type ChildType = 'worker' | 'supervisor';
export type AutoShutdown = 'never' | 'any_significant' | 'all_significant';

/**
 * What a child's `start` gives: its pid, anything with one (a Process, a
 * GenServerRef, a Supervisor), or `'ignore'` (OTP's `ignore`: the spec is
 * kept, no process runs). The supervisor links to that pid (a start that
 * already linked, as `node.spawnLink(sup, fn)`, is linked once); a GenServer
 * or Supervisor started in `start` itself (before its first `await`) is
 * linked to the supervisor and takes it as parent, as start_link is. To
 * fail, throw (a StartError's `reason` is kept as the start error).
 */
export type Started = Pid | { readonly pid: Pid } | 'ignore';

/** A child specification (supervisor's child_spec() map). `start` gets the supervisor's pid, then, in dynamic mode, startChild's arguments. */
export interface ChildSpec<Args extends unknown[] = any[]> {
  /** Unique among the supervisor's children; Erlang sees it as an atom. */
  readonly id: string;
  readonly start: (supervisor: Pid, ...args: Args) => Started | Promise<Started>;
  /** Default `permanent`. */
  readonly restart?: Restart;
  /** Default 5000 for a worker, `infinity` for a supervisor. */
  readonly shutdown?: Shutdown;
  /** Default `worker`. */
  readonly type?: ChildType;
  /** Counts for the supervisor's autoShutdown; not with `permanent` (default false). */
  readonly significant?: boolean;
  /** What which_children reports as Modules (default: the class name of a GenServer child, `supervisor` for a supervisor, else none). */
  readonly modules?: readonly string[];
}

/** A checked spec, every field set. */
export interface CheckedSpec {
  readonly id: string;
  readonly start: ChildSpec['start'];
  readonly restart: Restart;
  readonly shutdown: Shutdown;
  readonly type: ChildType;
  readonly significant: boolean;
  readonly modules: readonly string[] | undefined;
}

/** One child: its spec and, while it runs, its pid (`restarting` while a restart failed and is tried again). */
export interface Child {
  readonly spec: CheckedSpec;
  pid: Pid | undefined;
  restarting: boolean;
  /** Dynamic mode: what startChild was given, passed to `start` again on a restart. */
  readonly args: unknown[];
  /** Modules, once known from what `start` returned. */
  modules: readonly string[];
}

const RESTARTS: readonly Restart[] = ['permanent', 'transient', 'temporary'];
const TYPES: readonly ChildType[] = ['worker', 'supervisor'];

/** supervisor:check_childspec/2: the spec with its defaults, or SupervisorError BAD_SPEC with OTP's reason. */
export function checkSpec(spec: ChildSpec, autoShutdown: AutoShutdown, request: string): CheckedSpec {
  const bad = (reason: Term): never => {
    throw new SupervisorError('BAD_SPEC', request, reason);
  };
  if (typeof spec !== 'object' || spec === null) return bad(tuple(atom('invalid_child_spec'), String(spec)));
  if (typeof spec.id !== 'string') return bad(atom('missing_id'));
  if (spec.id.length === 0 || spec.id.length > MAX_ATOM_CHARS) return bad(tuple(atom('invalid_child_id'), spec.id));
  if (typeof spec.start !== 'function') return bad(atom('missing_start'));
  const restart = spec.restart ?? 'permanent';
  if (!RESTARTS.includes(restart)) bad(tuple(atom('invalid_restart_type'), String(restart)));
  const type = spec.type ?? 'worker';
  if (!TYPES.includes(type)) bad(tuple(atom('invalid_child_type'), String(type)));
  const significant = spec.significant ?? false;
  if (typeof significant !== 'boolean') bad(tuple(atom('invalid_significant'), String(significant)));
  if (significant && autoShutdown === 'never') bad(tuple(atom('bad_combination'), [tuple(atom('auto_shutdown'), atom('never')), tuple(atom('significant'), true)]));
  if (significant && restart === 'permanent') bad(tuple(atom('bad_combination'), [tuple(atom('restart'), atom('permanent')), tuple(atom('significant'), true)]));
  const shutdown = spec.shutdown ?? (type === 'worker' ? 5000 : 'infinity');
  if (!(shutdown === 'brutal_kill' || shutdown === 'infinity' || (typeof shutdown === 'number' && Number.isInteger(shutdown) && shutdown >= 0)))
    bad(tuple(atom('invalid_shutdown'), String(shutdown)));
  if (spec.modules !== undefined && !(Array.isArray(spec.modules) && spec.modules.every((m) => typeof m === 'string' && m.length <= MAX_ATOM_CHARS)))
    bad(tuple(atom('invalid_modules'), String(spec.modules)));
  return { id: spec.id, start: spec.start, restart, shutdown, type, significant, modules: spec.modules };
}

export const newChild = (spec: CheckedSpec, args: unknown[] = []): Child => ({ spec, pid: undefined, restarting: false, args, modules: spec.modules ?? [] });

/** A transient child's normal ends: `normal`, `shutdown`, `{shutdown, _}` (supervisor:do_restart/3). */
export function isNormalExit(reason: Term): boolean {
  return reason === NORMAL || reason === SHUTDOWN || isShutdownTuple(reason);
}

export const isShutdownTuple = (r: Term): boolean => r instanceof Tuple && r.size === 2 && r.elements[0] === SHUTDOWN;

export const NORMAL = atom('normal');
export const SHUTDOWN = atom('shutdown');
const UNDEFINED = atom('undefined');

/** The child's Modules as which_children gives them. */
export const modulesTerm = (c: Child): Term[] => c.modules.map((m) => atom(m));

/** supervisor:extract_child/1: the `offender` of a report (no mfargs: a TypeScript start is a function). */
export function offender(c: Child): Term {
  return [
    tuple(atom('pid'), c.pid ?? (c.restarting ? tuple(atom('restarting'), UNDEFINED) : UNDEFINED)),
    tuple(atom('id'), atom(c.spec.id)),
    tuple(atom('restart_type'), atom(c.spec.restart)),
    tuple(atom('significant'), c.spec.significant),
    tuple(atom('shutdown'), typeof c.spec.shutdown === 'number' ? c.spec.shutdown : atom(c.spec.shutdown)),
    tuple(atom('child_type'), atom(c.spec.type)),
  ];
}

/** The Modules of what a start returned: a GenServerRef's class, a Supervisor's `supervisor`. */
export function modulesOf(started: Started): readonly string[] | undefined {
  if (typeof started !== 'object' || started === null || !('pid' in started)) return undefined;
  const m = (started as { module?: unknown }).module;
  return typeof m === 'string' ? [m] : undefined;
}
