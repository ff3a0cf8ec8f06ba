/**
 * node.exposeObject: the object is reachable by proxies (through the
 * node's endpoint), and it is also a registered process that Erlang and
 * Elixir call as a gen_server:
 *
 * ```erlang
 * {ok, 3} = gen_server:call({calc, 'svc@host'}, {call, [add], [1, 2]}).
 * {ok, <<"1.2">>} = gen_server:call({calc, 'svc@host'}, {get, [version]}).
 * {error, #{code := <<"NOT_ALLOWED">>}} = gen_server:call({calc, 'svc@host'}, {call, [secret], []}).
 * ```
 *
 * Path is a list of atoms or binaries; arguments and results are terms as
 * the values mapping gives them (runtime/router/README.md). An error is
 * `{error, #{name, message, code?}}` with binary values. What only crosses
 * by reference (a function, a class instance) is refused to Erlang with
 * code UNSUPPORTED_VALUE: references are for proxies.
 */
import type { Node } from '../node/node.js';
import { valueFromTerm, valueToTerm } from '../router/index.js';
import { atom } from '../term/atom.js';
import { tuple } from '../term/make.js';
import { Tuple, type Pid, type Term } from '../term/values.js';
import type { Endpoint } from './endpoint.js';
import { readPath } from './messages.js';
import { walk } from './policy.js';

const GEN_CALL = atom('$gen_call');
const CALL = atom('call');
const GET = atom('get');
const OK = atom('ok');
const ERROR = atom('error');

export interface ExposeOptions {
  /** Path patterns that are reachable (`'add'`, `'stats.mean'`, `'users.*'`, `'**'`); default: own and class-defined members. */
  readonly allow?: readonly string[];
}

/** What exposeObject gives: `unexpose()` (or dispose) takes the object and its name away. */
export interface ExposedObject extends Disposable {
  readonly name: string;
  /** The registered process that answers Erlang. */
  readonly pid: Pid;
  unexpose(): void;
}

export function exposeObject(node: Node, ep: Endpoint, name: string, value: object, options: ExposeOptions & { only?: string } = {}): ExposedObject {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) throw new TypeError(`exposeObject(${name}): ${String(value)} is not an object`);
  ep.expose(name, value, options);
  let proc;
  try {
    proc = node.spawnHandler(() => (m) => void answer(node, ep, name, m));
    node.register(name, proc.pid);
  } catch (e) {
    ep.unexpose(name);
    if (proc !== undefined) node.exit(proc.pid, atom('kill'));
    throw e;
  }
  const pid = proc.pid;
  let open = true;
  const unexpose = (): void => {
    if (!open) return;
    open = false;
    ep.unexpose(name);
    if (!node.isStopped) node.exit(pid, atom('kill'));
  };
  return { name, pid, unexpose, [Symbol.dispose]: unexpose };
}

async function answer(node: Node, ep: Endpoint, name: string, m: Term): Promise<void> {
  if (!(m instanceof Tuple) || m.elements[0] !== GEN_CALL || m.elements.length !== 3) return;
  const from = m.elements[1]!;
  let reply: Term;
  try {
    reply = tuple(OK, valueToTerm(await evaluate(node, ep, name, m.elements[2]!), 'result'));
  } catch (e) {
    reply = tuple(ERROR, errorTerm(e));
  }
  try {
    node.reply(from as Tuple, reply);
  } catch {
    // A From that is not {Pid, Tag}: nobody to answer.
  }
}

async function evaluate(node: Node, ep: Endpoint, name: string, req: Term): Promise<unknown> {
  const where = `${name} on ${node.name}`;
  const e = ep.exposed(name);
  if (e === undefined || e.only !== undefined) throw Object.assign(new Error(`nothing is exposed as ${name} for Erlang`), { name: 'CallError', code: 'NO_SUCH_NAME' });
  const kind = req instanceof Tuple ? req.elements[0] : undefined;
  const path = req instanceof Tuple ? readPath(req.elements[1]) : undefined;
  const args = req instanceof Tuple && kind === CALL ? req.elements[2] : [];
  if (path === undefined || !(kind === CALL || kind === GET) || !Array.isArray(args) || (req as Tuple).elements.length !== (kind === CALL ? 3 : 2)) {
    throw Object.assign(new Error('expected {call, Path, Args} or {get, Path}, Path a list of atoms or binaries'), { name: 'CallError', code: 'BAD_REQUEST' });
  }
  const { value, holder } = walk(e.value, path, e.policy, where);
  if (kind === GET) return value;
  if (typeof value !== 'function') throw new TypeError(`${path.join('.')} on ${where} is not a function`);
  return await (Reflect.apply(value, holder, args.map((a) => valueFromTerm(a))) as unknown);
}

function errorTerm(e: unknown): Term {
  const err = e instanceof Error ? e : new Error(String(e));
  const m = new Map<Term, Term>([
    [atom('name'), err.name],
    [atom('message'), err.message],
  ]);
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') m.set(atom('code'), code);
  return m;
}

