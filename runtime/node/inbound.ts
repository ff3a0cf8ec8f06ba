/**
 * The one door in: inbound control messages to the process table
 * (RemoteInbound), the one place that maps each operation of
 * schemas/control.terms.yaml to what it does. A SPAWN_REQUEST's process
 * comes from the RPC layer (runtime/rpc/exposed.ts: what to run); the link
 * and monitor it asks for are set up here, through the same door, and it is
 * answered with exactly one SPAWN_REPLY, as OTP requires. Every answer
 * leaves through the one way out (`out`, the node's Outbound), as any other
 * signal does: a router forwarding between connections sits at exactly
 * these two seams. SPAWN_REPLY reaches the requesting process as the message
 * `{spawn_reply, ReqId, ok, Pid}` / `{spawn_reply, ReqId, error, Reason}`
 * (as OTP delivers it); a reply nobody waits for any more (the request
 * timed out) is undone on the peer: DEMONITOR_P for the monitor it set up,
 * an exit `abandoned` for the link, as erts does for an abandoned request.
 */
import type { Control } from '../../generated/control.js';
import type { Connection } from '../connection/connection.js';
import type { RemoteInbound, RemoteSignals } from '../process/index.js';
import type { SpawnRequest } from '../rpc/index.js';
import { atom, type Atom } from '../term/atom.js';
import { Pid, Tuple, type Term } from '../term/values.js';

export type DebugLog = (line: string) => void;

/** Makes the process a SPAWN_REQUEST asks for (not yet running): its pid, or the error atom to answer with. */
export type SpawnHandler = (request: SpawnRequest, args: Term[]) => Pid | Atom;

const SPAWN_LINK = 1;
const SPAWN_MONITOR = 2;
const LINK = atom('link');
const MONITOR = atom('monitor');

/** Takes the messages sent to a registered name from other nodes, with the peer they came over (a router's own protocol). */
export type Tap = (peer: string, message: Term) => void;

export interface Door {
  readonly inbound: RemoteInbound;
  /** Names whose inbound messages go to a tap instead of a process. */
  readonly taps: ReadonlyMap<Atom, Tap>;
  /** The node's one way out. */
  readonly out: RemoteSignals;
  readonly spawn: SpawnHandler;
  readonly debug: DebugLog;
}

export function dispatch(door: Door, c: Connection, ctl: Control, payload: Term | undefined): void {
  const { inbound, out, debug } = door;
  // The connection has checked that payload is present exactly when the operation carries one.
  const reason = (r: Term | undefined): Term => r!;
  // A signal's sender is a process of the peer that sent it: one that names a process elsewhere is forged
  // (a node relaying for others would be acting as them), and is dropped. This is the reverse-path check.
  const from = senderOf(ctl);
  if (from !== undefined && from.node.name !== c.peer) return debug(`dropped ${ctl.kind} from ${c.peer} that names ${from} on another node as its sender`);
  switch (ctl.kind) {
    case 'send':
    case 'send_tt':
    case 'send_sender':
    case 'send_sender_tt':
      if (!inbound.deliverSend(ctl.to, payload!)) debug(`dropped a message from ${c.peer} to ${ctl.to}: no such process`);
      return;
    case 'reg_send':
    case 'reg_send_tt': {
      const tap = door.taps.get(ctl.toName);
      if (tap !== undefined) return tap(c.peer, payload!);
      if (!inbound.deliverSend(ctl.toName, payload!)) debug(`dropped a message from ${ctl.from} to unknown name ${ctl.toName.name}`);
      return;
    }
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
      // The reply leaves through the way out, to the requester's node: senderOf has dropped a requester on another
      // node than this connection's peer (it would make us dial that node).
      const args = payload as Term;
      // The argument list must be a proper list.
      let result: Pid | Atom = atom('badarg');
      if (Array.isArray(args))
        try {
          result = door.spawn(ctl, args);
        } catch (e) {
          debug(`SPAWN_REQUEST ${ctl.mfa.module.name}:${ctl.mfa.function.name}/${ctl.mfa.arity} from ${ctl.from} failed: ${(e as Error).message}`);
          result = atom('system_limit');
        }
      let flags = 0;
      // Before the reply, and before the new process runs: the reply precedes its EXIT or DOWN on the connection.
      if (result instanceof Pid) {
        if (ctl.opts.some((o) => o === LINK)) {
          inbound.deliverLink(ctl.from, result);
          flags |= SPAWN_LINK;
        }
        if (ctl.opts.some((o) => o === MONITOR || (o instanceof Tuple && o.size === 2 && o.elements[0] === MONITOR))) {
          inbound.deliverMonitor(ctl.from, result, ctl.reqId);
          flags |= SPAWN_MONITOR;
        }
      }
      return out.spawnReply(ctl.from, ctl.reqId, flags, result);
    }
    case 'spawn_reply':
    case 'spawn_reply_tt': {
      const flags = Number(ctl.flags);
      if (inbound.deliverSpawnReply(ctl.reqId, ctl.to, flags, ctl.result)) return;
      if (!(ctl.result instanceof Pid) || (flags & (SPAWN_MONITOR | SPAWN_LINK)) === 0) return; // e.g. erpc:cast's reply
      if (ctl.result.node.name !== c.peer) return debug(`ignored a SPAWN_REPLY from ${c.peer} naming ${ctl.result} on another node`);
      debug(`SPAWN_REPLY from ${c.peer} for an abandoned request: undoing its monitor and link`);
      if (flags & SPAWN_MONITOR) out.demonitor(ctl.to, ctl.result, ctl.result.node, ctl.reqId);
      if (flags & SPAWN_LINK) out.exit(ctl.to, ctl.result, atom('abandoned'));
      return;
    }
    case 'group_leader':
    case 'unlink':
    case 'node_link':
      debug(`ignored ${ctl.kind} from ${c.peer}`);
      return;
  }
}

/** The process a signal says it comes from, where the protocol names one (a pid of the sending node). */
function senderOf(ctl: Control): Pid | undefined {
  switch (ctl.kind) {
    case 'send_sender':
    case 'send_sender_tt':
    case 'reg_send':
    case 'reg_send_tt':
    case 'alias_send':
    case 'alias_send_tt':
    case 'link':
    case 'unlink_id':
    case 'unlink_id_ack':
    case 'exit':
    case 'exit_tt':
    case 'payload_exit':
    case 'payload_exit_tt':
    case 'exit2':
    case 'exit2_tt':
    case 'payload_exit2':
    case 'payload_exit2_tt':
    case 'monitor_p':
    case 'demonitor_p':
    case 'spawn_request':
    case 'spawn_request_tt':
      return ctl.from instanceof Pid ? ctl.from : undefined;
    default:
      return undefined;
  }
}
