/**
 * gen_server as a class: extend GenServer, write the callbacks you need,
 * start it with `Cache.start(node, args, { name })`. It runs the same loop
 * as node.serve (runtime/rpc/server.ts `runServer`), so it answers
 * gen_server:call/cast from Erlang and Elixir and sys's system messages.
 *
 * ```ts
 * class Counter extends GenServer<number, 'get' | 'bump', 'reset', number> {
 *   init(start: number) { return { state: start }; }
 *   handleCall(req: 'get' | 'bump', _from: From, n: number) { ... }
 * }
 * const c = await Counter.start(node, 0, { name: 'counter' });
 * await c.call('bump');
 * ```
 *
 * The type parameters (State, Call, Cast, Reply) are what TypeScript callers
 * of the handle may send and get; they are trusted, not checked: Erlang can
 * send anything, and handleCall sees what it sent.
 */
import type { ProcessContext } from '../process/index.js';
import { stopMessage, type CallOptions, type CallResult, type From, type InitResult, type Next, type ServerCallbacks } from '../rpc/index.js';
import { Atom, atom } from '../term/atom.js';
import { format } from '../term/format.js';
import { tuple } from '../term/make.js';
import { StartError } from './errors.js';
import { Pid, type Reference, type Term } from '../term/values.js';
import type { BehaviourNode } from './host.js';
import { startServer, type StartOptions } from './start.js';

type Maybe<T> = T | Promise<T>;

/** A running GenServer: OTP's server_ref with the calls typed. */
export interface GenServerRef<Call extends Term = Term, Cast extends Term = Term, Reply extends Term = Term> {
  readonly pid: Pid;
  readonly name: Atom | undefined;
  /** The class name: what a supervisor reports as the child's Modules. */
  readonly module: string;
  /** Resolves with the exit reason once it has ended. */
  readonly exited: Promise<Term>;
  /**
   * gen_server:call by pid. Rejects with RpcError (class `exit`, reason
   * `noproc`, `{nodedown, Node}` or the server's exit reason) or, after
   * `timeout` ms (default 5000), CallTimeoutError, as node.call.
   */
  call(request: Call, options?: CallOptions): Promise<Reply>;
  /** gen_server:cast: never fails. */
  cast(request: Cast): void;
  /** gen_server:stop: terminate runs, then it ends with `reason` (default `normal`); resolves once it has. */
  stop(reason?: Term): Promise<void>;
}

/**
 * The callbacks a GenServer subclass may define (all optional), named as
 * gen_server's: init/1, handle_call/3, handle_cast/2, handle_info/2,
 * handle_continue/2, terminate/2, format_status/1.
 */
export interface GenServerCallbacks<State = unknown, Call extends Term = Term, Cast extends Term = Term> {
  /** `{ state }`, `{ state, timeout }`, `{ state, continue }`, `{ stop: reason }` or `{ ignore: true }`. Default: `{ state: undefined }`. */
  init?(args: any): Maybe<InitResult<State>>;
  handleCall?(request: Call, from: From, state: State): Maybe<CallResult<State>>;
  handleCast?(request: Cast, state: State): Maybe<Next<State>>;
  handleInfo?(message: Term, state: State): Maybe<Next<State>>;
  handleContinue?(continuation: Term, state: State): Maybe<Next<State>>;
  terminate?(reason: Term, state: State): Maybe<void>;
  /** What sys:get_status shows as the state: hide secrets, shorten big states. */
  formatStatus?(state: State): unknown;
}

/**
 * The base class; a subclass defines the {@link GenServerCallbacks} it needs
 * (no `override`: the base declares none). Every callback is optional; without handleCall a call
 * (and without handleCast a cast) ends the server, as an undefined callback
 * does in OTP; without handleInfo a plain message is logged and dropped.
 * `self` (the process it runs in: `self.trapExit(true)` in init to get the
 * parent's exit through terminate) and `node` are set before init runs.
 */
export abstract class GenServer<State = unknown, Call extends Term = Term, Cast extends Term = Term, Reply extends Term = Term> {
  /** The server's process. */
  protected self!: ProcessContext;
  /** The node it runs on. */
  protected node!: BehaviourNode;

  declare readonly _types?: [State, Call, Cast, Reply];

  /**
   * Starts one: resolves once init has run (and the name is registered) with
   * its handle; rejects with StartError (init stopped or threw: START_FAILED,
   * the name is taken: ALREADY_STARTED with `{already_started, Pid}`, init
   * said ignore: IGNORED).
   */
  static async start<G extends GenServer<any, any, any, any>>(
    this: new () => G & GenServerCallbacks<StateOf<G>, CallOf<G>, CastOf<G>>,
    node: BehaviourNode,
    args?: ArgsOf<G>,
    options: StartOptions = {},
  ): Promise<GenServerRef<CallOf<G>, CastOf<G>, ReplyOf<G>>> {
    const server = new this();
    const module = this.name;
    const started = await startServer(node, options, `GenServer ${module}`, (self) => {
      server.self = self;
      server.node = node;
      return callbacksOf(server, args, module, node, self);
    });
    return handle(node, started.pid, started.name, module, started.exited, started.stopRef);
  }
}

type ArgsOf<G> = G extends { init?(args: infer A): unknown } ? A : undefined;
type StateOf<G> = G extends GenServer<infer S, any, any, any> ? S : unknown;
type CallOf<G> = G extends GenServer<any, infer C, any, any> ? C : Term;
type CastOf<G> = G extends GenServer<any, any, infer C, any> ? C : Term;
type ReplyOf<G> = G extends GenServer<any, any, any, infer R> ? R : Term;

function handle<Call extends Term, Cast extends Term, Reply extends Term>(
  node: BehaviourNode,
  pid: Pid,
  name: Atom | undefined,
  module: string,
  exited: Promise<Term>,
  stopRef: Reference,
): GenServerRef<Call, Cast, Reply> {
  return {
    pid,
    name,
    module,
    exited,
    call: (request, options) => node.call(pid, request, options) as Promise<Reply>,
    cast: (request) => node.cast(pid, request),
    stop: async (reason = NORMAL) => {
      node.send(pid, stopMessage(stopRef, reason));
      await exited;
    },
  };
}

const NORMAL = atom('normal');

/** The instance's methods as the loop's callbacks; what a missing callback does is OTP's. */
function callbacksOf<S>(server: GenServerCallbacks<S, any, any>, args: unknown, module: string, node: BehaviourNode, self: ProcessContext): ServerCallbacks<S> {
  return {
    init: () => (server.init ? server.init(args) : { state: undefined as S }),
    handleCall: (request, from, state) => {
      if (!server.handleCall) throw new TypeError(`${module} has no handleCall (called with ${formatShort(request)})`);
      return server.handleCall(request, from, state);
    },
    handleCast: (request, state) => {
      if (!server.handleCast) throw new TypeError(`${module} has no handleCast`);
      return server.handleCast(request, state);
    },
    handleInfo: (message, state) => {
      if (server.handleInfo) return server.handleInfo(message, state);
      // gen_server's default handle_info/2: a warning, and the message is dropped.
      node.logger.log('warning', `${module} ${self.pid.toString()} received unexpected message in handleInfo: ${formatShort(message)}`);
      return { state };
    },
    ...(server.handleContinue ? { handleContinue: (c: Term, s: S) => server.handleContinue!(c, s) } : {}),
    ...(server.terminate ? { terminate: (r: Term, s: S) => server.terminate!(r, s) } : {}),
    ...(server.formatStatus ? { formatStatus: (s: S) => server.formatStatus!(s) } : {}),
  };
}

const formatShort = (t: Term): string => format(t).slice(0, 200);

/** A GenServer subclass, as exposeStartLink takes it. */
export interface GenServerClass {
  start(node: BehaviourNode, args: any, options?: StartOptions): Promise<{ readonly pid: Pid }>;
}

/**
 * Lets an OTP supervisor supervise GenServers of this node: exposes
 * `module:start_link(Kind, Parent, Args)` to Erlang, which starts
 * `servers[Kind]` with Args linked to Parent and answers `{ok, Pid}`,
 * `ignore` or `{error, Reason}` (start_link's answers). The Erlang side calls
 * it from the supervisor's own process, so Parent is the supervisor; see
 * test/fixtures/beamwire_child.erl, whose start_link/4 is the child spec's
 * `start`.
 */
export function exposeStartLink(node: BehaviourNode, module: string, servers: Readonly<Record<string, GenServerClass>>): void {
  node.expose(module, {
    start_link: async (kind, parent, args) => {
      const server = kind instanceof Atom ? servers[kind.name] : undefined;
      if (server === undefined || !Object.hasOwn(servers, (kind as Atom).name)) return tuple(atom('error'), tuple(atom('unknown_server'), kind ?? atom('undefined')));
      if (!(parent instanceof Pid)) return tuple(atom('error'), tuple(atom('badarg'), parent ?? atom('undefined')));
      try {
        return tuple(atom('ok'), (await server.start(node, args, { link: parent })).pid);
      } catch (e) {
        if (e instanceof StartError) return e.code === 'IGNORED' ? atom('ignore') : tuple(atom('error'), e.reason);
        throw e;
      }
    },
  });
}
