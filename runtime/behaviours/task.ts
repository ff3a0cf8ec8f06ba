/**
 * Task: one-off work in a process of its own, whose value is awaited
 * (Elixir's Task). `Task.async(node, fn)` runs `fn` now; `await task` (or
 * `Task.await(task, timeout)`) gives its value, or rejects with TaskError
 * TASK_EXIT and the reason it ended with. Under a task supervisor
 * (`Task.supervisor(node)`, a simple_one_for_one Supervisor of temporary
 * children, as Task.Supervisor), `Task.start(sup, fn)` starts one as a child
 * (fire and forget): its crash is logged as a supervisor report, and
 * stopping the supervisor stops it.
 */
import type { ProcessContext, ProcessFn } from '../process/index.js';
import { atom, type Atom } from '../term/atom.js';
import { format } from '../term/format.js';
import type { Pid, Term } from '../term/values.js';
import { TaskError } from './errors.js';
import type { BehaviourNode } from './host.js';
import { Supervisor } from './supervisor.js';
import type { Shutdown } from './children.js';

const KILL = atom('kill');
const TIMEOUT = atom('timeout');

export class Task<T> implements PromiseLike<T> {
  readonly #result: Promise<T>;

  private constructor(
    private readonly node: BehaviourNode,
    readonly pid: Pid,
    /** Resolves with the exit reason once the task has ended. */
    readonly exited: Promise<Term>,
    box: { done: boolean; value?: T },
  ) {
    this.#result = exited.then((reason) => {
      if (box.done) return box.value as T;
      throw new TaskError('TASK_EXIT', reason, `task ${pid.toString()} exited with ${format(reason)}`);
    });
    this.#result.catch(() => {}); // a task nobody awaits must not be an unhandled rejection
  }

  /** Runs `fn` in a new process of `node`. */
  static async<T>(node: BehaviourNode, fn: (self: ProcessContext) => T | Promise<T>): Task<T> {
    const box: { done: boolean; value?: T } = { done: false };
    const proc = node.spawn(body(fn, box));
    return new Task(node, proc.pid, proc.exited, box);
  }

  /**
   * Runs `fn` as a temporary child of the task supervisor `sup` (made with
   * {@link Task.supervisor}), as Task.Supervisor.start_child: resolves with
   * its pid once started; its value is dropped, a crash is the supervisor's
   * report. (Not a Task: an async function cannot resolve to a thenable.)
   */
  static async start(sup: Supervisor, fn: (self: ProcessContext) => unknown): Promise<Pid> {
    const pid = await sup.startChild([body(fn, { done: false })]);
    return pid!;
  }

  /** A Task.Supervisor: a dynamic supervisor whose children are temporary tasks (`shutdown`: default 5000). */
  static supervisor(node: BehaviourNode, options: { name?: string | Atom; link?: Pid; shutdown?: Shutdown } = {}): Promise<Supervisor> {
    return Supervisor.start(
      node,
      {
        strategy: 'simple_one_for_one',
        children: [
          {
            id: 'task',
            restart: 'temporary',
            shutdown: options.shutdown ?? 5000,
            start: (sup: Pid, run: ProcessFn) => {
              // supervisor:start_child(Sup, Args) from Erlang lands here too: only Task.start's functions run.
              if (typeof run !== 'function') throw new TypeError('a task supervisor runs functions given by Task.start, not Erlang terms');
              return node.spawnLink(sup, run);
            },
          },
        ],
      },
      { ...(options.name === undefined ? {} : { name: options.name }), ...(options.link === undefined ? {} : { link: options.link }) },
    );
  }

  /** Its value within `timeout` ms (default 5000, as Task.await); on timeout the task is killed and this rejects with TaskError TASK_TIMEOUT. */
  static await<T>(task: Task<T>, timeout = 5000): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        task.node.exit(task.pid, KILL);
        reject(new TaskError('TASK_TIMEOUT', TIMEOUT, `task ${task.pid.toString()} gave no value within ${timeout} ms (killed)`));
      }, timeout);
    });
    return Promise.race([task.#result, late]).finally(() => clearTimeout(timer));
  }

  then<A = T, B = never>(onfulfilled?: ((value: T) => A | PromiseLike<A>) | null, onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.#result.then(onfulfilled, onrejected);
  }
}

function body<T>(fn: (self: ProcessContext) => T | Promise<T>, box: { done: boolean; value?: T }): ProcessFn {
  return async (self) => {
    box.value = await fn(self);
    box.done = true;
  };
}
