/**
 * The challenge/digest pair of the handshake (erl_dist_protocol.md "The
 * Handshake in Detail"; dist_util:gen_digest/2). Pure apart from the CSPRNG.
 */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';

/**
 * MD5(cookie ++ decimal(challenge)): the cookie's characters as bytes, then
 * the unsigned 32-bit challenge in decimal without padding or sign.
 * OTP feeds `atom_to_list(Cookie)` to erlang:md5/1, which takes only
 * characters up to 255, so a cookie with anything wider is refused here too
 * rather than silently truncated into a digest no Erlang node would compute.
 */
export function genDigest(challenge: number, cookie: string): Uint8Array {
  if (!Number.isInteger(challenge) || challenge < 0 || challenge > 0xffff_ffff)
    throw new RangeError(`a challenge is an unsigned 32-bit integer, not ${challenge}`);
  for (let i = 0; i < cookie.length; i++) {
    if (cookie.charCodeAt(i) > 0xff) throw new RangeError(`cookie character ${i} is beyond latin-1; Erlang cannot digest it`);
  }
  const md5 = createHash('md5');
  md5.update(Buffer.from(cookie, 'latin1'));
  md5.update(String(challenge), 'latin1');
  return new Uint8Array(md5.digest());
}

/** Constant-time comparison, so a peer cannot learn the digest byte by byte from response times. */
export function digestEquals(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A fresh challenge from the CSPRNG (OTP's gen_challenge/0 mixes clocks and counters; we do not copy that). */
export function genChallenge(): number {
  return randomInt(0, 0x1_0000_0000);
}
