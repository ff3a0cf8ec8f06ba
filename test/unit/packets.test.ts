/**
 * Unit tier: connected-phase packets (runtime/connection/packets.ts) on the
 * REG_SEND that OTP 25 accepted in both forms (erlang-dist-protocol.md 3.1),
 * the atom cache of the distribution header (3.2), fragments (3.3), and
 * malformed packets.
 */
import { describe, expect, it } from 'vitest';
import { Dflag } from '../../generated/handshake.js';
import { control, parseControl } from '../../generated/control.js';
import { atom, DecodeError, equals, Pid, Reference, tuple, type Term } from '../../runtime/index.js';
import { PacketReader, PacketWriter } from '../../runtime/connection/packets.js';

const bytes = (...parts: (number | string)[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'number' ? [p] : [...Buffer.from(p, 'latin1')])));

const pid = new Pid(atom('ts@h'), 1, 0, 4);
const ref = new Reference(atom('ts@h'), 4, [1, 2, 3]);
const ping = tuple(atom('$gen_call'), tuple(pid, ref), tuple(atom('is_auth'), atom('ts@h')));
const ctlBytes = [104, 4, 97, 6, 88, 119, 4, 'ts@h', 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4, 119, 0, 119, 10, 'net_kernel'] as const;
const msgBytes = [104, 3, 119, 9, '$gen_call', 104, 2, 88, 119, 4, 'ts@h', 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4, 90, 0, 3, 119, 4, 'ts@h', 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 104, 2, 119, 7, 'is_auth', 119, 4, 'ts@h'] as const;
const pForm = bytes(0, 0, 0, 116, 112, 131, ...ctlBytes, 131, ...msgBytes);
const dhForm = bytes(0, 0, 0, 116, 131, 68, 0, ...ctlBytes, ...msgBytes);

describe('PacketWriter', () => {
  it("writes the 'p' form when neither DIST_HDR_ATOM_CACHE nor FRAGMENTS was negotiated, byte for byte as OTP accepted it", () => {
    expect(new PacketWriter(Dflag.SPAWN | Dflag.UNLINK_ID).write(control.regSend(pid, atom('net_kernel')), ping)).toEqual([pForm]);
  });

  it('writes the 131 68 header (no atom-cache refs) once FRAGMENTS is negotiated', () => {
    expect(new PacketWriter(Dflag.FRAGMENTS).write(control.regSend(pid, atom('net_kernel')), ping)).toEqual([dhForm]);
  });
});

describe('PacketReader', () => {
  for (const [form, packet] of [['p', pForm], ['131 68', dhForm]] as const)
    it(`reads the ${form} form`, () => {
      const r = new PacketReader().read(packet.subarray(4));
      expect(r.kind).toBe('signal');
      if (r.kind !== 'signal') return;
      expect(parseControl(r.control)).toEqual({ kind: 'reg_send', from: pid, toName: atom('net_kernel') });
      expect(equals(r.payload!, ping)).toBe(true);
    });

  it('a packet of length 0 is a tick', () => {
    expect(new PacketReader().read(new Uint8Array(0))).toEqual({ kind: 'tick' });
  });

  it('keeps atoms of the header cache across packets (new entries, then refs to them)', () => {
    const reader = new PacketReader();
    // 2 refs, both NewCacheEntry in segment 0 (nibble 8 each), then the LongAtoms nibble 0.
    const first = bytes(131, 68, 2, 0x88, 0x00, 5, 4, 'ts@h', 6, 10, 'net_kernel',
      104, 4, 97, 6, 88, 82, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4, 119, 0, 82, 1, 106);
    const again = bytes(131, 68, 2, 0x00, 0x00, 5, 6, 104, 4, 97, 6, 88, 82, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4, 119, 0, 82, 1, 106);
    for (const p of [first, again]) {
      const r = reader.read(p);
      if (r.kind !== 'signal') throw new Error('no signal');
      expect(parseControl(r.control)).toEqual({ kind: 'reg_send', from: pid, toName: atom('net_kernel') });
      expect(r.payload).toEqual([]);
    }
    // A third connection's reader has no such entries.
    expect(() => new PacketReader().read(again)).toThrow(/empty cache slot/);
  });

  it('reassembles a 1 MB message from 64 KiB fragments, and interleaved sequences', () => {
    const writer = new PacketWriter(Dflag.FRAGMENTS);
    const big = tuple(atom('blob'), new Uint8Array(1_000_000).fill(9));
    const a = writer.write(control.send(pid), big);
    const b = writer.write(control.send(pid), tuple(atom('other'), new Uint8Array(200_000).fill(1)));
    expect(a.length).toBe(16);
    expect(a[0]![5]).toBe(69);
    expect(a[1]![5]).toBe(70);
    const reader = new PacketReader();
    const results: Term[] = [];
    const order = [...a.slice(0, 8), ...b, ...a.slice(8)]; // a's and b's fragments interleave
    for (const p of order) {
      const r = reader.read(p.subarray(4));
      if (r.kind === 'signal') results.push(r.payload!);
      else expect(r.kind).toBe('partial');
    }
    expect(results.length).toBe(2);
    expect(equals(results[1]!, big)).toBe(true);
    expect(reader.fragments.buffered).toBe(0);
  });

  it('caps the bytes held in unfinished fragments', () => {
    const packets = new PacketWriter(Dflag.FRAGMENTS).write(control.send(pid), new Uint8Array(300_000));
    const reader = new PacketReader({}, 100_000);
    expect(() => packets.forEach((p) => reader.read(p.subarray(4)))).toThrow(/limit 100000/);
  });

  it.each([
    ['an unknown packet type', bytes(131, 71, 0), 'BAD_TAG'],
    ['a header cut short', bytes(131, 68, 3, 0x88), 'TRUNCATED'],
    ['a continuation of an unknown sequence', bytes(131, 70, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1, 106), 'BAD_VALUE'],
    ['a control message followed by two terms', bytes(112, 131, 106, 131, 106, 131, 106), 'TRAILING_BYTES'],
    ['an atom-cache ref in the p form', bytes(112, 131, 82, 0), 'ATOM_CACHE_REF'],
  ])('refuses %s with a DecodeError', (_what, p, code) => {
    let err: unknown;
    try {
      new PacketReader().read(p);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as DecodeError).code).toBe(code);
  });
});
