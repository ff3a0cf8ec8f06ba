/**
 * The side that dialled (A in erl_dist_protocol.md; OTP's
 * dist_util:handshake_we_started/1): sendName, recvStatus, recvChallenge,
 * sendChallengeReply, recvChallengeAck. Each step is a function; anything
 * that goes wrong is a HandshakeError naming it. Closing the transport on
 * failure is the caller's job (socket.ts does it).
 */
import * as H from '../../generated/handshake.js';
import { digestEquals, genChallenge, genDigest } from './digest.js';
import { expandMandatory25, missingMandatory, negotiate, ourFlags, type OtpLevel } from './flags.js';
import type { HandshakeResult, Transport } from './transport.js';
import { HandshakeError } from './errors.js';
import { cookieHint, decodeAt, fail, hostOf, isNodeName, recvAt, sendAt, statusText } from './steps.js';

export interface InitiatorResult extends HandshakeResult {
  /** Our node name: as given, or the one the acceptor assigned with NAME_ME. */
  readonly name: string;
  /** Our creation: as given, or the one the acceptor assigned with NAME_ME. */
  readonly creation: number;
}

export interface InitiatorOptions {
  /** Our full node name, `alive@host`; with `nameMe`, only the host. */
  name: string;
  /** Our creation (from EPMD's ALIVE2_X_RESP); 0 is sent with `nameMe`. */
  creation: number;
  /** The node we dialled: the challenge must carry exactly this name. */
  peerName: string;
  /** The default cookie. */
  cookie: string;
  /** A per-node cookie (erlang:set_cookie/2); undefined falls back to `cookie`. */
  cookieFor?: (peerName: string) => string | undefined;
  /** Leave out PUBLISHED: the peer lists us in nodes(hidden). */
  hidden?: boolean;
  /** Ask the acceptor for a dynamic name (DFLAG_NAME_ME). */
  nameMe?: boolean;
  /** Offer exactly these flags instead of ourFlags(); NAME_ME is still added with `nameMe`. */
  flags?: bigint;
  /** Whose mandatory set the acceptor's flags must meet (default 25). */
  mandatory?: OtpLevel;
  /**
   * The acceptor says it still has a connection to us ('alive'). Return true
   * when that one is stale and this attempt should go on (OTP answers with
   * net_kernel's is_pending: this attempt is the one we know about), false to
   * give up. Default: true, as there is no other connection to know about.
   */
  isAlive?: (peerName: string) => boolean | Promise<boolean>;
}

interface Initiator {
  readonly t: Transport;
  readonly o: InitiatorOptions;
  readonly peer: string;
  readonly offered: bigint;
  name: string;
  creation: number;
}

const NAMED = [0x73, 0x6e, 0x61, 0x6d, 0x65, 0x64, 0x3a]; // 's' "named:"

export async function initiate(t: Transport, o: InitiatorOptions): Promise<InitiatorResult> {
  const nameMe = o.nameMe === true;
  const offered = (o.flags ?? ourFlags({ hidden: o.hidden === true, nameMe })) | (nameMe ? H.Dflag.NAME_ME : 0n);
  const hs: Initiator = { t, o, peer: o.peerName, offered, name: o.name, creation: nameMe ? 0 : o.creation };
  sendName(hs);
  await recvStatus(hs);
  const challenge = await recvChallenge(hs);
  const cookie = o.cookieFor?.(hs.peer) ?? o.cookie;
  const ours = sendChallengeReply(hs, challenge.challenge, cookie);
  await recvChallengeAck(hs, ours, cookie);
  const flags = negotiate(offered, challenge.flags);
  return {
    peerName: hs.peer,
    peerCreation: challenge.creation,
    peerFlags: challenge.flags,
    flags,
    hidden: (flags & H.Dflag.PUBLISHED) === 0n,
    name: hs.name,
    creation: hs.creation,
  };
}

/** 'N' with our flags, creation and name (the host alone with NAME_ME). We never send the old 'n'. */
function sendName(hs: Initiator): void {
  const dynamic = (hs.offered & H.Dflag.NAME_ME) !== 0n;
  if (!isNodeName(hs.name, dynamic))
    fail('send_name', 'bad_name', hs.peer, dynamic ? `"${hs.name}" is not a bare host for NAME_ME` : `"${hs.name}" is not alive@host`);
  if (!isNodeName(hs.peer)) fail('send_name', 'bad_name', hs.peer, `cannot dial "${hs.peer}": not alive@host`);
  sendAt(hs.t, 'send_name', hs.peer, H.encodeSendName, { flags: hs.offered, creation: hs.creation, name: hs.name, extra: new Uint8Array(0) });
}

/** 's' status; 'alive' is answered here, and 'named:' adopted when we asked for it. */
async function recvStatus(hs: Initiator): Promise<void> {
  const payload = await recvAt(hs.t, 'recv_status', hs.peer);
  const dynamic = (hs.offered & H.Dflag.NAME_ME) !== 0n;
  if (NAMED.every((b, i) => payload[i] === b)) {
    const named = decodeAt('recv_status', hs.peer, payload, H.decodeSendStatusNamed);
    if (!dynamic) fail('recv_status', 'unexpected_status', hs.peer, `'named:' (${named.name}) although we did not ask for a name`);
    // OTP asserts that the assigned name is on the host we sent.
    if (!isNodeName(named.name) || hostOf(named.name) !== hs.name)
      fail('recv_status', 'bad_name', hs.peer, `assigned name "${named.name}" is not alive@${hs.name}`);
    hs.name = named.name;
    hs.creation = named.creation;
    return;
  }
  const status = statusText(decodeAt('recv_status', hs.peer, payload, H.decodeSendStatus).status);
  // dist_util answers not_allowed for its allow list and for a flag it requires that we lack; it says no more.
  if (status === 'not_allowed') fail('recv_status', 'not_allowed', hs.peer, 'its allow list refuses us, or it requires a distribution flag we do not offer');
  if (dynamic) fail('recv_status', 'unexpected_status', hs.peer, `"${status}" where 'named:' was due (we sent NAME_ME)`);
  switch (status) {
    case 'ok':
    case 'ok_simultaneous':
      return;
    case 'nok':
      // The acceptor keeps its own attempt to us (simultaneous connect, its name is greater).
      return fail('recv_status', 'nok', hs.peer);
    case 'alive': {
      const goOn = (await hs.o.isAlive?.(hs.peer)) ?? true;
      // Always answer: an unanswered 'alive' keeps the acceptor waiting until its setup timer fires.
      sendAt(hs.t, 'recv_status', hs.peer, H.encodeSendStatus, { status: Buffer.from(goOn ? 'true' : 'false', 'latin1') });
      if (!goOn) fail('recv_status', 'alive', hs.peer, 'the existing connection stays');
      return;
    }
    default:
      return fail('recv_status', 'unexpected_status', hs.peer, JSON.stringify(status));
  }
}

/** 'N' challenge: the acceptor's flags, challenge, creation and name, which must be the one we dialled. */
async function recvChallenge(hs: Initiator): Promise<H.SendChallenge> {
  const payload = await recvAt(hs.t, 'recv_challenge', hs.peer);
  const ch = decodeAt('recv_challenge', hs.peer, payload, H.decodeSendChallenge);
  // Byte-identical, as OTP's list_to_existing_atom(Ns) =:= Node: ts@vm is not ts@vm.local.
  if (ch.name !== hs.peer) fail('recv_challenge', 'name_mismatch', hs.peer, `the acceptor calls itself "${ch.name}"`);
  const flags = expandMandatory25(ch.flags);
  const missing = missingMandatory(flags, hs.o.mandatory ?? 25);
  if (missing.length > 0) fail('recv_challenge', 'missing_mandatory_flags', hs.peer, missing.join(', '));
  return { ...ch, flags };
}

/** 'r': our own challenge and the digest of theirs. Returns our challenge for the ack check. */
function sendChallengeReply(hs: Initiator, theirs: number, cookie: string): number {
  const ours = genChallenge();
  sendAt(hs.t, 'send_challenge_reply', hs.peer, H.encodeChallengeReply, { challenge: ours, digest: genDigest(theirs, cookie) });
  return ours;
}

/**
 * 'a': exactly 17 bytes, and the digest of our challenge under the same
 * cookie, compared in constant time. An acceptor that refuses our digest
 * closes without a word (OTP's dist_util does; so does acceptor.ts), so a
 * close here is almost always a cookie mismatch: the reason stays 'closed'
 * (that is all we know), the message says what it most likely means.
 */
async function recvChallengeAck(hs: Initiator, ours: number, cookie: string): Promise<void> {
  let payload: Uint8Array;
  try {
    payload = await recvAt(hs.t, 'recv_challenge_ack', hs.peer);
  } catch (e) {
    if (e instanceof HandshakeError && e.reason === 'closed')
      throw new HandshakeError('recv_challenge_ack', 'closed', hs.peer, `${e.detail ?? 'closed'} after our challenge reply: ${cookieHint(hs.peer)}`, { cause: e.cause });
    throw e;
  }
  const ack = decodeAt('recv_challenge_ack', hs.peer, payload, H.decodeChallengeAck);
  if (!digestEquals(ack.digest, genDigest(ours, cookie))) fail('recv_challenge_ack', 'bad_cookie', hs.peer, cookieHint(hs.peer));
}
