/**
 * The processes OTP expects on any node it talks to: `net_kernel` answering
 * is_auth (so net_adm:ping from Erlang gets pong), and `user`, a minimal io
 * server for group-leader traffic (io:format(user, ...) on our node prints
 * here). Messages to names nobody registered are dropped by the dispatcher,
 * with a debug line.
 */
import { on, P, type ProcessTable, type ProcessContext } from '../process/index.js';
import { reply } from '../rpc/index.js';
import { atom, type Atom } from '../term/atom.js';
import { Pid, Tuple, type Term } from '../term/values.js';
import { format } from '../term/format.js';

const GEN_CALL = atom('$gen_call');

/** gen:reply/2 from a service; a From that is not `{Pid, Tag}` gets a debug line rather than ending the service. */
function genReply(self: ProcessContext, from: Term, value: Term, debug: (line: string) => void): void {
  try {
    reply((to, m) => self.send(to, m), from, value);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    debug(`net_kernel: ${e.message}`);
  }
}

/** A `{'$gen_call', From, Request}` as [From, Request], or undefined (any other message; parseGen would throw). */
function genCall(m: Term): [Term, Term] | undefined {
  if (m instanceof Tuple && m.size === 3 && m.elements[0] === GEN_CALL) return [m.elements[1]!, m.elements[2]!];
  return undefined;
}

export function startServices(table: ProcessTable, debug: (line: string) => void): void {
  const netKernel = table.spawn(async (self) => {
    for (;;) {
      const m = (await self.receive()) as Term;
      const call = genCall(m);
      if (call && call[1] instanceof Tuple && call[1].elements[0] === atom('is_auth')) genReply(self, call[0], atom('yes'), debug);
      else if (call) genReply(self, call[0], atom('ignored'), debug);
      else debug(`net_kernel ignored ${format(m).slice(0, 120)}`);
    }
  });
  table.register(atom('net_kernel'), netKernel.pid);

  const user = table.spawn(async (self) => {
    for (;;) {
      const m = (await self.receive()) as Term;
      // {io_request, From, ReplyAs, Request}: answer every request, print put_chars.
      if (m instanceof Tuple && m.size === 4 && m.elements[0] === atom('io_request') && m.elements[1] instanceof Pid) {
        const req = m.elements[3]!;
        if (req instanceof Tuple && req.elements[0] === atom('put_chars')) {
          const chars = req.elements[req.size - 1]!;
          process.stdout.write(chars instanceof Uint8Array ? Buffer.from(chars).toString('utf8') : Array.isArray(chars) ? String.fromCodePoint(...(chars.flat(Infinity as 1) as number[])) : format(chars));
          self.send(m.elements[1], new Tuple([atom('io_reply'), m.elements[2]!, atom('ok')]));
        } else self.send(m.elements[1], new Tuple([atom('io_reply'), m.elements[2]!, new Tuple([atom('error'), atom('enotsup')])]));
      } else debug(`user ignored ${format(m).slice(0, 120)}`);
    }
  });
  table.register(atom('user'), user.pid);
}

/** net_adm:ping/1's question, from a process of `table`: gen:call(net_kernel on `peer`, {is_auth, us}); 'pong' on yes, 'pang' on DOWN or timeout. */
export async function isAuth(table: ProcessTable, peer: string, timeoutMs: number): Promise<'pong' | 'pang'> {
  let answer: 'pong' | 'pang' = 'pang';
  const proc = table.spawn(async (self) => {
    const dest = new Tuple<[Atom, Atom]>([atom('net_kernel'), atom(peer)]);
    const mref = self.monitor(dest);
    self.send(dest, new Tuple([GEN_CALL, new Tuple([self.pid, mref]), new Tuple([atom('is_auth'), table.node.name])]));
    answer = await self.receive(
      [on(P.tuple(P.ref(mref), atom('yes')), () => 'pong' as const), on(P.tuple(atom('DOWN'), P.ref(mref), P.any, P.any, P.any), () => 'pang' as const)],
      { timeout: timeoutMs, after: () => 'pang' as const },
    );
    self.demonitor(mref, { flush: true });
  });
  await proc.exited;
  return answer;
}
