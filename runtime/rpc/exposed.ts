/**
 * Erlang → TypeScript calls: modules of TypeScript functions that Erlang
 * reaches with erpc:call/cast, rpc:call (OTP 23+ sends it as erpc) and
 * spawn/4, all of which arrive as SPAWN_REQUEST. Each request runs in a new
 * process of ours, whose exit reason carries the result back in the DOWN the
 * caller's monitor gets, exactly as erpc:execute_call/4 does on an OTP node:
 *
 * | the function                          | the Erlang caller sees (erpc:call)                                        |
 * |---------------------------------------|---------------------------------------------------------------------------|
 * | returns `v` (`undefined` → `ok`)      | `v`                                                                        |
 * | throws `new ErlangThrow(t)`           | `throw(t)`                                                                 |
 * | throws `new ErlangExit(r)`            | `exit({exception, r})` (rpc:call: `{badrpc, {'EXIT', r}}`)                |
 * | throws `new ErlangError(r)`           | `error({exception, r, [{M, F, Arity, []}]})`                              |
 * | throws anything else (a JS `Error`)   | `error({exception, {beamwire_error, <<"Name: message">>}, [{M, F, Arity, []}]})` |
 * | is not exposed                        | `error({exception, undef, [{M, F, Args, []}]})`, OTP's own undef          |
 *
 * A value with no Erlang term (`null`, `NaN`) is an error too
 * (`{beamwire_error, <<"EncodeError: ...">>}`), caught before it reaches the
 * connection. The MFAs served:
 * - `{erpc, execute_call, 4}` with `[ResRef, M, F, A]`: the call above;
 * - `{erpc, execute_cast, 3}` with `[M, F, A]`: runs it, no result (a failure is only logged);
 * - any other `{M, F, Arity}` (spawn/4, spawn_link/4, spawn_monitor/4): runs the
 *   exposed `M:F(Args...)` as a process that ends `normal` on return, or with
 *   the reason OTP gives a crashed process (`{undef, Stack}`, `{Reason, Stack}`,
 *   `{{nocatch, Value}, Stack}`, or the exit reason).
 * So there is no `notsup`: every request gets a pid, and what is not exposed
 * fails the way OTP fails an undefined function. A malformed erpc argument
 * list gets SPAWN_REPLY `badarg`. Options honoured: `monitor` (flag 2) and
 * `link` (flag 1); the rest is ignored. The group leader is not used.
 */
import { erpc } from '../../generated/erpc.js';
import { encode } from '../etf/codec.js';
import { Atom, atom } from '../term/atom.js';
import { format } from '../term/format.js';
import { tuple } from '../term/make.js';
import type { Mfa } from '../term/shape.js';
import { Pid, Reference, type Term } from '../term/values.js';
import { ErlangError, ErlangExit, ErlangThrow, jsErrorReason } from './errors.js';
import type { RpcHost } from './host.js';

/** A function Erlang can call: Erlang terms in, a term (or a promise of one) out. */
export type ExposedFunction = (...args: Term[]) => Term | void | Promise<Term | void>;
/** A module's exposed functions by name; any arity (the arguments arrive as given). */
export type Implementation = Readonly<Record<string, ExposedFunction>>;

/** The modules a node exposes. */
export class ExposedModules {
  readonly #modules = new Map<Atom, Implementation>();

  /** Exposes (or replaces) `module`. */
  expose(module: Atom, implementation: Implementation): void {
    this.#modules.set(module, implementation);
  }

  /** Stops exposing `module`; false if it was not. */
  unexpose(module: Atom): boolean {
    return this.#modules.delete(module);
  }

  /** The function `module:fun`, if exposed (own properties only: `toString` and the like are never callable). */
  lookup(module: Atom, fun: Atom): ExposedFunction | undefined {
    const impl = this.#modules.get(module);
    if (impl === undefined || !Object.hasOwn(impl, fun.name)) return undefined;
    const f = impl[fun.name];
    return typeof f === 'function' ? f : undefined;
  }
}

/** An inbound SPAWN_REQUEST, as parsed from the control message. */
export interface SpawnRequest {
  readonly reqId: Reference;
  readonly from: Pid;
  readonly mfa: Mfa;
  readonly opts: readonly Term[];
}

/** How a call ended: Erlang's three classes, or a value. */
export type Result =
  | { readonly kind: 'return'; readonly value: Term }
  | { readonly kind: 'throw'; readonly value: Term }
  | { readonly kind: 'exit'; readonly reason: Term }
  | { readonly kind: 'error'; readonly reason: Term; readonly stack: Term };

const ERPC = atom('erpc');
const EXECUTE_CALL = atom('execute_call');
const EXECUTE_CAST = atom('execute_cast');
const UNDEF = atom('undef');
const OK = atom('ok');
const NORMAL = atom('normal');
const BADARG = atom('badarg');
const NOCATCH = atom('nocatch');

/** Calls `module:fun(...args)` among the exposed functions. */
export async function invoke(modules: ExposedModules, module: Atom, fun: Atom, args: Term[]): Promise<Result> {
  const fn = modules.lookup(module, fun);
  if (fn === undefined) return { kind: 'error', reason: UNDEF, stack: [tuple(module, fun, args, [])] };
  const stack = [tuple(module, fun, args.length, [])];
  try {
    const v = await fn(...args);
    return { kind: 'return', value: v === undefined ? OK : v };
  } catch (e) {
    if (e instanceof ErlangThrow) return { kind: 'throw', value: e.value };
    if (e instanceof ErlangExit) return { kind: 'exit', reason: e.reason };
    if (e instanceof ErlangError) return { kind: 'error', reason: e.reason, stack };
    // The typed stubs' argument checks (runtime/stubs: BadArgError, UndefError) mean
    // what Erlang's badarg and undef mean; the caller sees those, with the arguments, as OTP shows them.
    const code = (e as { code?: unknown } | null)?.code;
    if (code === 'BADARG') return { kind: 'error', reason: atom('badarg'), stack: [tuple(module, fun, args, [])] };
    if (code === 'UNDEF') return { kind: 'error', reason: UNDEF, stack: [tuple(module, fun, args, [])] };
    return { kind: 'error', reason: jsErrorReason(e), stack };
  }
}

/**
 * The process one SPAWN_REQUEST asks for, spawned but not yet running: its
 * pid, or `badarg` for a malformed erpc request. The node's door sets up the
 * link and monitor the request asks for and answers with the SPAWN_REPLY.
 */
export function serveSpawnRequest(host: RpcHost, modules: ExposedModules, req: SpawnRequest, args: Term[]): Pid | Atom {
  const run = runnerFor(host, modules, req.mfa, args);
  if (run === undefined) return BADARG;
  // The result is the exit reason (that is how erpc returns it).
  return host.table.spawnTask(run).pid;
}

/** What the spawned process runs: resolves to its exit reason. Undefined for a malformed erpc request. */
function runnerFor(host: RpcHost, modules: ExposedModules, mfa: Mfa, args: Term[]): (() => Promise<Term>) | undefined {
  const what = (m: Atom, f: Atom, a: Term[]): string => `${m.name}:${f.name}/${a.length}`;
  if (mfa.module === ERPC && mfa.function === EXECUTE_CALL && mfa.arity === 4) {
    const [resRef, m, f, a] = args;
    if (!(resRef instanceof Reference) || !(m instanceof Atom) || !(f instanceof Atom) || !Array.isArray(a)) return undefined;
    return async () => {
      const r = await invoke(modules, m, f, a);
      if (r.kind === 'error' && r.reason !== UNDEF) host.debug(`erpc ${what(m, f, a)} raised: ${describe(r.reason)}`);
      return encodable(erpcReason(resRef, r), () => erpcReason(resRef, encodeFailure(m, f, a)));
    };
  }
  if (mfa.module === ERPC && mfa.function === EXECUTE_CAST && mfa.arity === 3) {
    const [m, f, a] = args;
    if (!(m instanceof Atom) || !(f instanceof Atom) || !Array.isArray(a)) return undefined;
    return async () => {
      const r = await invoke(modules, m, f, a);
      if (r.kind !== 'return') host.debug(`erpc:cast ${what(m, f, a)} failed: ${r.kind} ${describe(r.kind === 'throw' ? r.value : r.reason)}`);
      return NORMAL;
    };
  }
  return async () => {
    const r = await invoke(modules, mfa.module, mfa.function, args);
    return encodable(crashReason(r), () => crashReason(encodeFailure(mfa.module, mfa.function, args)));
  };
}

/** The exit reason of erpc:execute_call/4: `{ResRef, Class, ...}`. */
function erpcReason(resRef: Reference, r: Result): Term {
  switch (r.kind) {
    case 'return':
      return erpc.return_(resRef, r.value);
    case 'throw':
      return erpc.throw_(resRef, r.value);
    case 'exit':
      return erpc.exit(resRef, r.reason);
    case 'error':
      return erpc.error(resRef, r.reason, r.stack);
  }
}

/** The exit reason OTP gives a spawned process that ended this way. */
function crashReason(r: Result): Term {
  switch (r.kind) {
    case 'return':
      return NORMAL;
    case 'throw':
      return tuple(tuple(NOCATCH, r.value), []);
    case 'exit':
      return r.reason;
    case 'error':
      return tuple(r.reason, r.stack);
  }
}

/** `reason` if it has an Erlang term (so it can travel in the DOWN), else the fallback's. */
function encodable(reason: Term, fallback: () => Term): Term {
  try {
    encode(reason);
    return reason;
  } catch {
    return fallback();
  }
}

function encodeFailure(m: Atom, f: Atom, a: Term[]): Result {
  return { kind: 'error', reason: tuple(atom('beamwire_error'), `EncodeError: ${m.name}:${f.name}/${a.length} returned a value with no Erlang term`), stack: [tuple(m, f, a.length, [])] };
}

function describe(t: Term): string {
  try {
    return format(t).slice(0, 200);
  } catch {
    return '(a value with no Erlang term)';
  }
}
