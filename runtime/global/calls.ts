/**
 * gen_server's call, multi_call and reply as global's processes use them,
 * from a process of their own: a lock is held by the pid that asked for it,
 * so the locker and the registrar each call from their own pid (the node's
 * RPC client would call from its shared one).
 */
import { on, P, type ProcessContext } from '../process/index.js';
import { Atom } from '../term/atom.js';
import { tuple } from '../term/make.js';
import { ImproperList, Pid, Reference, Tuple, type Term } from '../term/values.js';
import { gen } from '../../generated/gen.js';

const DOWN = Atom.of('DOWN');
const ALIAS = Atom.of('alias');

/** gen_server:multi_call(Nodes, Name, Request): every node's reply, and the nodes whose server was not there (or went). */
export async function multiCall(self: ProcessContext, nodes: readonly Atom[], name: Atom, request: Term): Promise<{ replies: [Atom, Term][]; bad: Atom[] }> {
  const asked = nodes.map((node) => {
    const dest = new Tuple<[Atom, Atom]>([name, node]);
    const ref = self.monitor(dest);
    self.send(dest, gen.genCall(tuple(self.pid, ref), request));
    return { node, ref };
  });
  const replies: [Atom, Term][] = [];
  const bad: Atom[] = [];
  for (const { node, ref } of asked) {
    const answer = await self.receive([
      on(P.tuple(P.ref(ref), P.bind('reply')), ({ reply }) => ({ reply })),
      on(P.tuple(DOWN, P.ref(ref), P.any, P.any, P.any), () => undefined),
    ]);
    self.demonitor(ref, { flush: true });
    if (answer === undefined) bad.push(node);
    else replies.push([node, answer.reply]);
  }
  return { replies, bad };
}

/** gen_server:reply(From, Value): `From` is `{Pid, Tag}` (Tag `[alias | Ref]` from OTP 24+); false for anything else. */
export function genReply(self: ProcessContext, from: Term, value: Term): boolean {
  if (!(from instanceof Tuple) || from.size !== 2) return false;
  const [to, tag] = from.elements as [Term, Term];
  if (tag instanceof ImproperList && tag.elements.length === 1 && tag.elements[0] === ALIAS && tag.tail instanceof Reference) self.send(tag.tail, tuple(tag, value));
  else if (to instanceof Pid) self.send(to, tuple(tag, value));
  else return false;
  return true;
}

/** The caller's pid in a From `{Pid, Tag}`. */
export function callerOf(from: Term): Pid | undefined {
  return from instanceof Tuple && from.size === 2 && from.elements[0] instanceof Pid ? from.elements[0] : undefined;
}
