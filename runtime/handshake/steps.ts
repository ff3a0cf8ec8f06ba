/**
 * Plumbing shared by initiator.ts and acceptor.ts: every receive, decode and
 * send happens "at" a step, so whatever goes wrong comes out as a
 * HandshakeError naming that step and the peer.
 */
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';
import { DecodeError, EncodeError } from '../wire/errors.js';
import { HandshakeError, TransportError, type HandshakeReason, type HandshakeStep } from './errors.js';
import type { Transport } from './transport.js';

export async function recvAt(t: Transport, step: HandshakeStep, peer: string | undefined): Promise<Uint8Array> {
  try {
    return await t.recv();
  } catch (e) {
    if (e instanceof TransportError) throw new HandshakeError(step, e.reason, peer, e.message, { cause: e });
    throw new HandshakeError(step, 'closed', peer, e instanceof Error ? e.message : String(e), { cause: e });
  }
}

/** Decodes exactly one message; a DecodeError (wrong tag, short, trailing bytes) is 'malformed' at `step`. */
export function decodeAt<T>(step: HandshakeStep, peer: string | undefined, payload: Uint8Array, decode: (r: Reader) => T): T {
  try {
    return decode(new Reader(payload));
  } catch (e) {
    if (e instanceof DecodeError) throw new HandshakeError(step, 'malformed', peer, e.message, { cause: e });
    throw e;
  }
}

export function sendAt<T>(t: Transport, step: HandshakeStep, peer: string | undefined, encode: (w: Writer, v: T) => void, value: T): void {
  const w = new Writer(64);
  try {
    encode(w, value);
  } catch (e) {
    // Our own values out of range (a name over 65535 bytes): say which step could not be sent.
    if (e instanceof EncodeError) throw new HandshakeError(step, 'malformed', peer, e.message, { cause: e });
    throw e;
  }
  t.send(w.finish());
}

export function fail(step: HandshakeStep, reason: HandshakeReason, peer: string | undefined, detail?: string): never {
  throw detail === undefined ? new HandshakeError(step, reason, peer) : new HandshakeError(step, reason, peer, detail);
}

/**
 * The hint both sides give for a refused digest. A digest only fails when
 * the two sides hold different cookies (for this pair of nodes).
 */
export const cookieHint = (peer: string | undefined): string => `cookie mismatch with ${peer ?? 'the peer'}?`;

/** Status text as OTP compares it: a byte list (latin-1; TextDecoder's 'latin1' is really windows-1252). */
export function statusText(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/**
 * A node name as dist_util:is_name_ok/2 wants it: `alive@host` with exactly
 * one '@' and both parts non-empty, or (dynamic) a bare non-empty host.
 */
export function isNodeName(name: string, dynamic = false): boolean {
  const parts = name.split('@');
  if (dynamic) return parts.length === 1 && name.length > 0;
  return parts.length === 2 && parts[0] !== '' && parts[1] !== '';
}

/** The host part of `alive@host`. */
export function hostOf(name: string): string {
  return name.slice(name.indexOf('@') + 1);
}
