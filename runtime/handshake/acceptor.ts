/**
 * The side that was dialled (B in erl_dist_protocol.md; OTP's
 * dist_util:handshake_other_started/1): recvName, sendStatus, sendChallenge,
 * (recvComplement after an old 'n'), recvChallengeReply, sendChallengeAck.
 * Closing the transport on failure is the caller's job (socket.ts does it).
 */
import { randomBytes, randomInt } from 'node:crypto';
import * as H from '../../generated/handshake.js';
import { digestEquals, genChallenge, genDigest } from './digest.js';
import { HandshakeError } from './errors.js';
import { expandMandatory25, flagNames, missingMandatory, negotiate, ourFlags, type OtpLevel } from './flags.js';
import type { HandshakeResult, Transport } from './transport.js';
import { cookieHint, decodeAt, fail, isNodeName, recvAt, sendAt, statusText } from './steps.js';

/** What the node layer says about an incoming attempt from a name (net_kernel's accept_pending). */
export type PendingStatus = 'ok' | 'ok_simultaneous' | 'nok' | 'alive';

export interface AcceptorOptions {
  /** Our full node name, sent in the challenge: it must equal what the peer dialled. */
  name: string;
  /** Our creation (from EPMD's ALIVE2_X_RESP). */
  creation: number;
  /** The default cookie. */
  cookie: string;
  /** A per-node cookie (erlang:set_cookie/2); undefined falls back to `cookie`. */
  cookieFor?: (peerName: string) => string | undefined;
  /** Leave out PUBLISHED: the connection is hidden on both sides. */
  hidden?: boolean;
  /** Offer exactly these flags instead of ourFlags(). */
  flags?: bigint;
  /** Whose mandatory set the initiator's flags must meet (default 25). */
  mandatory?: OtpLevel;
  /**
   * Decides the status once the name is known: 'ok'; for a simultaneous
   * connect, simultaneousStatus(ours, theirs); 'alive' when a connection to
   * that name is already up. Default: 'ok'.
   */
  markPending?: (peerName: string) => PendingStatus | Promise<PendingStatus>;
  /** After 'alive' was answered "true", called before the ack: wait here for the old connection to go. */
  waitPending?: (peerName: string) => void | Promise<void>;
  /** Names a NAME_ME peer on its host; default: 13 random capitals and digits, as OTP, and a random creation. */
  assignName?: (host: string) => { name: string; creation: number };
}

interface Acceptor {
  readonly t: Transport;
  readonly o: AcceptorOptions;
  offered: bigint;
  peer: string | undefined;
  peerFlags: bigint;
  peerCreation: number;
}

export async function accept(t: Transport, o: AcceptorOptions): Promise<HandshakeResult> {
  const hs: Acceptor = { t, o, offered: o.flags ?? ourFlags({ hidden: o.hidden === true }), peer: undefined, peerFlags: 0n, peerCreation: 0 };
  const { old, dynamic } = await recvName(hs);
  // Echo NAME_ME (and drop PUBLISHED) as dist_util:publish_flag/3 does: an OTP
  // initiator checks NAME_ME in the negotiated flags before it adopts the name.
  if (dynamic) hs.offered = (hs.offered & ~H.Dflag.PUBLISHED) | H.Dflag.NAME_ME;
  const confirmedAlive = await sendStatus(hs, dynamic);
  const peer = hs.peer!;
  const cookie = o.cookieFor?.(peer) ?? o.cookie;
  const ours = sendChallenge(hs);
  if (old) await recvComplement(hs);
  const theirs = await recvChallengeReply(hs, ours, cookie);
  if (confirmedAlive) await o.waitPending?.(peer);
  sendChallengeAck(hs, theirs, cookie);
  const flags = negotiate(hs.offered, hs.peerFlags);
  return { peerName: peer, peerCreation: hs.peerCreation, peerFlags: hs.peerFlags, flags, hidden: (flags & H.Dflag.PUBLISHED) === 0n };
}

/**
 * The simultaneous-connect tie-break of net_kernel: when we are dialling the
 * same node, the greater name keeps its own attempt. Names compare as Erlang
 * atoms do, byte-wise on their UTF-8 text.
 */
export function simultaneousStatus(ourName: string, peerName: string): 'ok_simultaneous' | 'nok' {
  return Buffer.compare(Buffer.from(ourName, 'utf8'), Buffer.from(peerName, 'utf8')) > 0 ? 'nok' : 'ok_simultaneous';
}

/**
 * 'N' (or, as OTP 25.3+ accepts again, the old 'n' whose high flags and
 * creation come later in 'c'). A bad name closes without a word, as OTP does;
 * missing mandatory flags get 's'"not_allowed" first.
 */
async function recvName(hs: Acceptor): Promise<{ old: boolean; dynamic: boolean }> {
  const payload = await recvAt(hs.t, 'recv_name', undefined);
  let old = false;
  let name: string;
  if (payload[0] === 0x6e) {
    const m = decodeAt('recv_name', undefined, payload, H.decodeOldSendName);
    old = true;
    name = statusText(m.name); // a byte list to OTP (list_to_atom/1)
    hs.peerFlags = BigInt(m.flags);
  } else {
    const m = decodeAt('recv_name', undefined, payload, H.decodeSendName);
    name = m.name;
    hs.peerFlags = m.flags;
    hs.peerCreation = m.creation;
  }
  const dynamic = (hs.peerFlags & H.Dflag.NAME_ME) !== 0n;
  if (!isNodeName(name, dynamic))
    fail('recv_name', 'bad_name', undefined, dynamic ? `"${name}" is not a bare host for NAME_ME` : `"${name}" is not alive@host`);
  hs.peer = name;
  hs.peerFlags = expandMandatory25(hs.peerFlags);
  const missing = missingMandatory(hs.peerFlags, hs.o.mandatory ?? 25, old);
  if (missing.length > 0) {
    sendAt(hs.t, 'recv_name', name, H.encodeSendStatus, { status: Buffer.from('not_allowed', 'latin1') });
    fail('recv_name', 'missing_mandatory_flags', name, missing.join(', '));
  }
  return { old, dynamic };
}

/** 's': ok, ok_simultaneous, nok, alive (then read "true"/"false"), or 'named:' for a NAME_ME peer. Returns whether 'alive' was confirmed. */
async function sendStatus(hs: Acceptor, dynamic: boolean): Promise<boolean> {
  if (dynamic) {
    const assigned = (hs.o.assignName ?? randomName)(hs.peer!);
    hs.peer = assigned.name;
    hs.peerCreation = assigned.creation;
  }
  const peer = hs.peer!;
  const status = (await hs.o.markPending?.(peer)) ?? 'ok';
  if (dynamic && (status === 'ok' || status === 'ok_simultaneous')) {
    sendAt(hs.t, 'send_status', peer, H.encodeSendStatusNamed, { name: peer, creation: hs.peerCreation, extra: new Uint8Array(0) });
    return false;
  }
  sendAt(hs.t, 'send_status', peer, H.encodeSendStatus, { status: Buffer.from(status, 'latin1') });
  if (status === 'nok') fail('send_status', 'nok', peer, 'we keep our own attempt');
  if (status !== 'alive') return false;
  const reply = statusText(decodeAt('recv_status', peer, await recvAt(hs.t, 'recv_status', peer), H.decodeSendStatus).status);
  if (reply === 'true') return true;
  if (reply === 'false') fail('recv_status', 'alive', peer, 'the peer keeps its existing connection');
  return fail('recv_status', 'unexpected_status', peer, `${JSON.stringify(reply)} after 'alive'`);
}

/** 'N' challenge: our flags, a fresh challenge, our creation and our full name. */
function sendChallenge(hs: Acceptor): number {
  const challenge = genChallenge();
  const o = hs.o;
  sendAt(hs.t, 'send_challenge', hs.peer, H.encodeSendChallenge, { flags: hs.offered, challenge, creation: o.creation, name: o.name, extra: new Uint8Array(0) });
  return challenge;
}

/** 'c' after an old 'n': the high flag bits and the creation; then the whole mandatory set is checked. */
async function recvComplement(hs: Acceptor): Promise<void> {
  const c = decodeAt('recv_complement', hs.peer, await recvAt(hs.t, 'recv_complement', hs.peer), H.decodeSendComplement);
  hs.peerFlags = expandMandatory25(hs.peerFlags | (BigInt(c.flagsHigh) << 32n));
  hs.peerCreation = c.creation;
  const missing = missingMandatory(hs.peerFlags, hs.o.mandatory ?? 25);
  if (missing.length > 0) fail('recv_complement', 'missing_mandatory_flags', hs.peer, missing.join(', '));
}

/**
 * 'r': exactly 21 bytes, and the digest of our challenge. A wrong digest ends
 * the handshake without a reply, as OTP does: the initiator only sees the
 * connection close.
 */
async function recvChallengeReply(hs: Acceptor, ours: number, cookie: string): Promise<number> {
  const r = decodeAt('recv_challenge_reply', hs.peer, await recvAt(hs.t, 'recv_challenge_reply', hs.peer).catch((e: unknown) => Promise.reject(lacking(hs, e))), H.decodeChallengeReply);
  if (!digestEquals(r.digest, genDigest(ours, cookie))) fail('recv_challenge_reply', 'bad_cookie', hs.peer, cookieHint(hs.peer));
  return r.challenge;
}

/**
 * An OTP initiator that finds a flag it requires missing from our challenge
 * closes without a word (dist_util:check_dflags/2), so the flags it offers and
 * we do not are named with the close: a release newer than beamwire that
 * makes one of them mandatory shows up as which one.
 */
function lacking(hs: Acceptor, e: unknown): unknown {
  if (!(e instanceof HandshakeError) || e.reason !== 'closed') return e;
  const theirs = flagNames(hs.peerFlags & ~hs.offered & ~(H.Dflag.PUBLISHED | H.Dflag.NAME_ME));
  if (theirs.length === 0) return e;
  return new HandshakeError(e.step, e.reason, e.peer, `${e.detail ?? 'closed'}; it offers flags we do not (${theirs.join(', ')}): if its release requires one, that is why`, { cause: e });
}

/** 'a': the digest of the initiator's challenge. The last handshake message; 4-byte frames follow. */
function sendChallengeAck(hs: Acceptor, theirs: number, cookie: string): void {
  sendAt(hs.t, 'send_challenge_ack', hs.peer, H.encodeChallengeAck, { digest: genDigest(theirs, cookie) });
}

const NAME_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function randomName(host: string): { name: string; creation: number } {
  let alive = '';
  for (const b of randomBytes(13)) alive += NAME_CHARS[b % NAME_CHARS.length];
  // A creation is a non-zero u32; OTP avoids 0..3, which old nodes read as "any" or as 2-bit values.
  return { name: `${alive}@${host}`, creation: randomInt(4, 0x1_0000_0000) };
}
