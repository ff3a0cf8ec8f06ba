/**
 * One latency probe: net_adm:ping's question, gen:call(net_kernel on the
 * peer, {is_auth, us}), timed from the send to the `yes`. Half the round trip
 * is the sample, as Chaski's ping takes it (chaski/node.py `_process_pong`:
 * `(now − source_timestamp) × 500` ms).
 */
import { performance } from 'node:perf_hooks';
import { on, P, type ProcessTable } from '../process/index.js';
import { atom, type Atom } from '../term/atom.js';
import { Tuple } from '../term/values.js';

const GEN_CALL = atom('$gen_call');
const NET_KERNEL = atom('net_kernel');
const IS_AUTH = atom('is_auth');
const YES = atom('yes');

/** Half the round trip of one is_auth call to `peer`, in ms; undefined when no `yes` came within `timeoutMs` (a DOWN, a timeout). */
export async function probe(table: ProcessTable, peer: string, timeoutMs: number): Promise<number | undefined> {
  let rtt: number | undefined;
  const proc = table.spawn(async (self) => {
    const dest = new Tuple<[Atom, Atom]>([NET_KERNEL, atom(peer)]);
    const mref = self.monitor(dest);
    const sent = performance.now();
    self.send(dest, new Tuple([GEN_CALL, new Tuple([self.pid, mref]), new Tuple([IS_AUTH, table.node.name])]));
    rtt = await self.receive(
      [on(P.tuple(P.ref(mref), YES), () => performance.now() - sent), on(P.tuple(atom('DOWN'), P.ref(mref), P.any, P.any, P.any), () => undefined)],
      { timeout: timeoutMs, after: () => undefined },
    );
    self.demonitor(mref, { flush: true });
  });
  await proc.exited;
  return rtt === undefined ? undefined : rtt / 2;
}
