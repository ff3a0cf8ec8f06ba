/**
 * Inbound control messages to the process table (RemoteInbound): the one
 * place that maps each operation of schemas/control.terms.yaml to what it
 * does. SPAWN_REQUEST goes to the RPC layer (runtime/rpc/exposed.ts), which
 * answers each with exactly one SPAWN_REPLY on the same connection, as OTP
 * requires. SPAWN_REPLY reaches the requesting process as the message
 * `{spawn_reply, ReqId, ok, Pid}` / `{spawn_reply, ReqId, error, Reason}`
 * (as OTP delivers it); a reply nobody waits for any more (the request
 * timed out) is undone on the peer: DEMONITOR_P for the monitor it set up,
 * an exit `abandoned` for the link, as erts does for an abandoned request.
 */
import { control, type Control } from '../../generated/control.js';
import type { Connection } from '../connection/connection.js';
import type { RemoteInbound } from '../process/remote.js';
import type { SpawnRequest } from '../rpc/exposed.js';
import { atom, type Atom } from '../term/atom.js';
import { Pid, type Term } from '../term/values.js';

export type DebugLog = (line: string) => void;

/** Serves a SPAWN_REQUEST; must call `reply` exactly once. */
export type SpawnHandler = (request: SpawnRequest, args: Term[], reply: (flags: number, result: Pid | Atom) => void) => void;

const SPAWN_LINK = 1;
const SPAWN_MONITOR = 2;

export function dispatch(inbound: RemoteInbound, c: Connection, ctl: Control, payload: Term | undefined, debug: DebugLog, spawn: SpawnHandler): void {
  // The connection has checked that payload is present exactly when the operation carries one.
  const reason = (r: Term | undefined): Term => r!;
  switch (ctl.kind) {
    case 'send':
    case 'send_tt':
    case 'send_sender':
    case 'send_sender_tt':
      if (!inbound.deliverSend(ctl.to, payload!)) debug(`dropped a message from ${c.peer} to ${ctl.to}: no such process`);
      return;
    case 'reg_send':
    case 'reg_send_tt':
      if (!inbound.deliverSend(ctl.toName, payload!)) debug(`dropped a message from ${ctl.from} to unknown name ${ctl.toName.name}`);
      return;
    case 'alias_send':
    case 'alias_send_tt':
      if (!inbound.deliverSend(ctl.alias, payload!)) debug(`dropped a message from ${ctl.from} to an inactive alias`);
      return;
    case 'link':
      return inbound.deliverLink(ctl.from, ctl.to);
    case 'unlink_id':
      return inbound.deliverUnlink(BigInt(ctl.id), ctl.from, ctl.to);
    case 'unlink_id_ack':
      return inbound.deliverUnlinkAck(BigInt(ctl.id), ctl.from, ctl.to);
    case 'exit':
    case 'exit_tt':
      return inbound.deliverExit(ctl.from, ctl.to, ctl.reason);
    case 'payload_exit':
    case 'payload_exit_tt':
      return inbound.deliverExit(ctl.from, ctl.to, reason(payload));
    case 'exit2':
    case 'exit2_tt':
      return inbound.deliverExit2(ctl.from, ctl.to, ctl.reason);
    case 'payload_exit2':
    case 'payload_exit2_tt':
      return inbound.deliverExit2(ctl.from, ctl.to, reason(payload));
    case 'monitor_p':
      return inbound.deliverMonitor(ctl.from, ctl.toProc, ctl.ref);
    case 'demonitor_p':
      return inbound.deliverDemonitor(ctl.from, ctl.toProc, ctl.ref);
    case 'monitor_p_exit':
      return inbound.deliverDown(ctl.ref, ctl.fromProc, ctl.to, ctl.reason);
    case 'payload_monitor_p_exit':
      return inbound.deliverDown(ctl.ref, ctl.fromProc, ctl.to, reason(payload));
    case 'spawn_request':
    case 'spawn_request_tt': {
      let answered = false;
      const reply = (flags: number, result: Pid | Atom): void => {
        if (answered) throw new Error(`SPAWN_REQUEST from ${ctl.from}: answered twice`);
        answered = true;
        c.send(control.spawnReply(ctl.reqId, ctl.from, flags, result));
      };
      const args = payload as Term;
      if (!Array.isArray(args)) return reply(0, atom('badarg')); // the argument list must be a proper list
      try {
        spawn(ctl, args, reply);
      } catch (e) {
        debug(`SPAWN_REQUEST ${ctl.mfa.module.name}:${ctl.mfa.function.name}/${ctl.mfa.arity} from ${ctl.from} failed: ${(e as Error).message}`);
        if (!answered) reply(0, atom('system_limit'));
      }
      return;
    }
    case 'spawn_reply':
    case 'spawn_reply_tt': {
      const flags = Number(ctl.flags);
      if (inbound.deliverSpawnReply(ctl.reqId, ctl.to, flags, ctl.result)) return;
      if (!(ctl.result instanceof Pid) || (flags & (SPAWN_MONITOR | SPAWN_LINK)) === 0) return; // e.g. erpc:cast's reply
      debug(`SPAWN_REPLY from ${c.peer} for an abandoned request: undoing its monitor and link`);
      if (flags & SPAWN_MONITOR) c.send(control.demonitorP(ctl.to, ctl.result, ctl.reqId));
      if (flags & SPAWN_LINK) c.send(control.exit(ctl.to, ctl.result, atom('abandoned')));
      return;
    }
    case 'group_leader':
    case 'unlink':
    case 'node_link':
      debug(`ignored ${ctl.kind} from ${c.peer}`);
      return;
  }
}
