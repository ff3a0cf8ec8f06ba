/**
 * `rex`, the legacy rpc server, for the callers that still use it: erl_call
 * and other erl_interface (ei_rpc) clients, rpc:block_call, and OTP's
 * features_request on connect. It serves the exposed modules:
 *
 * - `{Pid, {call, M, F, A, GL}}` → `Pid ! {rex, Result}` (ei_rpc);
 * - `{'$gen_call', From, {call | block_call, M, F, A, GL}}` → gen reply `Result`;
 * - `{'$gen_cast', {cast, M, F, A, GL}}` → runs it;
 * - `{Pid, features_request}` → `Pid ! {features_reply, Node, [erpc]}`.
 *
 * Result is rpc:call's: the value (a throw's value too), or `{badrpc,
 * {'EXIT', Reason}}` for an exit and `{badrpc, {'EXIT', {Reason, Stack}}}`
 * for an error (undef included). Calls run concurrently; rex never waits.
 */
import type { ProcessTable } from '../process/index.js';
import { Atom, atom } from '../term/atom.js';
import { format } from '../term/format.js';
import { tuple } from '../term/make.js';
import { Pid, Tuple, type Term } from '../term/values.js';
import { invoke, type ExposedModules, type Result } from './exposed.js';
import { reply } from './server.js';

const CALL = atom('call');
const BLOCK_CALL = atom('block_call');
const CAST = atom('cast');
const REX = atom('rex');
const GEN_CALL = atom('$gen_call');
const GEN_CAST = atom('$gen_cast');
const FEATURES_REQUEST = atom('features_request');
const BADRPC = atom('badrpc');
const EXIT = atom('EXIT');

/** rpc:call's result for how the call ended. */
export function rpcResult(r: Result): Term {
  switch (r.kind) {
    case 'return':
      return r.value;
    case 'throw':
      return r.value;
    case 'exit':
      return tuple(BADRPC, tuple(EXIT, r.reason));
    case 'error':
      return tuple(BADRPC, tuple(EXIT, tuple(r.reason, r.stack)));
  }
}

/** `{call, M, F, A, GL}` (or block_call / cast) as [M, F, A], or undefined. */
function mfa(req: Term, kinds: readonly Atom[]): [Atom, Atom, Term[]] | undefined {
  if (!(req instanceof Tuple) || req.size !== 5 || !kinds.includes(req.elements[0] as Atom)) return undefined;
  const [, m, f, a] = req.elements;
  return m instanceof Atom && f instanceof Atom && Array.isArray(a) ? [m, f, a] : undefined;
}

/** Starts and registers `rex` on `table`. */
export function startRex(table: ProcessTable, modules: ExposedModules, debug: (line: string) => void): void {
  const rex = table.spawn(async (self) => {
    const run = (call: [Atom, Atom, Term[]], answer: (result: Term) => void): void => {
      const failed = (e: unknown): void => debug(`rex ${call[0].name}:${call[1].name}: ${(e as Error).message}`);
      invoke(modules, ...call).then((r) => {
        try {
          answer(rpcResult(r)); // throws ProcessExit if rex has ended meanwhile
        } catch (e) {
          failed(e);
        }
      }, failed);
    };
    for (;;) {
      const m = (await self.receive()) as Term;
      if (!(m instanceof Tuple)) {
        debug(`rex ignored ${format(m).slice(0, 120)}`);
        continue;
      }
      const [tag, a, b] = m.elements;
      let c: [Atom, Atom, Term[]] | undefined;
      if (m.size === 2 && tag instanceof Pid && a === FEATURES_REQUEST) self.send(tag, tuple(atom('features_reply'), table.node.name, [atom('erpc')]));
      else if (m.size === 2 && tag instanceof Pid && (c = mfa(a!, [CALL, BLOCK_CALL])))
        run(c, (r) => self.send(tag, tuple(REX, r)));
      else if (m.size === 3 && tag === GEN_CALL && (c = mfa(b!, [CALL, BLOCK_CALL]))) {
        const from = a!;
        run(c, (r) => reply((to, msg) => self.send(to, msg), from, r));
      } else if (m.size === 2 && tag === GEN_CAST && (c = mfa(a!, [CAST]))) run(c, () => {});
      else debug(`rex ignored ${format(m).slice(0, 120)}`);
    }
  });
  table.register(REX, rex.pid);
}
