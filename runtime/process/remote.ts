/**
 * The seam between the local process model and the distribution layer. The
 * process table calls {@link RemoteSignals} for every signal whose target is
 * on another node; the node layer turns each call into a control message
 * (SEND, REG_SEND, ALIAS_SEND, LINK, UNLINK_ID, UNLINK_ID_ACK, EXIT, EXIT2,
 * MONITOR_P, DEMONITOR_P, MONITOR_P_EXIT) and calls back the `deliver*`
 * methods of {@link RemoteInbound} for signals that arrive. Nothing here
 * touches bytes or sockets, so a test can stand in for the whole network.
 */
import type { Atom } from '../term/atom.js';
import type { Mfa } from '../term/shape.js';
import type { Pid, Reference, Term } from '../term/values.js';

/**
 * Outbound signals to processes of other nodes. These are asynchronous
 * signals: a lost connection is reported later through `nodeDown`, not by
 * throwing. A method that throws anyway (a bug, a closed layer) does not
 * stop the signal fan-out; the error reaches the call that caused it (for a
 * process ending on its own, an unhandled rejection).
 */
export interface RemoteSignals {
  /** `to ! message` (SEND_SENDER). `from` is the table's own pid for sends from outside any process. */
  send(from: Pid, to: Pid, message: Term): void;
  /** `{name, node} ! message` (REG_SEND). */
  regSend(from: Pid, name: Atom, node: Atom, message: Term): void;
  /** A send to a remote process alias (ALIAS_SEND). */
  aliasSend(from: Pid, alias: Reference, message: Term): void;
  /** `link(to)` (LINK); sent only when no active link existed. */
  link(from: Pid, to: Pid): void;
  /** `unlink(to)` (UNLINK_ID); the local link stays, inactive, until `deliverUnlinkAck(id)`. */
  unlink(from: Pid, to: Pid, id: bigint): void;
  /** The acknowledgement of an inbound UNLINK_ID (UNLINK_ID_ACK), sent before any other signal from `from` to `to`. */
  unlinkAck(from: Pid, to: Pid, id: bigint): void;
  /** `from` died with `reason` while linked to `to` (EXIT / PAYLOAD_EXIT). */
  exit(from: Pid, to: Pid, reason: Term): void;
  /** `exit(to, reason)` called by `from` (EXIT2 / PAYLOAD_EXIT2). */
  exit2(from: Pid, to: Pid, reason: Term): void;
  /** `monitor(process, target)` where target is a pid or a name on `node` (MONITOR_P). */
  monitor(from: Pid, target: Pid | Atom, node: Atom, ref: Reference): void;
  /** `demonitor(ref)`, also sent for every remote monitor a dying process held (DEMONITOR_P). */
  demonitor(from: Pid, target: Pid | Atom, node: Atom, ref: Reference): void;
  /**
   * A local process monitored by the remote `watcher` ended, or did not exist
   * (`noproc`) (MONITOR_P_EXIT). `target` is the pid, or the name when the
   * watcher monitored by name.
   */
  down(target: Pid | Atom, watcher: Pid, ref: Reference, reason: Term): void;
  /**
   * erlang:spawn_request(Node, M, F, Args, Opts) from `from` (SPAWN_REQUEST):
   * `opts` as OTP's (`monitor`, `link`); the answer comes back through
   * `deliverSpawnReply`. An unreachable node answers through the monitor
   * (`noconnection`), as for any other signal.
   */
  spawnRequest(from: Pid, node: Atom, reqId: Reference, groupLeader: Pid, mfa: Mfa, opts: Term[], args: Term[]): void;
  /** The one answer to an inbound SPAWN_REQUEST (SPAWN_REPLY): the new pid, or an error atom; flags 1 link, 2 monitor. */
  spawnReply(to: Pid, reqId: Reference, flags: number, result: Pid | Atom): void;
  /**
   * Back-pressure, as Erlang suspends a sender on a busy dist port: after a
   * process sent to `node`, what it must wait for before it goes on (the
   * connection draining below its high-water mark), or undefined when
   * nothing is busy. The process waits at its next `receive`. Never rejects.
   * A layer without it never makes a sender wait.
   */
  busy?(node: Atom): Promise<void> | undefined;
}

/** Inbound signals from other nodes: what the node layer calls. Returned by `ProcessTable.attachRemote`. */
export interface RemoteInbound {
  /** SEND / REG_SEND / ALIAS_SEND: delivers to a pid, a registered name or an alias. False when dropped (no such target). */
  deliverSend(to: Pid | Atom | Reference, message: Term): boolean;
  /** EXIT: the remote `from` died while linked to `to`. Ignored unless the link is active; the link is removed. */
  deliverExit(from: Pid, to: Pid, reason: Term): void;
  /** EXIT2: `exit(to, reason)` called by the remote `from`; no link needed. */
  deliverExit2(from: Pid, to: Pid, reason: Term): void;
  /** LINK: creates an active link unless link state already exists. A dead `to` answers with an exit `noproc`. */
  deliverLink(from: Pid, to: Pid): void;
  /** UNLINK_ID: removes an active link, then acknowledges with `unlinkAck(to, from, id)` at once. */
  deliverUnlink(id: bigint, from: Pid, to: Pid): void;
  /** UNLINK_ID_ACK: removes the link if it is inactive and waiting for this `id`. */
  deliverUnlinkAck(id: bigint, from: Pid, to: Pid): void;
  /** MONITOR_P: the remote `watcher` monitors local `target`; a missing target gets `down(…, noproc)` at once. */
  deliverMonitor(watcher: Pid, target: Pid | Atom, ref: Reference): void;
  /** DEMONITOR_P. */
  deliverDemonitor(watcher: Pid, target: Pid | Atom, ref: Reference): void;
  /** MONITOR_P_EXIT: a remote process the local `watcher` monitored ended. */
  deliverDown(ref: Reference, target: Pid | Atom, watcher: Pid, reason: Term): void;
  /**
   * SPAWN_REPLY for a request `to` made with `spawnRequest` (`result`: the new
   * pid, or an error atom; `flags`: 1 link, 2 monitor set up). False when
   * nobody waits for it (the process is gone or abandoned the request): the
   * node layer then undoes the monitor and link on the spawning node.
   */
  deliverSpawnReply(reqId: Reference, to: Pid, flags: number, result: Pid | Atom): boolean;
  /** The connection to `node` is gone: every link to it fires and every monitor of it goes DOWN, with `noconnection`. */
  nodeDown(node: Atom): void;
}
