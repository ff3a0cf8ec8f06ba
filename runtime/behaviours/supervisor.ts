/**
 * Supervisor: OTP's supervisor behaviour for TypeScript children (see
 * core.ts for the semantics, supervisor.erl's). A supervisor is a process
 * that Erlang sees as one: supervisor:which_children/1, count_children/1,
 * terminate_child/2, restart_child/2, delete_child/2, get_childspec/2 and sys answer from
 * `erl`.
 *
 * ```ts
 * const sup = await Supervisor.start(node, {
 *   strategy: 'one_for_one', intensity: 3, period: 5,
 *   children: [{ id: 'cache', start: () => Cache.start(node, {}) }],   // linked to the supervisor, as start_link
 * }, { name: 'app_sup' });
 * ```
 */
import { Atom, atom } from '../term/atom.js';
import { tuple } from '../term/make.js';
import { Tuple, type Pid, type Reference, type Term } from '../term/values.js';
import { stopMessage } from '../rpc/index.js';
import { checkSpec, type AutoShutdown, type ChildSpec, type ChildType, type CheckedSpec, type Strategy } from './children.js';
import { OP, SupervisorCore, type Answer, type CheckedFlags } from './core.js';
import { StartError, SupervisorError, type SupervisorErrorCode } from './errors.js';
import type { BehaviourNode } from './host.js';
import { startServer, type StartOptions } from './start.js';

/** The supervisor's flags and children (supervisor's init/1 result). */
export interface SupervisorSpec {
  /** Default `one_for_one`. `simple_one_for_one`: one child spec, no child at start; `startChild(args)` starts each. */
  readonly strategy?: Strategy;
  /** More than `intensity` restarts within `period` seconds end the supervisor with `shutdown` (defaults 1 and 5). */
  readonly intensity?: number;
  readonly period?: number;
  /** OTP's auto_shutdown: end when any / all significant children have ended. Default `never`. */
  readonly autoShutdown?: AutoShutdown;
  readonly children: readonly ChildSpec[];
}

/** One row of whichChildren: `id` undefined in dynamic mode; `pid` 'restarting' while a failed restart is tried again. */
export interface ChildInfo {
  readonly id: string | undefined;
  readonly pid: Pid | 'restarting' | undefined;
  readonly type: ChildType;
  readonly modules: readonly string[];
}

export interface ChildCounts {
  readonly specs: number;
  readonly active: number;
  readonly supervisors: number;
  readonly workers: number;
}

const STRATEGIES: readonly Strategy[] = ['one_for_one', 'one_for_all', 'rest_for_one', 'simple_one_for_one'];
const AUTO: readonly AutoShutdown[] = ['never', 'any_significant', 'all_significant'];
const NORMAL = atom('normal');

export class Supervisor {
  /** What a parent supervisor reports as this child's Modules. */
  readonly module = 'supervisor';
  #seq = 0;

  private constructor(
    /** The node it runs on. */
    readonly node: BehaviourNode,
    readonly pid: Pid,
    readonly name: Atom | undefined,
    /** Resolves with the exit reason once the supervisor has ended (`shutdown` when intensity was exceeded or autoShutdown fired). */
    readonly exited: Promise<Term>,
    private readonly core: SupervisorCore,
    private readonly stopRef: Reference,
  ) {}

  /**
   * supervisor:start_link: starts the children in order and resolves once
   * all have started; rejects with StartError (START_FAILED, reason
   * `{shutdown, {failed_to_start_child, Id, Reason}}` after stopping those
   * already started, `{start_spec, Why}` or `{supervisor_data, Why}` for a bad
   * spec; ALREADY_STARTED for a taken name). With `link` (a parent
   * supervisor's pid) it is that supervisor's child.
   */
  static async start(node: BehaviourNode, spec: SupervisorSpec, options: StartOptions = {}): Promise<Supervisor> {
    const label = 'supervisor';
    const flags = checkFlags(spec, label);
    const specs = checkSpecs(spec, flags, label);
    const name = typeof options.name === 'string' ? atom(options.name) : options.name;
    const core = new SupervisorCore(flags, specs, node.logger, name);
    const started = await startServer(node, options, label, (self) => {
      core.self = self;
      return core.callbacks();
    });
    return new Supervisor(node, started.pid, started.name, started.exited, core, started.stopRef);
  }

  /**
   * supervisor:start_child/2: adds `spec` and starts it (resolves with its
   * pid, undefined when it said ignore); in dynamic mode takes the
   * arguments `start` gets after the supervisor's pid. Rejects with
   * SupervisorError (ALREADY_STARTED, ALREADY_PRESENT, BAD_SPEC, START_FAILED).
   */
  startChild(spec: ChildSpec | unknown[]): Promise<Pid | undefined> {
    if (this.core.simple) {
      if (!Array.isArray(spec)) return Promise.reject(new SupervisorError('SIMPLE_ONE_FOR_ONE', this.#what('startChild'), atom('simple_one_for_one')));
      return this.#op('startChild', () => this.core.startDynamic(spec));
    }
    if (Array.isArray(spec)) return Promise.reject(new SupervisorError('BAD_SPEC', this.#what('startChild'), atom('not_simple_one_for_one')));
    return this.#op(`startChild(${spec.id})`, () => this.core.startChild(spec));
  }

  /** supervisor:terminate_child/2: stops it (its spec stays unless temporary); by pid in dynamic mode. Rejects with SupervisorError NOT_FOUND, SIMPLE_ONE_FOR_ONE. */
  terminateChild(id: string | Pid): Promise<void> {
    return this.#op(`terminateChild(${String(id)})`, () => this.core.terminateChild(id));
  }

  /** supervisor:restart_child/2: starts a stopped child again. Rejects with SupervisorError RUNNING, RESTARTING, NOT_FOUND, SIMPLE_ONE_FOR_ONE, START_FAILED. */
  restartChild(id: string): Promise<Pid | undefined> {
    return this.#op(`restartChild(${id})`, () => this.core.restartChild(id));
  }

  /** supervisor:delete_child/2: forgets a stopped child's spec. Rejects with SupervisorError RUNNING, RESTARTING, NOT_FOUND, SIMPLE_ONE_FOR_ONE. */
  deleteChild(id: string): Promise<void> {
    return this.#op(`deleteChild(${id})`, async () => this.core.deleteChild(id));
  }

  /** supervisor:which_children/1, read at once (not queued behind the supervisor's mailbox). */
  whichChildren(): ChildInfo[] {
    const info = (id: string | undefined, c: (typeof this.core.children)[number]): ChildInfo => ({
      id,
      pid: c.restarting ? 'restarting' : c.pid,
      type: c.spec.type,
      modules: c.modules,
    });
    if (this.core.simple) return [...this.core.dynamics.values()].map((c) => info(undefined, c));
    return this.core.children.map((c) => info(c.spec.id, c));
  }

  /** supervisor:count_children/1, read at once. */
  countChildren(): ChildCounts {
    return this.core.countChildren();
  }

  /** Stops the supervisor: its children are stopped in reverse start order, then it ends with `reason` (default `normal`). */
  async stop(reason: Term = NORMAL): Promise<void> {
    this.node.send(this.pid, stopMessage(this.stopRef, reason));
    await this.exited;
  }

  /** Runs `fn` inside the supervisor's process, in turn with its other messages (a gen_server call, as supervisor's API). */
  async #op<T>(what: string, fn: () => Promise<Answer<T>>): Promise<T> {
    const n = ++this.#seq;
    let answer: Answer<T> | undefined;
    let thrown: unknown;
    this.core.ops.set(n, async () => {
      try {
        answer = await fn();
      } catch (e) {
        thrown = e;
      }
    });
    try {
      await this.node.call(this.pid, tuple(OP, n), { timeout: Infinity });
    } finally {
      this.core.ops.delete(n);
    }
    if (answer === undefined) throw thrown;
    if ('error' in answer) throw new SupervisorError(codeOf(answer.error), this.#what(what), answer.error);
    return answer.ok;
  }

  #what(request: string): string {
    return `${request} on supervisor ${this.name?.name ?? this.pid.toString()}`;
  }
}

function codeOf(reason: Term): SupervisorErrorCode {
  const codes: Record<string, SupervisorErrorCode> = {
    not_found: 'NOT_FOUND',
    running: 'RUNNING',
    restarting: 'RESTARTING',
    already_present: 'ALREADY_PRESENT',
    simple_one_for_one: 'SIMPLE_ONE_FOR_ONE',
  };
  if (reason instanceof Atom && codes[reason.name] !== undefined) return codes[reason.name]!;
  const head = reason instanceof Tuple ? reason.elements[0] : undefined;
  if (head === atom('already_started')) return 'ALREADY_STARTED';
  const bad = ['missing_id', 'missing_start', 'invalid_child_spec', 'invalid_child_id', 'invalid_restart_type', 'invalid_child_type', 'invalid_significant', 'bad_combination', 'invalid_shutdown', 'invalid_modules'];
  if (bad.some((b) => reason === atom(b) || head === atom(b))) return 'BAD_SPEC';
  return 'START_FAILED';
}

/** supervisor:check_flags/1, with OTP's defaults (one_for_one, 1, 5, never). */
function checkFlags(spec: SupervisorSpec, label: string): CheckedFlags {
  const bad = (reason: Term): never => {
    throw new StartError('START_FAILED', label, tuple(atom('supervisor_data'), reason));
  };
  const strategy = spec.strategy ?? 'one_for_one';
  const intensity = spec.intensity ?? 1;
  const period = spec.period ?? 5;
  const autoShutdown = spec.autoShutdown ?? 'never';
  if (!STRATEGIES.includes(strategy)) bad(tuple(atom('invalid_strategy'), String(strategy)));
  if (!Number.isInteger(intensity) || intensity < 0) bad(tuple(atom('invalid_intensity'), String(intensity)));
  if (!Number.isInteger(period) || period <= 0) bad(tuple(atom('invalid_period'), String(period)));
  if (!AUTO.includes(autoShutdown)) bad(tuple(atom('invalid_auto_shutdown'), String(autoShutdown)));
  return { strategy, intensity, period, autoShutdown };
}

/** supervisor:check_startspec/2 (and init_dynamic/2's one spec). */
function checkSpecs(spec: SupervisorSpec, flags: CheckedFlags, label: string): CheckedSpec[] {
  const children = spec.children;
  if (!Array.isArray(children)) throw new StartError('START_FAILED', label, tuple(atom('start_spec'), atom('children_not_a_list')));
  if (flags.strategy === 'simple_one_for_one' && children.length !== 1)
    throw new StartError('START_FAILED', label, tuple(atom('bad_start_spec'), children.map((c) => atom(String((c as ChildSpec).id)))));
  const ids = new Set<string>();
  return children.map((c) => {
    let checked: CheckedSpec;
    try {
      checked = checkSpec(c, flags.autoShutdown, label);
    } catch (e) {
      throw new StartError('START_FAILED', label, tuple(atom('start_spec'), (e as SupervisorError).reason), { cause: e });
    }
    if (ids.has(checked.id)) throw new StartError('START_FAILED', label, tuple(atom('start_spec'), tuple(atom('duplicate_child_name'), atom(checked.id))));
    ids.add(checked.id);
    return checked;
  });
}
