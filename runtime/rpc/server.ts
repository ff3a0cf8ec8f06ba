/**
 * A gen_server-compatible server in TypeScript: a registered process that
 * answers gen_server:call/2,3 (`{'$gen_call', {Pid, Tag}, Request}`),
 * gen_server:cast/2 (`{'$gen_cast', Request}`), sys's system messages and
 * plain messages, from Erlang, Elixir (`GenServer.call({name, node}, req)`,
 * `:sys.get_state`) or TypeScript (`node.call`). Replies go to the caller's
 * alias when the tag is `[alias | Mref]` (ALIAS_SEND, OTP 24+), else to its
 * pid, as gen:reply/2. Callbacks return objects rather than OTP's tuples:
 *
 * ```ts
 * node.serve<number>('counter', {
 *   init: () => 0,
 *   handleCall: (req, _from, n) => ({ reply: n + 1, state: n + 1 }),
 *   handleCast: (req, n) => ({ state: 0, timeout: 1000 }), // handleInfo('timeout', 0) in 1 s unless a message comes
 * });
 * ```
 *
 * System messages (`{system, From, Request}`, what the `sys` module sends)
 * are answered as gen_server and sys answer them, with the server reporting
 * itself as `{module, gen_server}`:
 *
 * | Erlang                          | Request               | Reply                                                                 |
 * |---------------------------------|-----------------------|-----------------------------------------------------------------------|
 * | `sys:get_state/1,2`             | `get_state`           | `{ok, State}` to OTP 26+, the state itself to OTP 25 (see below)      |
 * | `sys:get_status/1,2`            | `get_status`          | `{status, Pid, {module, gen_server}, [[], running \| suspended, Pid, [], Misc]}` |
 * | `sys:suspend/1,2`, `resume/1,2` | `suspend`, `resume`   | `ok`                                                                  |
 * | `sys:terminate/2,3`, `gen_server:stop/1,3` | `{terminate, Reason}` | `ok`, then terminate runs and the server ends with Reason  |
 * | `sys:replace_state/2,3`         | `{replace_state, Fun}`| `{error, {callback_failed, {gen_server, system_replace_state}, {error, {notsup, <<"...">>}}}}` |
 * | anything else (`sys:trace`, `sys:log`, `sys:change_code`, ...) | `Other` | `{error, {unknown_system_msg, Other}}`, as sys's do_cmd |
 *
 * `Misc` is what gen_server's format_status/2 gives:
 * `[{header, "Status for generic server Name"}, {data, [{"Status", SysState},
 * {"Parent", Pid}, {"Logged events", []}]}, {data, [{"State", State}]}]`. The
 * process dictionary and the debug options are `[]` (there are none), and the
 * parent is the server itself, as for an unlinked gen_server:start.
 *
 * sys:get_state on OTP 26+ takes `{ok, State}` from the process and raises
 * case_clause on anything else; OTP 25's passes the reply through as the
 * state. The request is `get_state` on both, so the caller's release is read
 * from its gen:call tag `[alias | Ref]`: OTP 26+ makes an alias as a
 * five-word reference (a "pid reference"), OTP 25 as a three-word one.
 *
 * A state with no Erlang term (`undefined`, a class instance, ...) is sent
 * as `{beamwire_unencodable, <<"cannot encode ...">>}` (the EncodeError's
 * message), so get_state and get_status answer rather than crash the server.
 * replace_state cannot work: its argument is an Erlang fun, which TypeScript
 * cannot run; the `{error, Reason}` reply makes sys:replace_state raise
 * `error:Reason` (the shape OTP gives a fun that failed) and leaves the state
 * as it was. Change the state through a call instead.
 *
 * While suspended the server answers only system messages (and `server.stop()`);
 * everything else waits in the mailbox, in order, until `resume`, as in sys's
 * suspend loop.
 *
 * The loop itself is {@link runServer}: `serve` runs it in a process of its
 * own, and runtime/behaviours/ (GenServer, Supervisor) runs it in theirs, so
 * node.serve and the behaviours share one gen_server. It follows
 * gen_server.erl: init_it/6 (a timeout or `{continue, C}` from init, stop,
 * ignore), loop/7 and handle_msg (call, cast, info, timeout),
 * try_handle_continue/3, decode_msg/9 (the parent's EXIT ends a server that
 * traps exits, after terminate), terminate/10, format_status/2.
 */
import { parseGen } from '../../generated/gen.js';
import { ProcessExit, on, P, reasonOf, type ProcessContext } from '../process/index.js';
import { Atom, atom } from '../term/atom.js';
import { equals } from '../term/compare.js';
import { format } from '../term/format.js';
import { tuple } from '../term/make.js';
import { ImproperList, Pid, Reference, Tuple, type Term } from '../term/values.js';
import type { RpcHost } from './host.js';
import { system } from './sys.js';

/** Who called: gen_server's `From`, `{CallerPid, Tag}`. Pass it to `reply` to answer later. */
export type From = Tuple;

/**
 * What handleCall returns: a reply now, no reply yet (answer later with
 * `node.reply(from, v)`), or stop; the first two may set a `timeout` or a `continue`.
 *
 * `timeout`, in milliseconds, is the Timeout of gen_server's `{reply, R, S, Timeout}`
 * and `{noreply, S, Timeout}`: if no message arrives within it, handleInfo gets
 * the atom `timeout`. Any message but a system one cancels it (a system
 * message restarts the wait, as in gen_server); `Infinity` or no field means
 * none; a negative or non-number value is a bad return that ends the server.
 * `continue` is gen_server's `{continue, C}`: handleContinue(C, state) runs
 * before the next message (it takes the place of a timeout).
 * (gen_server's `hibernate` has no counterpart.)
 */
export type CallResult<S> =
  | { readonly reply: Term; readonly state: S; readonly timeout?: number; readonly continue?: Term }
  | { readonly noreply: true; readonly state: S; readonly timeout?: number; readonly continue?: Term }
  | { readonly stop: Term; readonly reply?: Term; readonly state: S };

/** What handleCast, handleInfo and handleContinue return: the next state (optionally a `timeout` or `continue`, as in {@link CallResult}), or stop with a reason. */
export type Next<S> = { readonly state: S; readonly timeout?: number; readonly continue?: Term } | { readonly stop: Term; readonly state: S };

/** What a server's init gives: gen_server's `{ok, S}`, `{ok, S, Timeout}`, `{ok, S, {continue, C}}`, `{stop, R}`, `ignore`. */
export type InitResult<S> =
  | { readonly state: S; readonly timeout?: number; readonly continue?: Term }
  | { readonly stop: Term }
  | { readonly ignore: true };

type Maybe<T> = T | Promise<T>;

/** The callbacks of node.serve; see {@link ServerCallbacks} for what each does. */
export interface ServerSpec<S> {
  /** The first state (default: undefined). Runs before the name is registered. */
  init?(): Maybe<S>;
  /** gen_server:call: reply now (`{ reply, state }`), later (`{ noreply: true, state }` then `node.reply(from, v)`), or stop. */
  handleCall(request: Term, from: From, state: S): Maybe<CallResult<S>>;
  /** gen_server:cast; without it casts are dropped. */
  handleCast?(request: Term, state: S): Maybe<Next<S>>;
  /** Any other message, and the atom `timeout` when a result's `timeout` ran out; without it they are dropped (with a debug line). */
  handleInfo?(message: Term, state: S): Maybe<Next<S>>;
  /** A result's `continue`: runs before the next message (gen_server's handle_continue/2). */
  handleContinue?(continuation: Term, state: S): Maybe<Next<S>>;
  /** Called when the server stops (a `stop` result, `server.stop()`, sys:terminate, the parent's exit, or a callback that threw) with the reason. */
  terminate?(reason: Term, state: S): Maybe<void>;
  /** What sys:get_status shows as the state (gen_server's format_status/1): hide secrets, shorten big states. */
  formatStatus?(state: S): unknown;
}

/** The loop's callbacks: a {@link ServerSpec} whose init gives an {@link InitResult}. */
export interface ServerCallbacks<S> extends Omit<ServerSpec<S>, 'init'> {
  init(): Maybe<InitResult<S>>;
  /** What sys:get_state gives (default: the state itself); for a state that is no term. */
  stateTerm?(state: S): Term;
}

/** How a start ended, for the starter (proc_lib's ack). */
export type StartOutcome =
  | { readonly kind: 'ok'; readonly stopRef: Reference }
  | { readonly kind: 'ignore' }
  | { readonly kind: 'stop'; readonly reason: Term }
  | { readonly kind: 'threw'; readonly error: unknown };

export interface RunOptions {
  /** Registered once init has run. */
  readonly name?: Atom | undefined;
  /**
   * The process that started it linked (gen_server's Parent): its EXIT ends
   * a server that traps exits with the same reason, after terminate.
   */
  readonly parent?: Pid | undefined;
  readonly debug: (line: string) => void;
  /** Called once, when init has run (or failed). */
  readonly started: (outcome: StartOutcome) => void;
}

/** A running server. */
export interface Server {
  readonly pid: Pid;
  readonly name: Atom;
  /** Resolves with the exit reason once the server has stopped. */
  readonly exited: Promise<Term>;
  /** Stops it (terminate runs) and waits until it has; default reason `normal`. Works while suspended too. */
  stop(reason?: Term): Promise<void>;
}

const ALIAS = atom('alias');
const NORMAL = atom('normal');
const TIMEOUT = atom('timeout');
const EXIT = atom('EXIT');
const STOP = atom('$beamwire_stop');

/** gen:reply/2: `{Tag, Reply}` to the caller's alias for an `[alias | Mref]` tag, else to its pid. */
export function reply(send: (to: Pid | Reference, message: Term) => void, from: Term, value: Term): void {
  if (!(from instanceof Tuple) || from.size !== 2) throw new TypeError(`reply: ${format(from)} is not a gen_server From {Pid, Tag}`);
  const [to, tag] = from.elements as [Term, Term];
  const alias = aliasOf(from);
  if (alias !== undefined) send(alias, tuple(tag, value));
  else if (to instanceof Pid) send(to, tuple(tag, value));
  else throw new TypeError(`reply: ${format(from)} is not a gen_server From {Pid, Tag}`);
}

/** The alias of a From `{Pid, [alias | Ref]}` (gen:call on OTP 24+), else undefined. */
function aliasOf(from: Tuple): Reference | undefined {
  const tag = from.elements[1];
  return tag instanceof ImproperList && tag.elements.length === 1 && tag.elements[0] === ALIAS && tag.tail instanceof Reference ? tag.tail : undefined;
}

/** What stops a server from outside: `{'$beamwire_stop', StopRef, Reason}` sent to its pid (the ref from its start). */
export const stopMessage = (stopRef: Reference, reason: Term): Term => tuple(STOP, stopRef, reason);

/** Starts a server registered as `name`; resolves once init has run and the name is registered. */
export async function serve<S>(host: RpcHost, name: Atom, spec: ServerSpec<S>): Promise<Server> {
  let started!: (o: StartOutcome) => void;
  const ready = new Promise<StartOutcome>((resolve) => (started = resolve));
  const callbacks: ServerCallbacks<S> = { ...spec, init: async () => ({ state: spec.init ? await spec.init() : (undefined as S) }) };
  const proc = host.table.spawn((self) => runServer(self, callbacks, { name, debug: (l) => host.debug(l), started }));
  const outcome = await ready;
  if (outcome.kind === 'threw') throw outcome.error;
  if (outcome.kind !== 'ok') throw new TypeError(`serve: init of ${name.name} gave ${outcome.kind}`); // serve's init returns a state: unreachable
  return {
    pid: proc.pid,
    name,
    exited: proc.exited,
    stop: async (reason: Term = NORMAL) => {
      host.table.send(proc.pid, stopMessage(outcome.stopRef, reason));
      await proc.exited;
    },
  };
}

/**
 * Runs a gen_server in the process `self` (gen_server:init_it/6, then
 * loop/7): init, registration, `started`, then messages until it stops.
 */
export async function runServer<S>(self: ProcessContext, callbacks: ServerCallbacks<S>, options: RunOptions): Promise<void> {
  const stopRef = self.makeRef();
  let init: InitResult<S>;
  try {
    init = await callbacks.init();
    if ('stop' in init) {
      options.started({ kind: 'stop', reason: init.stop });
      return self.exit(init.stop);
    }
    if ('ignore' in init) {
      options.started({ kind: 'ignore' });
      return self.exit(NORMAL);
    }
    if (options.name !== undefined) self.register(options.name);
  } catch (e) {
    if (!(e instanceof ProcessExit)) options.started({ kind: 'threw', error: e });
    throw e;
  }
  options.started({ kind: 'ok', stopRef });
  await loop(self, callbacks, options, init, stopRef);
}

async function loop<S>(self: ProcessContext, cb: ServerCallbacks<S>, options: RunOptions, initial: { state: S; timeout?: number; continue?: Term }, stopRef: Reference): Promise<void> {
  let state = initial.state;
  let suspended = false;
  /** From the last callback result: how long to wait for a message before handleInfo('timeout'). */
  let timeout: number | undefined;
  /** From the last callback result: what handleContinue runs with before the next message. */
  let cont: Term | undefined = initial.continue;
  const { parent, debug } = options;
  const send = (to: Pid | Reference, m: Term): void => self.send(to, m);
  const stop = async (reason: Term): Promise<never> => {
    await cb.terminate?.(reason, state);
    return self.exit(reason);
  };
  const isStop = (m: Term): m is Tuple => m instanceof Tuple && m.size === 3 && m.elements[0] === STOP && equals(m.elements[1]!, stopRef);
  const isParentExit = (m: Term): m is Tuple => parent !== undefined && m instanceof Tuple && m.size === 3 && m.elements[0] === EXIT && equals(m.elements[1]!, parent);
  // Suspended: only system messages, our own stop and the parent's exit; the rest keep their places.
  const whileSuspended = on(
    P.is((m) => isSystem(m) || isStop(m) || isParentExit(m)),
    (_b, m) => m,
  );
  if (cont === undefined) timeout = timeoutOf(initial.timeout);
  for (;;) {
    let next: CallResult<S> | Next<S> | undefined;
    try {
      if (cont !== undefined) {
        const c = cont;
        cont = undefined;
        if (cb.handleContinue === undefined) throw new TypeError(`server ${self.pid.toString()} returned continue ${format(c)} and has no handleContinue`);
        next = await cb.handleContinue(c, state);
      } else {
        const m: Term = suspended
          ? await self.receive(whileSuspended)
          : timeout === undefined
            ? await self.receive()
            : await self.receive(undefined, { timeout, after: () => TIMEOUT }); // gen_server: handle_info(timeout, State)
        if (isStop(m)) return await stop(m.elements[2]!);
        if (isParentExit(m)) return await stop(m.elements[2]!); // gen_server:decode_msg/9
        if (isSystem(m)) {
          // As gen_server after sys's system_continue: the same timeout starts over.
          const [, from, request] = m.elements as [Term, From, Term];
          const r = system(request, {
            name: options.name,
            pid: self.pid,
            parent: parent ?? self.pid,
            state: cb.stateTerm ? cb.stateTerm(state) : state,
            status: () => (cb.formatStatus ? cb.formatStatus(state) : state),
            suspended,
            wrapsState: aliasOf(from)?.ids.length === 5,
          });
          if (r.suspended !== undefined) suspended = r.suspended;
          reply(send, from, r.reply);
          if (r.terminate !== undefined) return await stop(r.terminate);
          continue;
        }
        const msg = isGen(m) ? parseGen(m) : undefined;
        if (msg?.kind === 'gen_call' && msg.from instanceof Tuple && msg.from.size === 2) {
          const r = await cb.handleCall(msg.request, msg.from, state);
          if ('reply' in r && r.reply !== undefined) reply(send, msg.from, r.reply);
          next = r;
        } else if (msg?.kind === 'gen_cast') {
          if (cb.handleCast) next = await cb.handleCast(msg.request, state);
        } else if (cb.handleInfo) next = await cb.handleInfo(m, state);
        else debug(`server ${self.pid.toString()} dropped ${format(m).slice(0, 120)}`);
      }
      timeout = next === undefined || 'stop' in next || next.continue !== undefined ? undefined : timeoutOf(next.timeout);
    } catch (e) {
      if (e instanceof ProcessExit) throw e;
      // A callback that threw: terminate with the reason a crashed process gets, then end with it.
      const reason = reasonOf(e);
      debug(`server ${self.pid.toString()} crashed: ${format(reason)}`);
      await cb.terminate?.(reason, state);
      throw e;
    }
    if (next === undefined) continue;
    state = next.state;
    if ('stop' in next) await stop(next.stop);
    else cont = next.continue;
  }
}

/** A result's `timeout`: undefined for none; a bad value is the callback's error, as a bad return is in gen_server. */
function timeoutOf(t: number | undefined): number | undefined {
  if (t === undefined || t === Infinity) return undefined;
  if (typeof t !== 'number' || !(t >= 0)) throw new TypeError(`server callback returned timeout ${String(t)}: expected milliseconds >= 0 or Infinity`);
  return t;
}

const SYSTEM = atom('system');
const GEN_CALL = atom('$gen_call');
const GEN_CAST = atom('$gen_cast');
const isGen = (m: Term): boolean => m instanceof Tuple && ((m.size === 3 && m.elements[0] === GEN_CALL) || (m.size === 2 && m.elements[0] === GEN_CAST));
/** `{system, From, Request}` with a gen From `{Pid, Tag}`. */
const isSystem = (m: Term): m is Tuple =>
  m instanceof Tuple && m.size === 3 && m.elements[0] === SYSTEM && m.elements[1] instanceof Tuple && (m.elements[1] as Tuple).size === 2;
