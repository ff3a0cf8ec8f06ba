/**
 * Evaluates Erlang source on an `erl` node started by test/support/erl-node.ts,
 * through its `ctl` process, as that file's `evalIn` does. The benches load
 * beamwire from the sources or from a build (`--beamwire PATH`), so the
 * functions used here come in as a parameter: the module the bench measured.
 */
import type { Node, Term } from '../runtime/index.js';

/** What erlEval needs of the loaded beamwire module. */
export type ErlEvalBeamwire = Pick<typeof import('../runtime/index.js'), 'atom' | 'tuple' | 'format' | 'P' | 'on' | 'Tuple'>;

/**
 * Sends `{Pid, Ref, Src}` to `{ctl, target}` from a process on `via` and
 * returns the Value of the `{Ref, Value}` answer; throws if no answer comes
 * within `timeout` ms or the evaluation raised (`{caught, ...}`).
 */
export async function erlEval(bw: ErlEvalBeamwire, via: Node, target: string, src: string, timeout = 60_000): Promise<Term> {
  const { atom, tuple, format, P, on, Tuple } = bw;
  let value: Term = atom('no_reply');
  const p = via.spawn(async (self) => {
    const ref = self.makeRef();
    self.send(tuple(atom('ctl'), atom(target)) as never, tuple(self.pid, ref, src));
    value = (await self.receive([on(P.tuple(P.ref(ref), P.bind('v')), ({ v }) => v)], { timeout })) as Term;
  });
  const reason = await p.exited;
  if (reason !== atom('normal')) throw new Error(`erl(${src}) failed: ${format(reason)}`);
  if (value instanceof Tuple && value.at(0) === atom('caught')) throw new Error(`erl(${src}) raised ${format(value)}`);
  return value;
}
