/**
 * A gen_server-compatible server in TypeScript: a registered process that
 * answers gen_server:call/2,3 (`{'$gen_call', {Pid, Tag}, Request}`),
 * gen_server:cast/2 (`{'$gen_cast', Request}`) and plain messages, from
 * Erlang, Elixir (`GenServer.call({name, node}, req)`) or TypeScript
 * (`node.call`). Replies go to the caller's alias when the tag is
 * `[alias | Mref]` (ALIAS_SEND, OTP 24+), else to its pid, as gen:reply/2.
 * Callbacks return objects rather than OTP's tuples:
 *
 * ```ts
 * node.serve<number>('counter', {
 *   init: () => 0,
 *   handleCall: (req, _from, n) => ({ reply: n + 1, state: n + 1 }),
 *   handleCast: (req, n) => ({ state: 0 }),
 * });
 * ```
 */
import { parseGen } from '../../generated/gen.js';
import type { ProcessContext } from '../process/context.js';
import { ProcessExit } from '../process/errors.js';
import { reasonOf } from '../process/table.js';
import { Atom, atom } from '../term/atom.js';
import { equals } from '../term/compare.js';
import { format } from '../term/format.js';
import { tuple } from '../term/make.js';
import { ImproperList, Pid, Reference, Tuple, type Term } from '../term/values.js';
import type { RpcHost } from './host.js';

/** Who called: gen_server's `From`, `{CallerPid, Tag}`. Pass it to `reply` to answer later. */
export type From = Tuple;

/** What handleCall returns: a reply now, no reply yet (answer later with `node.reply(from, v)`), or stop. */
export type CallResult<S> =
  | { readonly reply: Term; readonly state: S }
  | { readonly noreply: true; readonly state: S }
  | { readonly stop: Term; readonly reply?: Term; readonly state: S };

/** What handleCast and handleInfo return: the next state, or stop with a reason. */
export type Next<S> = { readonly state: S } | { readonly stop: Term; readonly state: S };

type Maybe<T> = T | Promise<T>;

export interface ServerSpec<S> {
  /** The first state (default: undefined). Runs before the name is registered, as gen_server:start does. */
  init?(): Maybe<S>;
  /** gen_server:call: reply now (`{ reply, state }`), later (`{ noreply: true, state }` then `node.reply(from, v)`), or stop. */
  handleCall(request: Term, from: From, state: S): Maybe<CallResult<S>>;
  /** gen_server:cast; without it casts are dropped. */
  handleCast?(request: Term, state: S): Maybe<Next<S>>;
  /** Any other message; without it they are dropped (with a debug line). */
  handleInfo?(message: Term, state: S): Maybe<Next<S>>;
  /** Called when the server stops (a `stop` result, `server.stop()`, or a callback that threw) with the reason. */
  terminate?(reason: Term, state: S): Maybe<void>;
}

/** A running server. */
export interface Server {
  readonly pid: Pid;
  readonly name: Atom;
  /** Resolves with the exit reason once the server has stopped. */
  readonly exited: Promise<Term>;
  /** Stops it (terminate runs) and waits until it has; default reason `normal`. */
  stop(reason?: Term): Promise<void>;
}

const ALIAS = atom('alias');
const NORMAL = atom('normal');
const STOP = atom('$beamwire_stop');

/** gen:reply/2: `{Tag, Reply}` to the caller's alias for an `[alias | Mref]` tag, else to its pid. */
export function reply(send: (to: Pid | Reference, message: Term) => void, from: Term, value: Term): void {
  if (!(from instanceof Tuple) || from.size !== 2) throw new TypeError(`reply: ${format(from)} is not a gen_server From {Pid, Tag}`);
  const [to, tag] = from.elements as [Term, Term];
  if (tag instanceof ImproperList && tag.elements.length === 1 && tag.elements[0] === ALIAS && tag.tail instanceof Reference) send(tag.tail, tuple(tag, value));
  else if (to instanceof Pid) send(to, tuple(tag, value));
  else throw new TypeError(`reply: ${format(from)} is not a gen_server From {Pid, Tag}`);
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
    await loop(host, self, spec, state, stopRef);
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

async function loop<S>(host: RpcHost, self: ProcessContext, spec: ServerSpec<S>, initial: S, stopRef: Reference): Promise<void> {
  let state = initial;
  const send = (to: Pid | Reference, m: Term): void => self.send(to, m);
  const stop = async (reason: Term): Promise<never> => {
    await spec.terminate?.(reason, state);
    return self.exit(reason);
  };
  for (;;) {
    const m = (await self.receive()) as Term;
    let next: CallResult<S> | Next<S> | undefined;
    try {
      if (m instanceof Tuple && m.size === 3 && m.elements[0] === STOP && equals(m.elements[1]!, stopRef)) return await stop(m.elements[2]!);
      const msg = isGen(m) ? parseGen(m) : undefined;
      if (msg?.kind === 'gen_call' && msg.from instanceof Tuple && msg.from.size === 2) {
        const r = await spec.handleCall(msg.request, msg.from, state);
        if ('reply' in r && r.reply !== undefined) reply(send, msg.from, r.reply);
        next = r;
      } else if (msg?.kind === 'gen_cast') {
        if (spec.handleCast) next = await spec.handleCast(msg.request, state);
      } else if (spec.handleInfo) next = await spec.handleInfo(m, state);
      else host.debug(`server ${self.pid.toString()} dropped ${format(m).slice(0, 120)}`);
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

const GEN_CALL = atom('$gen_call');
const GEN_CAST = atom('$gen_cast');
const isGen = (m: Term): boolean => m instanceof Tuple && ((m.size === 3 && m.elements[0] === GEN_CALL) || (m.size === 2 && m.elements[0] === GEN_CAST));
