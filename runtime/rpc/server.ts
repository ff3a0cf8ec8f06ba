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
 */
import { parseGen } from '../../generated/gen.js';
import { encode } from '../etf/codec.js';
import { ProcessExit, on, P, reasonOf, type ProcessContext } from '../process/index.js';
import { Atom, atom } from '../term/atom.js';
import { equals } from '../term/compare.js';
import { toCharlist } from '../term/convert.js';
import { format } from '../term/format.js';
import { tuple } from '../term/make.js';
import { ImproperList, Pid, Reference, Tuple, type Term } from '../term/values.js';
import type { RpcHost } from './host.js';

/** Who called: gen_server's `From`, `{CallerPid, Tag}`. Pass it to `reply` to answer later. */
export type From = Tuple;

/**
 * What handleCall returns: a reply now, no reply yet (answer later with
 * `node.reply(from, v)`), or stop; the first two may set a `timeout`.
 *
 * `timeout`, in milliseconds, is the Timeout of gen_server's `{reply, R, S, Timeout}`
 * and `{noreply, S, Timeout}`: if no message arrives within it, handleInfo gets
 * the atom `timeout`. Any message but a system one cancels it (a system
 * message restarts the wait, as in gen_server); `Infinity` or no field means
 * none; a negative or non-number value is a bad return that ends the server.
 * (gen_server's `hibernate` has no counterpart.)
 */
export type CallResult<S> =
  | { readonly reply: Term; readonly state: S; readonly timeout?: number }
  | { readonly noreply: true; readonly state: S; readonly timeout?: number }
  | { readonly stop: Term; readonly reply?: Term; readonly state: S };

/** What handleCast and handleInfo return: the next state (and optionally a `timeout`, as in {@link CallResult}), or stop with a reason. */
export type Next<S> = { readonly state: S; readonly timeout?: number } | { readonly stop: Term; readonly state: S };

type Maybe<T> = T | Promise<T>;

export interface ServerSpec<S> {
  /** The first state (default: undefined). Runs before the name is registered, as gen_server:start does. */
  init?(): Maybe<S>;
  /** gen_server:call: reply now (`{ reply, state }`), later (`{ noreply: true, state }` then `node.reply(from, v)`), or stop. */
  handleCall(request: Term, from: From, state: S): Maybe<CallResult<S>>;
  /** gen_server:cast; without it casts are dropped. */
  handleCast?(request: Term, state: S): Maybe<Next<S>>;
  /** Any other message, and the atom `timeout` when a result's `timeout` ran out; without it they are dropped (with a debug line). */
  handleInfo?(message: Term, state: S): Maybe<Next<S>>;
  /** Called when the server stops (a `stop` result, `server.stop()`, sys:terminate, or a callback that threw) with the reason. */
  terminate?(reason: Term, state: S): Maybe<void>;
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
const OK = atom('ok');
const ERROR = atom('error');
const TIMEOUT = atom('timeout');
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

/** Starts a server registered as `name`; resolves once init has run and the name is registered. */
export async function serve<S>(host: RpcHost, name: Atom, spec: ServerSpec<S>): Promise<Server> {
  const stopRef = host.table.makeRef();
  let started!: (e?: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => (started = (e) => (e === undefined ? resolve() : reject(e))));
  const proc = host.table.spawn(async (self) => {
    let state: S;
    try {
      state = spec.init ? await spec.init() : (undefined as S);
      self.register(name);
    } catch (e) {
      started(e);
      throw e;
    }
    started();
    await loop(host, self, name, spec, state, stopRef);
  });
  await ready;
  return {
    pid: proc.pid,
    name,
    exited: proc.exited,
    stop: async (reason: Term = NORMAL) => {
      host.table.send(proc.pid, tuple(STOP, stopRef, reason));
      await proc.exited;
    },
  };
}

async function loop<S>(host: RpcHost, self: ProcessContext, name: Atom, spec: ServerSpec<S>, initial: S, stopRef: Reference): Promise<void> {
  let state = initial;
  let suspended = false;
  /** From the last callback result: how long to wait for a message before handleInfo('timeout'). */
  let timeout: number | undefined;
  const send = (to: Pid | Reference, m: Term): void => self.send(to, m);
  const stop = async (reason: Term): Promise<never> => {
    await spec.terminate?.(reason, state);
    return self.exit(reason);
  };
  const isStop = (m: Term): m is Tuple => m instanceof Tuple && m.size === 3 && m.elements[0] === STOP && equals(m.elements[1]!, stopRef);
  // Suspended: only system messages and our own stop; the rest keep their places.
  const whileSuspended = on(
    P.is((m) => isSystem(m) || isStop(m)),
    (_b, m) => m,
  );
  for (;;) {
    const m: Term = suspended
      ? await self.receive(whileSuspended)
      : timeout === undefined
        ? await self.receive()
        : await self.receive(undefined, { timeout, after: () => TIMEOUT }); // gen_server: handle_info(timeout, State)
    let next: CallResult<S> | Next<S> | undefined;
    try {
      if (isStop(m)) return await stop(m.elements[2]!);
      if (isSystem(m)) {
        // As gen_server after sys's system_continue: the same timeout starts over.
        const [, from, request] = m.elements as [Term, From, Term];
        const r = system(request, { name, pid: self.pid, state, suspended, wrapsState: aliasOf(from)?.ids.length === 5 });
        if (r.suspended !== undefined) suspended = r.suspended;
        reply(send, from, r.reply);
        if (r.terminate !== undefined) return await stop(r.terminate);
        continue;
      }
      const msg = isGen(m) ? parseGen(m) : undefined;
      if (msg?.kind === 'gen_call' && msg.from instanceof Tuple && msg.from.size === 2) {
        const r = await spec.handleCall(msg.request, msg.from, state);
        if ('reply' in r && r.reply !== undefined) reply(send, msg.from, r.reply);
        next = r;
      } else if (msg?.kind === 'gen_cast') {
        if (spec.handleCast) next = await spec.handleCast(msg.request, state);
      } else if (spec.handleInfo) next = await spec.handleInfo(m, state);
      else host.debug(`server ${self.pid.toString()} dropped ${format(m).slice(0, 120)}`);
      timeout = next === undefined || 'stop' in next ? undefined : timeoutOf(next.timeout);
    } catch (e) {
      if (e instanceof ProcessExit) throw e;
      // A callback that threw: terminate with the reason a crashed process gets, then end with it.
      const reason = reasonOf(e);
      host.debug(`server ${self.pid.toString()} crashed: ${format(reason)}`);
      await spec.terminate?.(reason, state);
      throw e;
    }
    if (next === undefined) continue;
    state = next.state;
    if ('stop' in next) await stop(next.stop);
  }
}

/** A result's `timeout`: undefined for none; a bad value is the callback's error, as a bad return is in gen_server. */
function timeoutOf(t: number | undefined): number | undefined {
  if (t === undefined || t === Infinity) return undefined;
  if (typeof t !== 'number' || !(t >= 0)) throw new TypeError(`server callback returned timeout ${String(t)}: expected milliseconds >= 0 or Infinity`);
  return t;
}

interface SystemView {
  readonly name: Atom;
  readonly pid: Pid;
  readonly state: unknown;
  readonly suspended: boolean;
  /** The caller's sys wants `{ok, State}` for get_state (OTP 26+). */
  readonly wrapsState: boolean;
}

interface SystemAnswer {
  readonly reply: Term;
  /** The new suspended flag, when the request changes it. */
  readonly suspended?: boolean;
  /** End the server with this reason once the reply is sent (sys:terminate). */
  readonly terminate?: Term;
}

const SYSTEM = atom('system');
const REPLACE_STATE = atom('replace_state');
const TERMINATE = atom('terminate');

/** sys's do_cmd for a gen_server, with the answers documented at the top of this file. */
function system(request: Term, view: SystemView): SystemAnswer {
  switch (request) {
    case atom('suspend'):
      return { reply: OK, suspended: true };
    case atom('resume'):
      return { reply: OK, suspended: false };
    case atom('get_state'):
      return { reply: view.wrapsState ? tuple(OK, stateTerm(view.state)) : stateTerm(view.state) };
    case atom('get_status'):
      return { reply: status(view) };
  }
  if (request instanceof Tuple && request.size === 2 && request.elements[0] === TERMINATE) return { reply: OK, terminate: request.elements[1]! };
  if (request instanceof Tuple && request.size === 2 && request.elements[0] === REPLACE_STATE) return { reply: tuple(ERROR, REPLACE_STATE_FAILED) };
  return { reply: tuple(ERROR, tuple(atom('unknown_system_msg'), request)) };
}

const REPLACE_STATE_FAILED = tuple(
  atom('callback_failed'),
  tuple(atom('gen_server'), atom('system_replace_state')),
  tuple(ERROR, tuple(atom('notsup'), 'a beamwire server cannot run an Erlang fun on its TypeScript state; change it with a call')),
);

/** sys:get_status's reply for a gen_server (gen_server:format_status/2's Misc, with no logged events). */
function status(view: SystemView): Term {
  const sysState = atom(view.suspended ? 'suspended' : 'running');
  const misc = [
    tuple(atom('header'), toCharlist(`Status for generic server ${view.name.name}`)),
    tuple(atom('data'), [tuple(toCharlist('Status'), sysState), tuple(toCharlist('Parent'), view.pid), tuple(toCharlist('Logged events'), [])]),
    tuple(atom('data'), [tuple(toCharlist('State'), stateTerm(view.state))]),
  ];
  return tuple(atom('status'), view.pid, tuple(atom('module'), atom('gen_server')), [[], sysState, view.pid, [], misc]);
}

/** The state as a term, or `{beamwire_unencodable, <<"EncodeError message">>}` when it has none. */
function stateTerm(state: unknown): Term {
  try {
    encode(state as Term);
    return state as Term;
  } catch (e) {
    return tuple(atom('beamwire_unencodable'), e instanceof Error ? e.message : String(e));
  }
}

const GEN_CALL = atom('$gen_call');
const GEN_CAST = atom('$gen_cast');
const isGen = (m: Term): boolean => m instanceof Tuple && ((m.size === 3 && m.elements[0] === GEN_CALL) || (m.size === 2 && m.elements[0] === GEN_CAST));
/** `{system, From, Request}` with a gen From `{Pid, Tag}`. */
const isSystem = (m: Term): m is Tuple =>
  m instanceof Tuple && m.size === 3 && m.elements[0] === SYSTEM && m.elements[1] instanceof Tuple && (m.elements[1] as Tuple).size === 2;
