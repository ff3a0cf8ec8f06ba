/**
 * Name clashes at a connect (global.erl exchange_names/4 and resolve_it/4).
 * Two partitions meet and each sends its names; where both hold a name with
 * different pids, the node with the smaller name asks the resolve function
 * of its own entry, on the node of its own pid, which pid keeps the name.
 * OTP's three resolve functions run here natively; any other fun is Erlang
 * code, which a beamwire node hands to an Erlang node to run.
 */
import { Atom } from '../term/atom.js';
import { format } from '../term/format.js';
import { tuple } from '../term/make.js';
import { ExportFun, Fun, Pid, Tuple, type Term } from '../term/values.js';
import type { Registry } from './registry.js';

const GLOBAL = Atom.of('global');
const INSERT = Atom.of('insert');
const DELETE = Atom.of('delete');
const NONE = Atom.of('none');
const KILL = Atom.of('kill');
const CONFLICT = Atom.of('global_name_conflict');
const EXIT = Atom.of('EXIT');

/** OTP's resolve functions by name, as `fun global:F/3`: what a name registered from TypeScript carries. */
export type ResolveMethod = 'random_exit_name' | 'random_notify_name' | 'notify_all_name';
export const resolveFun = (m: ResolveMethod): ExportFun => new ExportFun(GLOBAL, Atom.of(m), 3);

/** What resolve_it needs: signals out, a way to run Erlang code elsewhere, a log. */
export interface ResolveSide {
  readonly node: Atom;
  exit(pid: Pid, reason: Term): void;
  send(pid: Pid, message: Term): void;
  /** rpc:call(Node, global, resolve_it, Args); rejects when the call fails. */
  rpc(node: Atom, args: Term[]): Promise<Term>;
  info(line: string): void;
}

/** global:minmax/2: the pid on the node with the smaller name first. */
function minmax(p1: Pid, p2: Pid): [Pid, Pid] {
  return p1.node.name < p2.node.name ? [p1, p2] : [p2, p1];
}

/** Which of OTP's resolve functions `method` is, if it is one of them written as `fun global:F/3`. */
function nativeMethod(method: Term): ResolveMethod | undefined {
  if (!(method instanceof ExportFun) || method.module !== GLOBAL || method.arity !== 3) return undefined;
  const n = method.name.name;
  return n === 'random_exit_name' || n === 'random_notify_name' || n === 'notify_all_name' ? n : undefined;
}

/**
 * global:resolve_it(Method, Name, Pid1, Pid2) on this node: `catch Method(...)`.
 * OTP's three functions run here; another fun runs on the node that made it
 * (a closure's pid), else on the node of Pid1 or Pid2; a failure there is
 * returned as `{'EXIT', Reason}`, as catch gives it.
 */
export async function resolveIt(side: ResolveSide, method: Term, name: Term, pid1: Term, pid2: Term): Promise<Term> {
  if (!(pid1 instanceof Pid) || !(pid2 instanceof Pid)) return tuple(EXIT, Atom.of('badarg'));
  const native = nativeMethod(method);
  const [min, max] = minmax(pid1, pid2);
  if (native === 'random_exit_name') {
    side.info(`global: Name conflict terminating ${format(tuple(name, max))}`);
    side.exit(max, KILL);
    return min;
  }
  if (native === 'random_notify_name') {
    side.send(max, tuple(CONFLICT, name));
    return min;
  }
  if (native === 'notify_all_name') {
    side.send(pid1, tuple(CONFLICT, name, pid2));
    side.send(pid2, tuple(CONFLICT, name, pid1));
    return NONE;
  }
  const candidates = [method instanceof Fun ? method.pid.node : undefined, pid1.node, pid2.node];
  const elsewhere = candidates.find((n): n is Atom => n !== undefined && n !== side.node);
  if (elsewhere === undefined) return tuple(EXIT, Atom.of('badfun'));
  side.info(`global: resolve_it for ${format(name)}: ${format(method)} runs on ${elsewhere.name}`);
  try {
    return await side.rpc(elsewhere, [method, name, pid1, pid2]);
  } catch (e) {
    return tuple(EXIT, tuple(Atom.of('badrpc'), (e as Error).message));
  }
}

/** One entry of an exchanged name list, `{Name, Pid, Method}`, or undefined for anything else. */
export function nameTriple(t: Term): [Term, Pid, Term] | undefined {
  if (t instanceof Tuple && t.size === 3 && t.elements[1] instanceof Pid) return [t.elements[0]!, t.elements[1], t.elements[2]!];
  return undefined;
}

/**
 * exchange_names/4: from the peer's names, the ops this node applies (`ops`)
 * and the ops it sends back for the peer (`resolved`), each
 * `{insert, {Name, Pid, Method}}` or `{delete, Name}`.
 */
export async function exchangeNames(
  side: ResolveSide,
  registry: Registry,
  peer: Atom,
  theirs: readonly Term[],
): Promise<{ ops: Term[]; resolved: Term[] }> {
  const ops: Term[] = [];
  const resolved: Term[] = [];
  for (const t of theirs) {
    const triple = nameTriple(t);
    if (triple === undefined) {
      side.info(`global: dropped a malformed name from ${peer.name}: ${format(t).slice(0, 120)}`);
      continue;
    }
    const [name, pid, method] = triple;
    const mine = registry.lookup(name);
    if (mine === undefined) {
      ops.push(tuple(INSERT, tuple(name, pid, method)));
      continue;
    }
    if (samePid(mine.pid, pid)) continue;
    // The node with the smaller name resolves; the other waits for its `resolved`.
    if (!(side.node.name < peer.name)) continue;
    let winner: Term;
    if (mine.pid.node === side.node) winner = await resolveIt(side, mine.method, name, pid, mine.pid);
    else winner = await side.rpc(mine.pid.node, [mine.method, name, pid, mine.pid]).catch((e: unknown) => tuple(Atom.of('badrpc'), (e as Error).message));
    if (winner instanceof Pid && samePid(winner, pid)) ops.push(tuple(INSERT, tuple(name, pid, method)));
    else if (winner instanceof Pid && samePid(winner, mine.pid)) resolved.push(tuple(INSERT, tuple(name, mine.pid, mine.method)));
    else if (winner instanceof Tuple && winner.size === 2 && winner.elements[0] === Atom.of('badrpc')) {
      side.info(`global: badrpc ${format(winner.elements[1]!)} received when conflicting name ${format(name)} was found`);
      ops.push(tuple(INSERT, tuple(name, pid, method)));
    } else {
      if (winner !== NONE) side.info(`global: Resolve method ${format(mine.method)} for conflicting name ${format(name)} returned ${format(winner)}`);
      ops.push(tuple(DELETE, name));
      resolved.push(tuple(DELETE, name));
    }
  }
  return { ops, resolved };
}

const samePid = (a: Pid, b: Pid): boolean => a.node === b.node && a.id === b.id && a.serial === b.serial && a.creation === b.creation;
