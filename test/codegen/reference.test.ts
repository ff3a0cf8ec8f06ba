/**
 * The Kaitai reference parsers, compiled from schemas/ in this test (not read
 * from generated/), against the byte examples of the distribution protocol:
 * [V] = captured from a live OTP 25.2.3 node (erlang-dist-protocol.md
 * §2.2, §2.4, §3.1, §3.2, §4), [doc] = the example in erl_ext_dist.md,
 * unmarked = built from the spec's tables. Each must parse to the documented
 * field values with every byte consumed; malformed variants must fail.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { validateSchemas } from '../../codegen/validate.js';
import {
  compileReferenceToTemp,
  loadReference,
  parseStrict,
  referenceEnum,
  referenceType,
  TrailingBytesError,
  type KaitaiObject,
  type KaitaiType,
} from '../support/reference.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

let cleanup = (): void => {};
let Handshake: KaitaiType;
let Epmd: KaitaiType;
let Framing: KaitaiType;

beforeAll(async () => {
  const schemas = validateSchemas(
    readdirSync(join(root, 'schemas'))
      .filter((f) => f.endsWith('.ksy'))
      .map((f) => ({ path: `schemas/${f}`, text: readFileSync(join(root, 'schemas', f), 'utf8') })),
  );
  const compiled = await compileReferenceToTemp(schemas);
  cleanup = compiled.cleanup;
  Handshake = loadReference('Handshake', compiled.dir);
  Epmd = loadReference('Epmd', compiled.dir);
  Framing = loadReference('Framing', compiled.dir);
});

afterAll(() => cleanup());

/** Bytes from numbers, UTF-8 strings and arrays, in order. */
function bytes(...parts: (number | string | readonly number[] | Uint8Array)[]): Uint8Array {
  return Uint8Array.from(
    parts.flatMap((p) => (typeof p === 'number' ? [p] : typeof p === 'string' ? [...Buffer.from(p, 'utf8')] : [...p])),
  );
}

const u32 = (n: number): number[] => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const list = (b: Uint8Array): number[] => [...b];
const hex = (h: string): number[] => [...Buffer.from(h, 'hex')];

const parse = (file: () => KaitaiType, type: string, input: Uint8Array): KaitaiObject =>
  parseStrict(referenceType(file(), type), input);
const hs = (type: string, input: Uint8Array): KaitaiObject => parse(() => Handshake, type, input);
const epmd = (type: string, input: Uint8Array): KaitaiObject => parse(() => Epmd, type, input);
const framing = (type: string, input: Uint8Array): KaitaiObject => parse(() => Framing, type, input);

/** Named members of a compiled enum table (Kaitai also maps value → name). */
function members(type: KaitaiType, name: string): Record<string, number> {
  return Object.fromEntries(
    Object.entries(referenceEnum(type, name)).filter((e): e is [string, number] => typeof e[1] === 'number'),
  );
}

const or = (...values: number[]): bigint => values.reduce((acc, v) => acc | BigInt(v), 0n);

describe('handshake (erlang-dist-protocol.md §2.2)', () => {
  // [V] OTP 25, u16 frame header included (flags 0xD07DF7FBD, creation 1795311901).
  const SEND_NAME_FRAME = bytes(0, 19, 78, 0, 0, 0, 13, 7, 223, 127, 189, 107, 2, 73, 29, 0, 4, 'a@vm');

  test('[V] send_name from OTP 25, in its 2-byte frame', () => {
    const frame = framing('HandshakeFrame', SEND_NAME_FRAME);
    expect(frame.length).toBe(19);
    const m = hs('SendName', frame.message);
    expect(m.flags).toBe(0xd07df7fbd);
    expect(m.creation).toBe(1795311901);
    expect(m.nlen).toBe(4);
    expect(m.name).toBe('a@vm');
    expect(list(m.extra)).toEqual([]);
    // OTP's own flags carry every flag mandatory from OTP 25, and the v6 handshake bit.
    const mask = members(Handshake, 'DflagMask');
    expect(BigInt(m.flags) & BigInt(mask['DIST_MANDATORY_25']!)).toBe(BigInt(mask['DIST_MANDATORY_25']!));
    expect(BigInt(m.flags) & BigInt(members(Handshake, 'Dflag')['HANDSHAKE_23']!)).not.toBe(0n);
  });

  test('send_name: extra bytes after Name are accepted (and kept); bad tags and short names are not', () => {
    const withExtra = bytes(SEND_NAME_FRAME.subarray(2), 1, 2, 3);
    expect(list(hs('SendName', withExtra).extra)).toEqual([1, 2, 3]);
    expect(() => hs('SendName', bytes('n', SEND_NAME_FRAME.subarray(3)))).toThrow(/not equal/i);
    expect(() => hs('SendName', SEND_NAME_FRAME.subarray(2, 20))).toThrow();
    // The frame says 19 bytes follow; 18 do.
    expect(() => framing('HandshakeFrame', SEND_NAME_FRAME.subarray(0, 20))).toThrow();
    // Bytes after the frame are the next frame's, not this one's.
    expect(() => framing('HandshakeFrame', bytes(SEND_NAME_FRAME, 0))).toThrow(TrailingBytesError);
  });

  test("send_challenge has Challenge before Creation: send_name's bytes do not parse as one", () => {
    const m = hs('SendChallenge', bytes('N', 0, 0, 0, 13, 7, 223, 127, 189, u32(3318321439), u32(1795311896), 0, 4, 'a@vm'));
    expect(m.flags).toBe(0xd07df7fbd);
    expect(m.challenge).toBe(3318321439);
    expect(m.creation).toBe(1795311896);
    expect(m.name).toBe('a@vm');
    expect(() => hs('SendChallenge', SEND_NAME_FRAME.subarray(2))).toThrow();
  });

  test('[V] the named: status (DFLAG_NAME_ME)', () => {
    const named = bytes(115, 'named:', 0, 16, '3EP1RLFPNPXF4@vm', 204, 189, 167, 81);
    const m = hs('SendStatusNamed', named);
    expect(m.nlen).toBe(16);
    expect(m.name).toBe('3EP1RLFPNPXF4@vm');
    expect(m.creation).toBe(3434981201);
    expect(list(m.extra)).toEqual([]);
    // Extra data after Creation must be accepted and ignored.
    expect(list(hs('SendStatusNamed', bytes(named, 9)).extra)).toEqual([9]);
    // Plain statuses are not 'named:'; a 'named:' cut short is not a 'named:'.
    expect(() => hs('SendStatusNamed', bytes('s', 'ok'))).toThrow();
    expect(() => hs('SendStatusNamed', named.subarray(0, named.length - 1))).toThrow();
  });

  test('plain statuses, and the alive reply, are text to the end of the message', () => {
    for (const status of ['ok', 'ok_simultaneous', 'nok', 'not_allowed', 'alive', 'true', 'false']) {
      expect(text(hs('SendStatus', bytes('s', status)).status)).toBe(status);
    }
    expect(() => hs('SendStatus', bytes('N', 'ok'))).toThrow();
  });

  test('[V] challenge_reply is exactly 21 bytes and carries the MD5 digest of cookie ++ decimal(challenge)', () => {
    // §2.4 worked example: cookie123, challenge 3318321439.
    const digest = hex('1a6a2992ab9106b0722aa0ca3bbf2e30');
    expect([...createHash('md5').update('cookie1233318321439').digest()]).toEqual(digest);
    const reply = bytes('r', 0x12, 0x34, 0x56, 0x78, digest);
    expect(reply.length).toBe(21);
    const m = hs('ChallengeReply', reply);
    expect(m.challenge).toBe(0x12345678);
    expect(list(m.digest)).toEqual(digest);
    expect(() => hs('ChallengeReply', bytes(reply, 0))).toThrow(TrailingBytesError);
    expect(() => hs('ChallengeReply', reply.subarray(0, 20))).toThrow();
  });

  test('challenge_ack is exactly 17 bytes', () => {
    const digest = hex('1a6a2992ab9106b0722aa0ca3bbf2e30');
    expect(list(hs('ChallengeAck', bytes('a', digest)).digest)).toEqual(digest);
    expect(() => hs('ChallengeAck', bytes('a', digest, 0))).toThrow(TrailingBytesError);
    expect(() => hs('ChallengeAck', bytes('a', digest.slice(1)))).toThrow();
    expect(() => hs('ChallengeAck', bytes('r', digest))).toThrow();
  });

  test("the old 'n' send_name and its 'c' complement", () => {
    const old = hs('OldSendName', bytes('n', 0, 5, 0x07, 0xdf, 0x7f, 0xbd, 'a@vm'));
    expect(old.version).toBe(5);
    expect(old.flags).toBe(0x07df7fbd);
    expect(text(old.name)).toBe('a@vm');
    const c = hs('SendComplement', bytes('c', 0, 0, 0, 13, 107, 2, 73, 29));
    expect(c.flagsHigh).toBe(13);
    expect(c.creation).toBe(1795311901);
    expect(() => hs('SendComplement', bytes('c', 0, 0, 0, 13, 107, 2, 73))).toThrow();
  });

  test('dflag has every flag of §2.5 with its dist.h value; the masks are their unions', () => {
    const dflag = members(Handshake, 'Dflag');
    expect(dflag).toEqual({
      PUBLISHED: 0x1,
      ATOM_CACHE: 0x2,
      EXTENDED_REFERENCES: 0x4,
      DIST_MONITOR: 0x8,
      FUN_TAGS: 0x10,
      DIST_MONITOR_NAME: 0x20,
      HIDDEN_ATOM_CACHE: 0x40,
      NEW_FUN_TAGS: 0x80,
      EXTENDED_PIDS_PORTS: 0x100,
      EXPORT_PTR_TAG: 0x200,
      BIT_BINARIES: 0x400,
      NEW_FLOATS: 0x800,
      UNICODE_IO: 0x1000,
      DIST_HDR_ATOM_CACHE: 0x2000,
      SMALL_ATOM_TAGS: 0x4000,
      ETS_COMPRESSED: 0x8000,
      UTF8_ATOMS: 0x10000,
      MAP_TAG: 0x20000,
      BIG_CREATION: 0x40000,
      SEND_SENDER: 0x80000,
      BIG_SEQTRACE_LABELS: 0x100000,
      PENDING_CONNECT: 0x200000,
      EXIT_PAYLOAD: 0x400000,
      FRAGMENTS: 0x800000,
      HANDSHAKE_23: 0x1000000,
      UNLINK_ID: 0x2000000,
      MANDATORY_25_DIGEST: 0x4000000,
      SPAWN: 2 ** 32,
      NAME_ME: 2 ** 33,
      V4_NC: 2 ** 34,
      ALIAS: 2 ** 35,
      LOCAL_EXT: 2 ** 36,
      ALTACT_SIG: 2 ** 37,
      NATIVE_RECORDS: 2 ** 38, // [V] offered by OTP 29 (kernel's dist.hrl DFLAG_NATIVE_RECORDS)
    });
    const f = (name: string): number => dflag[name]!;
    const mask = members(Handshake, 'DflagMask');
    const m25 = or(
      ...['EXTENDED_REFERENCES', 'FUN_TAGS', 'EXTENDED_PIDS_PORTS', 'UTF8_ATOMS', 'NEW_FUN_TAGS', 'BIG_CREATION', 'NEW_FLOATS', 'MAP_TAG', 'EXPORT_PTR_TAG', 'BIT_BINARIES', 'HANDSHAKE_23'].map(f),
    );
    expect(BigInt(mask['DIST_MANDATORY_25']!)).toBe(m25);
    expect(mask['DIST_MANDATORY_25']).toBe(0x1070f94); // [V] erts_internal:get_dflags() mandatory on OTP 25
    expect(BigInt(mask['DIST_MANDATORY_26']!)).toBe(or(f('V4_NC'), f('UNLINK_ID')));
    expect(BigInt(mask['DIST_MANDATORY']!)).toBe(m25 | or(f('V4_NC'), f('UNLINK_ID')));
    expect(mask['DIST_MANDATORY']).toBe(0x4_0307_0f94);
    expect(BigInt(mask['DIST_REJECTABLE']!)).toBe(or(f('DIST_HDR_ATOM_CACHE'), f('HIDDEN_ATOM_CACHE'), f('FRAGMENTS'), f('ATOM_CACHE')));
    expect(mask['DIST_REJECTABLE']).toBe(0x802042); // [V] rejectable on OTP 25
    expect(mask['RESERVED']).toBe(0xf8000000);
    // No flag falls into the reserved bits.
    for (const v of Object.values(dflag)) expect(BigInt(v) & 0xf8000000n).toBe(0n);
  });
});

describe('EPMD (erlang-dist-protocol.md §4)', () => {
  test('[V] ALIVE2_REQ in its length envelope, and its ALIVE2_X_RESP', () => {
    const req = epmd('Request', bytes(0, 15, 120, 0, 0, 72, 0, 0, 6, 0, 6, 0, 2, 'py', 0, 0));
    expect(req.length).toBe(15);
    expect(req.request.tag).toBe(members(Epmd, 'RequestTag')['ALIVE2_REQ']);
    expect(req.request.tag).toBe(120);
    const body = req.request.body;
    expect([body.portNo, body.nodeType, body.protocol, body.highestVersion, body.lowestVersion]).toEqual([0, 72, 0, 6, 6]);
    expect(body.nlen).toBe(2);
    expect(body.nodeName).toBe('py');
    expect(body.elen).toBe(0);
    expect(list(body.extra)).toEqual([]);

    const resp = epmd('Response', bytes(118, 0, 107, 2, 73, 176));
    expect(resp.tag).toBe(118);
    expect(resp.body.result).toBe(0);
    expect(resp.body.creation).toBe(1795312048);
  });

  test('ALIVE2_RESP (16-bit creation) is told apart from ALIVE2_X_RESP by its tag', () => {
    const resp = epmd('Response', bytes(121, 1, 0, 99));
    expect(resp.tag).toBe(121);
    expect([resp.body.result, resp.body.creation]).toEqual([1, 99]);
    expect(() => epmd('Response', bytes(121, 1, 0, 0, 0, 99))).toThrow(TrailingBytesError);
    expect(() => epmd('Response', bytes(118, 0, 0, 99))).toThrow();
  });

  test('[V] PORT_PLEASE2_REQ and its PORT2_RESP', () => {
    const req = epmd('Request', bytes(0, 2, 122, 'a'));
    expect(req.request.tag).toBe(122);
    expect(text(req.request.body.nodeName)).toBe('a');

    const resp = epmd('Response', bytes(119, 0, 159, 21, 77, 0, 0, 6, 0, 5, 0, 1, 'a', 0, 0));
    expect(resp.tag).toBe(119);
    expect(resp.body.result).toBe(0);
    const node = resp.body.node;
    expect([node.portNo, node.nodeType, node.protocol, node.highestVersion, node.lowestVersion]).toEqual([40725, 77, 0, 6, 5]);
    expect(node.nodeName).toBe('a');
    expect(list(node.extra)).toEqual([]);
    expect(epmd('Port2RespNode', bytes(159, 21, 77, 0, 0, 6, 0, 5, 0, 1, 'a', 0, 0)).portNo).toBe(40725);
  });

  test('PORT2_RESP with Result > 0 is only [119, Result]', () => {
    for (const result of [1, 2, 255]) {
      const resp = epmd('Response', bytes(119, result));
      expect(resp.body.result).toBe(result);
      expect(resp.body.node).toBeUndefined();
    }
    expect(() => epmd('Response', bytes(119, 1, 0))).toThrow(TrailingBytesError);
    expect(() => epmd('Response', bytes(119, 0))).toThrow();
  });

  test('[V] NAMES_REQ and NAMES_RESP', () => {
    const req = epmd('Request', bytes(0, 1, 110));
    expect(req.request.tag).toBe(110);
    expect(Object.keys(req.request.body).filter((k) => !k.startsWith('_'))).toEqual([]);
    const resp = epmd('NamesResp', bytes(0, 0, 17, 17, 'name a at port 40725\n'));
    expect(resp.epmdPortNo).toBe(4369);
    expect(text(resp.nodeInfo)).toBe('name a at port 40725\n');
  });

  test('DUMP_REQ, KILL_REQ, STOP_REQ and their answers', () => {
    expect(epmd('Request', bytes(0, 1, 100)).request.tag).toBe(100);
    expect(epmd('Request', bytes(0, 1, 107)).request.tag).toBe(107);
    const stop = epmd('Request', bytes(0, 2, 115, 'a'));
    expect(stop.request.tag).toBe(115);
    expect(text(stop.request.body.nodeName)).toBe('a');
    expect(text(epmd('KillResp', bytes('OK')).okString)).toBe('OK');
    expect(text(epmd('StopResp', bytes('NOEXIST')).okString)).toBe('NOEXIST');
    const dump = epmd('DumpResp', bytes(0, 0, 17, 17, 'active name     <a> at port 40725, fd = 7\n', 0));
    expect(dump.epmdPortNo).toBe(4369);
  });

  test('malformed requests are rejected', () => {
    // Not a request tag (a response tag, and an unused one).
    expect(() => epmd('Request', bytes(0, 1, 118))).toThrow(/not in the enum/i);
    expect(() => epmd('Request', bytes(0, 1, 99))).toThrow(/not in the enum/i);
    expect(() => epmd('Response', bytes(120, 0))).toThrow(/not in the enum/i);
    // The envelope promises more than there is, or less than the request needs.
    expect(() => epmd('Request', bytes(0, 16, 120, 0, 0, 72, 0, 0, 6, 0, 6, 0, 2, 'py', 0, 0))).toThrow();
    expect(() => epmd('Request', bytes(0, 14, 120, 0, 0, 72, 0, 0, 6, 0, 6, 0, 2, 'py', 0))).toThrow();
    // Bytes inside the envelope that the request does not use.
    expect(() => epmd('Request', bytes(0, 2, 110, 0))).toThrow(TrailingBytesError);
    expect(() => epmd('Request', bytes(0, 16, 120, 0, 0, 72, 0, 0, 6, 0, 6, 0, 2, 'py', 0, 0, 0))).toThrow(TrailingBytesError);
    // Two requests are two envelopes, not one.
    expect(() => epmd('Request', bytes(0, 1, 110, 0, 1, 110))).toThrow(TrailingBytesError);
  });
});

describe('connected-phase framing (erlang-dist-protocol.md §3.1-3.3)', () => {
  // [V] §3.1: REG_SEND {6, Pid, '', net_kernel} + {'$gen_call', {Pid, Ref}, {is_auth, 'ts@h'}}, node ts@h, creation 4.
  const pid = bytes(88, 119, 4, 'ts@h', 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4);
  const ctl = bytes(104, 4, 97, 6, pid, 119, 0, 119, 10, 'net_kernel');
  const ref = bytes(90, 0, 3, 119, 4, 'ts@h', 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3);
  const msg = bytes(104, 3, 119, 9, '$gen_call', 104, 2, pid, ref, 104, 2, 119, 7, 'is_auth', 119, 4, 'ts@h');

  test('a tick is a frame of length 0', () => {
    const tick = framing('ConnectedFrame', bytes(0, 0, 0, 0));
    expect(tick.length).toBe(0);
    expect(list(tick.packet)).toEqual([]);
    expect(() => framing('ConnectedFrame', bytes(0, 0, 0, 0, 0))).toThrow(TrailingBytesError);
    expect(() => framing('ConnectedFrame', bytes(0, 0, 0))).toThrow();
  });

  test("[V] pass-through 'p': each term keeps its 131", () => {
    const frame = framing('ConnectedFrame', bytes(0, 0, 0, 116, 112, 131, ctl, 131, msg));
    expect(frame.length).toBe(116);
    const packet = framing('Packet', frame.packet);
    expect(packet.tag).toBe(112);
    expect(packet.tag).toBe(members(Framing, 'PacketTag')['PASS_THROUGH']);
    expect(list(packet.body.terms)).toEqual(list(bytes(131, ctl, 131, msg)));
  });

  test('[V] distribution header with no atom cache refs: 131 68 0, then the terms without 131', () => {
    const frame = framing('ConnectedFrame', bytes(0, 0, 0, 116, 131, 68, 0, ctl, msg));
    expect(frame.length).toBe(116);
    const packet = framing('Packet', frame.packet);
    expect(packet.tag).toBe(131);
    expect(packet.body.tag).toBe(68);
    const header = packet.body.header;
    expect(header.atomCache.numberOfAtomCacheRefs).toBe(0);
    expect(header.atomCache.flags).toEqual([]);
    expect(header.atomCache.atomCacheRefs).toEqual([]);
    expect(header.atomCache.longAtoms).toBe(false);
    expect(list(header.payload)).toEqual(list(bytes(ctl, msg)));
  });

  test('[V] distribution header with 5 cached refs (flags 0x40, 0x22, 0x02)', () => {
    const packet = framing('Packet', bytes(131, 68, 5, 64, 34, 2, 58, 105, 124, 108, 109, 104, 3, 97, 22, 88, 82, 0));
    const cache = packet.body.header.atomCache;
    expect(cache.numberOfAtomCacheRefs).toBe(5);
    expect(cache.flags).toEqual([0x40, 0x22, 0x02]);
    expect(cache.longAtoms).toBe(false);
    const refs = cache.atomCacheRefs as KaitaiObject[];
    expect(refs.map((r) => r.atomCacheReferenceIndex)).toEqual([0, 1, 2, 3, 4]);
    expect(refs.map((r) => r.segmentIndex)).toEqual([0, 4, 2, 2, 2]);
    expect(refs.map((r) => r.internalSegmentIndex)).toEqual([58, 105, 124, 108, 109]);
    expect(refs.map((r) => r.newCacheEntryFlag)).toEqual([false, false, false, false, false]);
    expect(refs.map((r) => r.atomText)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(list(packet.body.header.payload)).toEqual([104, 3, 97, 22, 88, 82, 0]);
  });

  test('[V] distribution header with new atoms (flags 0x40, 0xAA, 0xAA, 0x0C)', () => {
    const long = 'x'.repeat(255);
    const input = bytes(131, 68, 7, 64, 170, 170, 12, 58, 105, 124, 5, 'atoms', 108, 3, 'foo', 109, 3, 'bar', 107, 6, 'héllo', 108, 255, long);
    const cache = framing('Packet', input).body.header.atomCache;
    const refs = cache.atomCacheRefs as KaitaiObject[];
    expect(cache.longAtoms).toBe(false);
    expect(refs.map((r) => r.newCacheEntryFlag)).toEqual([false, false, true, true, true, true, true]);
    expect(refs.map((r) => r.segmentIndex)).toEqual([0, 4, 2, 2, 2, 2, 4]);
    expect(refs.map((r) => r.internalSegmentIndex)).toEqual([58, 105, 124, 108, 109, 107, 108]);
    expect(refs.map((r) => r.atomText)).toEqual([undefined, undefined, 'atoms', 'foo', 'bar', 'héllo', long]);
    expect(refs[6]!.length).toBe(255);
  });

  test('LongAtoms: the half byte after the last ref switches atom lengths to 2 bytes', () => {
    // One ref: low nibble 0xA (new, segment 2), high nibble 0x1 (LongAtoms).
    const atom = 'y'.repeat(300);
    const cache = framing('Packet', bytes(131, 68, 1, 0x1a, 7, 1, 44, atom)).body.header.atomCache;
    expect(cache.longAtoms).toBe(true);
    const [ref] = cache.atomCacheRefs as KaitaiObject[];
    expect([ref!.newCacheEntryFlag, ref!.segmentIndex, ref!.internalSegmentIndex, ref!.length, ref!.atomText]).toEqual([true, 2, 7, 300, atom]);
    // Without LongAtoms the same bytes are a 1-byte atom (',') and the rest is payload.
    const short = framing('Packet', bytes(131, 68, 1, 0x0a, 7, 1, 44, atom)).body.header;
    expect(short.atomCache.longAtoms).toBe(false);
    expect(short.atomCache.atomCacheRefs[0].atomText).toBe(',');
    expect(text(short.payload)).toBe(atom);
  });

  test('[doc] a fragmented message: start fragment 69 and continuation 70', () => {
    // erl_ext_dist.md "Distribution Header for fragmented messages" (also seen live, §3.3).
    const seq = [0, 0, 2, 168, 0, 0, 5, 83];
    const start = bytes(
      [131, 69],
      seq,
      [0, 0, 0, 0, 0, 0, 0, 2],
      [5, 4, 137, 9, 10, 5, 236, 3],
      'reg',
      [9, 4],
      'call',
      [238, 13],
      'set_get_state',
      [104, 4, 97, 6, 103, 82, 0, 0, 0, 0, 85, 0, 0, 0, 0, 2, 82, 1, 82, 2],
      [104, 3, 82, 3, 103, 82, 0, 0, 0, 0, 245, 0, 0, 0, 2, 2, 104, 2, 82, 4, 109, 0, 0, 0, 128],
      new Uint8Array(75),
    );
    const packet = framing('Packet', start);
    expect(packet.body.tag).toBe(69);
    const header = packet.body.header;
    expect(header.sequenceId).toBe(0x2a8_0000_0553);
    expect(header.fragmentId).toBe(2);
    const refs = header.atomCache.atomCacheRefs as KaitaiObject[];
    expect(header.atomCache.flags).toEqual([4, 137, 9]);
    expect(refs.map((r) => r.newCacheEntryFlag)).toEqual([false, false, true, true, true]);
    expect(refs.map((r) => r.segmentIndex)).toEqual([4, 0, 1, 0, 1]);
    expect(refs.map((r) => r.internalSegmentIndex)).toEqual([10, 5, 236, 9, 238]);
    expect(refs.map((r) => r.atomText)).toEqual([undefined, undefined, 'reg', 'call', 'set_get_state']);
    expect(header.fragment[0]).toBe(104);
    expect(header.fragment.length).toBe(20 + 25 + 75);

    const cont = framing('Packet', bytes(131, 70, seq, [0, 0, 0, 0, 0, 0, 0, 1], new Uint8Array(25)));
    expect(cont.body.tag).toBe(70);
    expect(cont.body.header.sequenceId).toBe(0x2a8_0000_0553);
    expect(cont.body.header.fragmentId).toBe(1);
    expect(list(cont.body.header.fragment)).toEqual(new Array(25).fill(0));
  });

  test('malformed packets are rejected', () => {
    // Neither 'p' nor 131; after 131 neither 68, 69 nor 70 (70 is never NEW_FLOAT_EXT here).
    expect(() => framing('Packet', bytes(113, 131, 106))).toThrow(/not in the enum/i);
    expect(() => framing('Packet', bytes(131, 104, 0))).toThrow(/not in the enum/i);
    // Two refs announced, flags and one ref only.
    expect(() => framing('Packet', bytes(131, 68, 2, 0, 58))).toThrow();
    // A new atom longer than the packet.
    expect(() => framing('Packet', bytes(131, 68, 1, 0x08, 1, 5, 'abc'))).toThrow();
    // Fragment headers cut inside their 64-bit ids.
    expect(() => framing('Packet', bytes(131, 69, 0, 0, 2, 168))).toThrow();
    expect(() => framing('Packet', bytes(131, 70, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0))).toThrow();
  });
});
