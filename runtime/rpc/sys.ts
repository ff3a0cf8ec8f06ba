/**
 * sys's system messages as a gen_server answers them (sys:handle_system_msg
 * and gen_server's system_* callbacks): the table is at the top of server.ts.
 */
import { encode } from '../etf/codec.js';
import { atom, type Atom } from '../term/atom.js';
import { toCharlist } from '../term/convert.js';
import { tuple } from '../term/make.js';
import { Pid, Tuple, type Term } from '../term/values.js';

export interface SystemView {
  /** The registered name, or undefined for a server started without one. */
  readonly name: Atom | undefined;
  readonly pid: Pid;
  /** get_status's Parent: the process that started it linked, else the server itself. */
  readonly parent: Pid;
  readonly state: unknown;
  /** get_status's State: what formatStatus made of the state (gen_server:format_status/2 with Mod:format_status/1). */
  readonly status: () => unknown;
  readonly suspended: boolean;
  /** The caller's sys wants `{ok, State}` for get_state (OTP 26+). */
  readonly wrapsState: boolean;
}

export interface SystemAnswer {
  readonly reply: Term;
  /** The new suspended flag, when the request changes it. */
  readonly suspended?: boolean;
  /** End the server with this reason once the reply is sent (sys:terminate). */
  readonly terminate?: Term;
}

const OK = atom('ok');
const ERROR = atom('error');
const REPLACE_STATE = atom('replace_state');
const TERMINATE = atom('terminate');

/** sys's do_cmd for a gen_server. */
export function system(request: Term, view: SystemView): SystemAnswer {
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
    tuple(atom('header'), toCharlist(`Status for generic server ${view.name?.name ?? view.pid.toString()}`)),
    tuple(atom('data'), [tuple(toCharlist('Status'), sysState), tuple(toCharlist('Parent'), view.parent), tuple(toCharlist('Logged events'), [])]),
    tuple(atom('data'), [tuple(toCharlist('State'), stateTerm(view.status()))]),
  ];
  return tuple(atom('status'), view.pid, tuple(atom('module'), atom('gen_server')), [[], sysState, view.parent, [], misc]);
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
