/**
 * The supervisor itself: gen_server callbacks run by runServer in the
 * supervisor's process, following supervisor.erl function by function
 * (init/1 + start_children/2, handle_info/2 → restart_child/3 →
 * do_restart/3 → restart/2,3, do_auto_shutdown/2, add_restart/1,
 * terminate_children/2, handle_call/3). Children are kept in start order.
 */
import type { Logger, ProcessContext } from '../process/index.js';
import { reasonOf } from '../process/index.js';
import type { CallResult, From, Next, ServerCallbacks, InitResult } from '../rpc/index.js';
import { Atom, atom } from '../term/atom.js';
import { equals, termKey } from '../term/compare.js';
import { format } from '../term/format.js';
import { tuple } from '../term/make.js';
import { Pid, Tuple, type Term } from '../term/values.js';
import { checkSpec, isNormalExit, modulesOf, modulesTerm, newChild, SHUTDOWN, type AutoShutdown, type CheckedSpec, type Child, type ChildSpec, type Started, type Strategy } from './children.js';
import { StartError, SupervisorError } from './errors.js';
import { reportError, reportProgress } from './reports.js';
import { shutdown, shutdownAll } from './shutdown.js';
import { startingUnder } from './start.js';

export interface CheckedFlags {
  readonly strategy: Strategy;
  readonly intensity: number;
  readonly period: number;
  readonly autoShutdown: AutoShutdown;
}

/** An answer to a request: OTP's `{ok, X}` or `{error, Reason}`. */
export type Answer<T> = { readonly ok: T } | { readonly error: Term };

const OK = atom('ok');
const ERROR = atom('error');
const UNDEFINED = atom('undefined');
const RESTARTING = atom('restarting');
const EXIT = atom('EXIT');
const TRY_AGAIN = atom('try_again_restart');
/** A TypeScript request to this supervisor: `{'$beamwire_op', N}`, N a key of `ops`. */
export const OP = atom('$beamwire_op');

export class SupervisorCore {
  self!: ProcessContext;
  /** Static children, in start order. */
  readonly children: Child[] = [];
  /** simple_one_for_one: the one spec, and the children made from it, by pid (or a restarting key). */
  template: Child | undefined;
  readonly dynamics = new Map<string, Child>();
  dynamicRestarts = 0;
  /** When restarts happened (ms, monotonic), the last `period` only. */
  #restarts: number[] = [];
  /** TypeScript requests waiting for their call (see Supervisor). */
  readonly ops = new Map<number, () => Promise<void>>();
  #retries = new Map<number, Child>();
  #retrySeq = 0;
  #restartingSeq = 0;

  constructor(
    readonly flags: CheckedFlags,
    private readonly specs: readonly CheckedSpec[],
    private readonly logger: Logger,
    private readonly name: Atom | undefined,
  ) {}

  get simple(): boolean {
    return this.flags.strategy === 'simple_one_for_one';
  }

  /** supervisor's #state.name as reports show it: `{local, Name}`, or `{Pid, beamwire}` (OTP: `{self(), Mod}`). */
  get supName(): Term {
    return this.name === undefined ? tuple(this.self.pid, atom('beamwire')) : tuple(atom('local'), this.name);
  }

  callbacks(): ServerCallbacks<SupervisorCore> {
    return {
      init: () => this.#init(),
      handleCall: (req, from) => this.#handleCall(req, from),
      handleCast: (req) => this.#handleCast(req),
      handleInfo: (m) => this.#handleInfo(m),
      terminate: () => this.#terminate(),
      formatStatus: () => this.#stateTerm(),
      stateTerm: () => this.#stateTerm(),
    };
  }

  // -- init (supervisor:init/1, init_children/2, init_dynamic/2) ---------------

  async #init(): Promise<InitResult<SupervisorCore>> {
    this.self.trapExit(true);
    if (this.simple) {
      this.template = newChild(this.specs[0]!);
      return { state: this };
    }
    for (const spec of this.specs) {
      const c = newChild(spec);
      const r = await this.#startProcess(c);
      if ('error' in r) {
        reportError(this.logger, this.supName, 'start_error', r.error, c);
        await this.#terminateChildren([...this.children]);
        return { stop: tuple(SHUTDOWN, tuple(atom('failed_to_start_child'), atom(spec.id), r.error)) };
      }
      if (r.ok === undefined && spec.restart === 'temporary') continue;
      c.pid = r.ok;
      this.children.push(c);
    }
    return { state: this };
  }

  /** supervisor:do_start_child/2: run `start`, link to what it gave. `ok: undefined` is `ignore`. */
  async #startProcess(c: Child): Promise<Answer<Pid | undefined>> {
    let started: Started;
    try {
      started = await startingUnder(this.self.pid, () => c.spec.start(this.self.pid, ...c.args));
    } catch (e) {
      if (e instanceof StartError) return e.code === 'IGNORED' ? { ok: undefined } : { error: e.reason };
      return { error: reasonOf(e) };
    }
    if (started === 'ignore') return { ok: undefined };
    const pid = started instanceof Pid ? started : typeof started === 'object' && started !== null && started.pid instanceof Pid ? started.pid : undefined;
    if (pid === undefined) return { error: tuple(atom('bad_start_return'), formatValue(started)) };
    // What start_link does from inside the supervisor; a start that linked already is linked once.
    this.self.link(pid);
    c.modules = c.spec.modules ?? modulesOf(started) ?? [];
    c.pid = pid;
    reportProgress(this.logger, this.supName, c);
    return { ok: pid };
  }

  // -- a child ended (handle_info/2 → restart_child/3 → do_restart/3) ----------

  async #handleInfo(m: Term): Promise<Next<SupervisorCore>> {
    if (m instanceof Tuple && m.size === 3 && m.elements[0] === EXIT && m.elements[1] instanceof Pid) {
      const child = this.#findByPid(m.elements[1]);
      // An EXIT from a pid that is no child (one that already left, or a start that failed): ignored, as restart_child/3 does.
      if (child !== undefined && (await this.#doRestart(m.elements[2]!, child)) === 'shutdown') return { stop: SHUTDOWN, state: this };
      return { state: this };
    }
    this.#log(`Supervisor received unexpected message: ${format(m).slice(0, 300)}`);
    return { state: this };
  }

  async #doRestart(reason: Term, child: Child): Promise<'ok' | 'shutdown'> {
    const { restart } = child.spec;
    if (restart === 'permanent') {
      reportError(this.logger, this.supName, 'child_terminated', reason, child);
      return this.#restart(child);
    }
    if (isNormalExit(reason)) {
      this.#delChild(child);
      return this.#autoShutdown(child);
    }
    reportError(this.logger, this.supName, 'child_terminated', reason, child);
    if (restart === 'transient') return this.#restart(child);
    this.#delChild(child);
    return this.#autoShutdown(child);
  }

  /** supervisor:do_auto_shutdown/2. */
  #autoShutdown(child: Child): 'ok' | 'shutdown' {
    const { autoShutdown } = this.flags;
    if (autoShutdown === 'never' || !child.spec.significant) return 'ok';
    if (autoShutdown === 'any_significant') return 'shutdown';
    if (this.simple) return this.dynamics.size === 0 ? 'shutdown' : 'ok';
    return this.children.some((c) => (c.pid !== undefined || c.restarting) && c.spec.significant) ? 'ok' : 'shutdown';
  }

  /** supervisor:restart/2: count the restart, then restart as the strategy says. */
  async #restart(child: Child): Promise<'ok' | 'shutdown'> {
    if (!this.#addRestart()) {
      reportError(this.logger, this.supName, 'shutdown', atom('reached_max_restart_intensity'), child);
      this.#delChild(child);
      return 'shutdown';
    }
    switch (this.flags.strategy) {
      case 'simple_one_for_one': {
        if (child.restarting) this.dynamicRestarts--;
        this.#removeDynamic(child);
        const next = newChild(child.spec, child.args);
        const r = await this.#startProcess(next);
        if ('error' in r) {
          next.restarting = true;
          this.dynamicRestarts++;
          this.#storeDynamic(next);
          reportError(this.logger, this.supName, 'start_error', r.error, next);
          this.#tryAgain(next);
        } else if (r.ok !== undefined) this.#storeDynamic(next);
        return 'ok';
      }
      case 'one_for_one': {
        child.pid = undefined;
        const r = await this.#startProcess(child);
        child.restarting = 'error' in r;
        if ('error' in r) {
          reportError(this.logger, this.supName, 'start_error', r.error, child);
          this.#tryAgain(child);
        }
        return 'ok';
      }
      case 'rest_for_one':
        child.pid = undefined;
        await this.#restartMultiple(this.children.slice(this.children.indexOf(child)));
        return 'ok';
      case 'one_for_all':
        child.pid = undefined;
        await this.#restartMultiple([...this.children]);
        return 'ok';
    }
  }

  /** supervisor:restart_multiple_children/3: stop them (reverse order), start them again (in order). */
  async #restartMultiple(list: Child[]): Promise<void> {
    await this.#terminateChildren(list);
    const failed = await this.#startChildren(list.filter((c) => this.children.includes(c)));
    if (failed !== undefined) {
      failed.restarting = true;
      this.#tryAgain(failed);
    }
  }

  /** A restart that failed is tried again after the mailbox had a turn (supervisor:try_again_restart/1). */
  #tryAgain(child: Child): void {
    const n = ++this.#retrySeq;
    this.#retries.set(n, child);
    this.self.send(this.self.pid, tuple(atom('$gen_cast'), tuple(TRY_AGAIN, n)));
  }

  async #handleCast(req: Term): Promise<Next<SupervisorCore>> {
    if (req instanceof Tuple && req.size === 2 && req.elements[0] === TRY_AGAIN && typeof req.elements[1] === 'number') {
      const child = this.#retries.get(req.elements[1]);
      this.#retries.delete(req.elements[1]);
      const present = child !== undefined && (this.simple ? [...this.dynamics.values()].includes(child) : this.children.includes(child));
      if (present && child.restarting && (await this.#restart(child)) === 'shutdown') return { stop: SHUTDOWN, state: this };
      return { state: this };
    }
    this.#log(`Supervisor received unexpected cast: ${format(req).slice(0, 300)}`);
    return { state: this };
  }

  /** supervisor:add_restart/1: false when more than `intensity` restarts fell within `period` seconds. */
  #addRestart(): boolean {
    const now = performance.now();
    const since = now - this.flags.period * 1000;
    this.#restarts = this.#restarts.filter((t) => t >= since);
    this.#restarts.push(now);
    return this.#restarts.length <= this.flags.intensity;
  }

  // -- starting and stopping many (start_children/2, terminate_children/2) -----

  /** Starts `list` in order; returns the first that failed (the rest stay stopped), else undefined. */
  async #startChildren(list: Child[]): Promise<Child | undefined> {
    for (const c of list) {
      const r = await this.#startProcess(c);
      if ('error' in r) {
        reportError(this.logger, this.supName, 'start_error', r.error, c);
        return c;
      }
      c.restarting = false;
      if (r.ok === undefined && c.spec.restart === 'temporary') this.#remove(c);
    }
    return undefined;
  }

  /** Stops `list` (given in start order) in reverse order; temporary children are dropped, the others kept stopped. */
  async #terminateChildren(list: Child[]): Promise<void> {
    for (const c of [...list].reverse()) {
      await this.#doTerminate(c);
      if (c.spec.restart === 'temporary') this.#remove(c);
    }
  }

  /** supervisor:do_terminate/2. */
  async #doTerminate(c: Child): Promise<void> {
    if (c.pid !== undefined) {
      const r = await shutdown(this.self, c);
      if (r !== undefined) reportError(this.logger, this.supName, 'shutdown_error', r, c);
    }
    c.pid = undefined;
    c.restarting = false;
  }

  async #terminate(): Promise<void> {
    if (!this.simple) return this.#terminateChildren([...this.children]);
    const failed = await shutdownAll(this.self, this.template!, [...this.dynamics.values()]);
    for (const [c, r] of failed) reportError(this.logger, this.supName, 'shutdown_error', r, c);
    this.dynamics.clear();
  }

  // -- the children's records --------------------------------------------------

  #findByPid(pid: Pid): Child | undefined {
    if (this.simple) return this.dynamics.get(termKey(pid));
    return this.children.find((c) => c.pid !== undefined && equals(c.pid, pid));
  }

  findById(id: string): Child | undefined {
    return this.children.find((c) => c.spec.id === id);
  }

  /** supervisor:del_child/2: a temporary child goes; another keeps its spec, without a pid. */
  #delChild(c: Child): void {
    if (this.simple) return this.#removeDynamic(c);
    if (c.spec.restart === 'temporary') this.#remove(c);
    c.pid = undefined;
    c.restarting = false;
  }

  #remove(c: Child): void {
    const i = this.children.indexOf(c);
    if (i >= 0) this.children.splice(i, 1);
  }

  #keys = new WeakMap<Child, string>();

  #storeDynamic(c: Child): void {
    const key = c.pid === undefined ? `restarting ${++this.#restartingSeq}` : termKey(c.pid);
    this.#keys.set(c, key);
    this.dynamics.set(key, c);
  }

  #removeDynamic(c: Child): void {
    const key = this.#keys.get(c);
    if (key !== undefined) this.dynamics.delete(key);
  }

  // -- requests (handle_call/3), shared by Erlang's calls and the TypeScript API --

  async startChild(spec: ChildSpec): Promise<Answer<Pid | undefined>> {
    let checked: CheckedSpec;
    try {
      checked = checkSpec(spec, this.flags.autoShutdown, 'startChild');
    } catch (e) {
      return { error: (e as SupervisorError).reason };
    }
    const old = this.findById(checked.id);
    if (old !== undefined) return { error: old.pid !== undefined ? tuple(atom('already_started'), old.pid) : atom('already_present') };
    const c = newChild(checked);
    const r = await this.#startProcess(c);
    if (!('error' in r) && !(r.ok === undefined && checked.restart === 'temporary')) this.children.push(c);
    return r;
  }

  async startDynamic(args: unknown[]): Promise<Answer<Pid | undefined>> {
    const c = newChild(this.template!.spec, args);
    const r = await this.#startProcess(c);
    if ('ok' in r && r.ok !== undefined) this.#storeDynamic(c);
    return r;
  }

  async terminateChild(id: string | Pid): Promise<Answer<void>> {
    if (this.simple) {
      if (!(id instanceof Pid)) return { error: atom('simple_one_for_one') };
      const c = this.#findByPid(id);
      if (c === undefined) return { error: atom('not_found') };
      await this.#doTerminate(c);
      this.#removeDynamic(c);
      return { ok: undefined };
    }
    const c = id instanceof Pid ? this.#findByPid(id) : this.findById(id);
    if (c === undefined) return { error: atom('not_found') };
    await this.#doTerminate(c);
    this.#delChild(c);
    return { ok: undefined };
  }

  async restartChild(id: string): Promise<Answer<Pid | undefined>> {
    if (this.simple) return { error: atom('simple_one_for_one') };
    const c = this.findById(id);
    if (c === undefined) return { error: atom('not_found') };
    if (c.restarting) return { error: RESTARTING };
    if (c.pid !== undefined) return { error: atom('running') };
    return this.#startProcess(c);
  }

  deleteChild(id: string): Answer<void> {
    if (this.simple) return { error: atom('simple_one_for_one') };
    const c = this.findById(id);
    if (c === undefined) return { error: atom('not_found') };
    if (c.restarting) return { error: RESTARTING };
    if (c.pid !== undefined) return { error: atom('running') };
    this.#remove(c);
    return { ok: undefined };
  }

  /** supervisor:which_children/1's `[{Id, Child, Type, Modules}]`. */
  whichChildren(): Term[] {
    const row = (id: Term, c: Child): Term => tuple(id, c.restarting ? RESTARTING : (c.pid ?? UNDEFINED), atom(c.spec.type), modulesTerm(c));
    if (this.simple) return [...this.dynamics.values()].map((c) => row(UNDEFINED, c));
    return this.children.map((c) => row(atom(c.spec.id), c));
  }

  /** supervisor:count_children/1's counts. */
  countChildren(): { specs: number; active: number; supervisors: number; workers: number } {
    if (this.simple) {
      const size = this.dynamics.size;
      const sup = this.template!.spec.type === 'supervisor';
      return { specs: 1, active: size - this.dynamicRestarts, supervisors: sup ? size : 0, workers: sup ? 0 : size };
    }
    let active = 0;
    let supervisors = 0;
    for (const c of this.children) {
      if (c.pid !== undefined) active++;
      if (c.spec.type === 'supervisor') supervisors++;
    }
    return { specs: this.children.length, active, supervisors, workers: this.children.length - supervisors };
  }

  async #handleCall(req: Term, _from: From): Promise<CallResult<SupervisorCore>> {
    const reply = (r: Term): CallResult<SupervisorCore> => ({ reply: r, state: this });
    const answer = (a: Answer<Pid | undefined | void>): CallResult<SupervisorCore> =>
      reply('error' in a ? tuple(ERROR, a.error) : a.ok === undefined ? OK : tuple(OK, a.ok));
    if (req === atom('which_children')) return reply(this.whichChildren());
    if (req === atom('count_children')) {
      const n = this.countChildren();
      return reply([tuple(atom('specs'), n.specs), tuple(atom('active'), n.active), tuple(atom('supervisors'), n.supervisors), tuple(atom('workers'), n.workers)]);
    }
    if (req instanceof Tuple && req.size === 2) {
      const [what, arg] = req.elements as [Term, Term];
      if (what === OP && typeof arg === 'number') {
        const run = this.ops.get(arg);
        this.ops.delete(arg);
        await run?.();
        return reply(OK);
      }
      const id = arg instanceof Atom ? arg.name : arg instanceof Pid ? arg : undefined;
      if (what === atom('terminate_child') && id !== undefined) return answer(await this.terminateChild(id));
      if (what === atom('restart_child') && typeof id === 'string') return answer(await this.restartChild(id));
      if (what === atom('delete_child') && typeof id === 'string') return answer(this.deleteChild(id));
      if (what === atom('start_child') && this.simple && Array.isArray(arg)) {
        const r = await this.startDynamic(arg);
        return 'ok' in r && r.ok === undefined ? reply(tuple(OK, UNDEFINED)) : answer(r);
      }
      if (what === atom('start_child'))
        return reply(tuple(ERROR, tuple(atom('notsup'), 'a beamwire supervisor starts children from TypeScript specs; call startChild from TypeScript')));
      if (what === atom('get_childspec')) {
        const c = typeof id === 'string' ? this.findById(id) : id instanceof Pid ? this.#findByPid(id) : undefined;
        return reply(c === undefined ? tuple(ERROR, atom('not_found')) : tuple(OK, specTerm(c)));
      }
      if (['terminate_child', 'restart_child', 'delete_child'].some((n) => what === atom(n))) return reply(tuple(ERROR, atom('not_found')));
    }
    this.#log(`Supervisor received unexpected call: ${format(req).slice(0, 300)}`);
    return reply(tuple(ERROR, tuple(atom('unknown_call'), req)));
  }

  /** What sys:get_status shows: `{state, SupName, Strategy, [{Id, Child}], Intensity, Period, AutoShutdown}` (beamwire's, not OTP's record). */
  #stateTerm(): Term {
    const rows = this.simple
      ? [...this.dynamics.values()].map((c) => tuple(UNDEFINED, c.pid ?? RESTARTING))
      : this.children.map((c) => tuple(atom(c.spec.id), c.restarting ? RESTARTING : (c.pid ?? UNDEFINED)));
    return tuple(atom('state'), this.supName, atom(this.flags.strategy), rows, this.flags.intensity, this.flags.period, atom(this.flags.autoShutdown));
  }

  #log(line: string): void {
    try {
      this.logger.log('error', `${format(this.supName)}: ${line}`);
    } catch {
      // as in reports.ts
    }
  }
}

/** supervisor:child_to_spec/1's map; `start` names the TypeScript function, an MFA Erlang cannot call. */
function specTerm(c: Child): Term {
  const { id, restart, significant, shutdown, type, start } = c.spec;
  return new Map<Term, Term>([
    [atom('id'), atom(id)],
    [atom('start'), tuple(atom('beamwire'), atom(start.name === '' ? 'start' : start.name.slice(0, 255)), [])],
    [atom('restart'), atom(restart)],
    [atom('significant'), significant],
    [atom('shutdown'), typeof shutdown === 'number' ? shutdown : atom(shutdown)],
    [atom('type'), atom(type)],
    [atom('modules'), modulesTerm(c)],
  ]);
}

function formatValue(v: unknown): string {
  try {
    return typeof v === 'object' ? JSON.stringify(v) ?? String(v) : String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}
