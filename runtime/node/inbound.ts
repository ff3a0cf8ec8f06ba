/**
 * Inbound control messages to the process table (RemoteInbound): the one
 * place that maps each operation of schemas/control.terms.yaml to what it
 * does. SPAWN_REQUEST is answered with exactly one SPAWN_REPLY, as OTP
 * requires; until RPC lands (issue 4) that reply is the error `notsup`.
 */
import { control, type Control } from '../../generated/control.js';
import type { Connection } from '../connection/connection.js';
import type { RemoteInbound } from '../process/remote.js';
import { atom } from '../term/atom.js';
import type { Term } from '../term/values.js';

export type DebugLog = (line: string) => void;

export function dispatch(inbound: RemoteInbound, c: Connection, ctl: Control, payload: Term | undefined, debug: DebugLog): void {
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
    case 'spawn_request_tt':
      debug(`SPAWN_REQUEST ${ctl.mfa.module.name}:${ctl.mfa.function.name}/${ctl.mfa.arity} from ${ctl.from}: answered notsup (RPC is not served yet)`);
      c.send(control.spawnReply(ctl.reqId, ctl.from, 0, atom('notsup')));
      return;
    case 'group_leader':
    case 'unlink':
    case 'node_link':
    case 'spawn_reply':
    case 'spawn_reply_tt':
      debug(`ignored ${ctl.kind} from ${c.peer}`);
      return;
  }
}
