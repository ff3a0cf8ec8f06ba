/**
 * Unit tier: the pure parts of the handshake — the flag word we offer,
 * MANDATORY_25_DIGEST expansion, negotiation, the mandatory checks, the
 * digest (erlang-dist-protocol.md §2.4 worked example) and the error text.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Dflag, DflagMask } from '../../generated/handshake.js';
import {
  CAPABILITY_FLAGS,
  digestEquals,
  expandMandatory25,
  flagNames,
  genChallenge,
  genDigest,
  HandshakeError,
  missingMandatory,
  negotiate,
  ourFlags,
} from '../../runtime/handshake/index.js';

const OTP25_DEFAULT = 0xd07df7fbcn; // erts_internal:get_dflags() default on OTP 25.2.3 [V]
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
/** An independent MD5 over latin-1 text, to check genDigest against. */
const md5 = (s: string): string => createHash('md5').update(Buffer.from(s, 'latin1')).digest('hex');

describe('flags', () => {
  it("offers OTP 25's default set, PUBLISHED unless hidden", () => {
    expect(CAPABILITY_FLAGS).toBe(OTP25_DEFAULT);
    expect(ourFlags()).toBe(CAPABILITY_FLAGS | Dflag.PUBLISHED);
    expect(ourFlags({ hidden: true })).toBe(CAPABILITY_FLAGS);
    for (const f of ['FRAGMENTS', 'DIST_HDR_ATOM_CACHE', 'HANDSHAKE_23', 'MANDATORY_25_DIGEST', 'UNLINK_ID', 'V4_NC', 'SPAWN', 'ALIAS', 'BIG_CREATION'] as const)
      expect(ourFlags() & Dflag[f], f).toBe(Dflag[f]);
    for (const f of ['ALTACT_SIG', 'NAME_ME', 'ATOM_CACHE', 'HIDDEN_ATOM_CACHE'] as const) expect(ourFlags() & Dflag[f], f).toBe(0n);
    expect(ourFlags() & DflagMask.RESERVED).toBe(0n);
  });

  it('NAME_ME replaces PUBLISHED, as dist_util:publish_flag/3 does', () => {
    expect(ourFlags({ nameMe: true })).toBe(CAPABILITY_FLAGS | Dflag.NAME_ME);
  });

  it('meets the OTP 25 and OTP 26 mandatory sets', () => {
    expect(missingMandatory(ourFlags(), 25)).toEqual([]);
    expect(missingMandatory(ourFlags(), 26)).toEqual([]);
  });

  it('expandMandatory25 ORs in DIST_MANDATORY_25 only when the digest bit is set', () => {
    expect(expandMandatory25(Dflag.MANDATORY_25_DIGEST)).toBe(Dflag.MANDATORY_25_DIGEST | DflagMask.DIST_MANDATORY_25);
    expect(expandMandatory25(Dflag.PUBLISHED)).toBe(Dflag.PUBLISHED);
  });

  it('the digest bit alone satisfies OTP 25; OTP 26 also wants UNLINK_ID and V4_NC [V]', () => {
    expect(missingMandatory(Dflag.MANDATORY_25_DIGEST, 25)).toEqual([]);
    expect(missingMandatory(Dflag.MANDATORY_25_DIGEST, 26)).toEqual(['UNLINK_ID', 'V4_NC']);
    expect(missingMandatory(Dflag.MANDATORY_25_DIGEST | Dflag.UNLINK_ID | Dflag.V4_NC, 26)).toEqual([]);
  });

  it('missingMandatory names what is missing, lowest bit first; lowOnly ignores bits 32..63', () => {
    const noMap = DflagMask.DIST_MANDATORY_25 & ~Dflag.MAP_TAG & ~Dflag.EXTENDED_REFERENCES;
    expect(missingMandatory(noMap, 25)).toEqual(['EXTENDED_REFERENCES', 'MAP_TAG']);
    expect(missingMandatory(0n, 25)).toHaveLength(11);
    expect(missingMandatory(DflagMask.DIST_MANDATORY_25 | Dflag.UNLINK_ID, 26, true)).toEqual([]);
  });

  it('negotiate is the AND after expansion; PUBLISHED survives only on both sides', () => {
    const theirs = Dflag.MANDATORY_25_DIGEST | Dflag.PUBLISHED | Dflag.SPAWN;
    const n = negotiate(ourFlags(), theirs);
    expect(n & DflagMask.DIST_MANDATORY_25).toBe(DflagMask.DIST_MANDATORY_25);
    expect(n & Dflag.DIST_HDR_ATOM_CACHE).toBe(0n); // offered by us, not by them
    expect(n & Dflag.SPAWN).toBe(Dflag.SPAWN);
    expect(n & Dflag.PUBLISHED).toBe(Dflag.PUBLISHED);
    expect(negotiate(ourFlags({ hidden: true }), theirs) & Dflag.PUBLISHED).toBe(0n);
    expect(negotiate(ourFlags(), OTP25_DEFAULT | Dflag.PUBLISHED)).toBe(ourFlags());
  });

  it('flagNames lists set bits and unknown ones in hex', () => {
    expect(flagNames(Dflag.PUBLISHED | Dflag.SPAWN | (1n << 40n))).toEqual(['PUBLISHED', 'SPAWN', '0x10000000000']);
  });
});

describe('digest', () => {
  it('MD5(cookie ++ decimal challenge): the worked example [V]', () => {
    expect(hex(genDigest(3318321439, 'cookie123'))).toBe('1a6a2992ab9106b0722aa0ca3bbf2e30');
  });

  it('the challenge is unsigned: 0xFFFFFFFF is "4294967295", not "-1"', () => {
    expect(hex(genDigest(0xffffffff, 'c'))).toBe(md5('c4294967295'));
    expect(hex(genDigest(0, ''))).toBe(md5('0'));
  });

  it('refuses what Erlang could not digest', () => {
    expect(() => genDigest(-1, 'c')).toThrow(RangeError);
    expect(() => genDigest(2 ** 32, 'c')).toThrow(RangeError);
    expect(() => genDigest(1, 'coo\u{1F36A}')).toThrow(/latin-1/);
    expect(hex(genDigest(1, 'caf\u00e9'))).toBe(md5('caf\u00e91'));
  });

  it('digestEquals compares in constant time and refuses other lengths', () => {
    const d = genDigest(1, 'a');
    expect(digestEquals(d, Uint8Array.from(d))).toBe(true);
    expect(digestEquals(d, genDigest(2, 'a'))).toBe(false);
    expect(digestEquals(d, d.subarray(0, 15))).toBe(false);
  });

  it('genChallenge gives unsigned 32-bit integers that vary', () => {
    const seen = new Set(Array.from({ length: 64 }, genChallenge));
    for (const c of seen) expect(Number.isInteger(c) && c >= 0 && c <= 0xffffffff).toBe(true);
    expect(seen.size).toBeGreaterThan(60);
  });
});

describe('HandshakeError', () => {
  it('says where and why, as dist_util names it', () => {
    const e = new HandshakeError('recv_challenge_ack', 'bad_cookie', 'b@host');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('HandshakeError');
    expect(e.message).toBe('handshake with b@host failed at recv_challenge_ack: bad_cookie');
    expect(new HandshakeError('recv_name', 'malformed', undefined, 'short').message).toBe(
      'handshake with an unnamed peer failed at recv_name: malformed (short)',
    );
  });
});
