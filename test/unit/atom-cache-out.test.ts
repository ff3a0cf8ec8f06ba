/**
 * Unit tier: the send side of the distribution header's atom cache
 * (runtime/connection/atom-cache.ts OutAtomCache, through PacketWriter with
 * DIST_HDR_ATOM_CACHE): the golden bytes of a first packet and of a later
 * one, what PacketReader (the receive side, checked against OTP's headers)
 * reads back across packets and fragments, the limits (2048 slots, 255 refs
 * a packet, long atoms inline), and a failed encode announcing nothing.
 * Also writeEncoded (a payload encoded before the connection was up) in
 * every form.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { control, parseControl } from '../../generated/control.js';
import { Dflag } from '../../generated/handshake.js';
import { PacketReader, PacketWriter } from '../../runtime/connection/packets.js';
import { atom, DecodeError, encode, EncodeError, equals, Pid, tuple, type Term } from '../../runtime/index.js';

const CACHE = Dflag.DIST_HDR_ATOM_CACHE | Dflag.FRAGMENTS;
const pid = new Pid(atom('ts@h'), 1, 0, 4);
const concat = (runs: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(runs));
const bytes = (...parts: (number | string)[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'number' ? [p] : [...Buffer.from(p, 'latin1')])));

/** Reads every framed packet of `runs` with `reader`; returns the signals' [control, payload]. */
function readAll(reader: PacketReader, runs: Uint8Array[]): [Term, Term | undefined][] {
  const all = concat(runs);
  const out: [Term, Term | undefined][] = [];
  for (let pos = 0; pos < all.length; ) {
    const len = new DataView(all.buffer, all.byteOffset + pos).getUint32(0);
    const r = reader.read(all.subarray(pos + 4, pos + 4 + len));
    if (r.kind === 'signal') out.push([r.control, r.payload]);
    pos += 4 + len;
  }
  return out;
}

describe('PacketWriter with DIST_HDR_ATOM_CACHE', () => {
  it('announces an atom once (NewCacheEntry, its text) and refers to it by slot after, byte for byte', () => {
    const w = new PacketWriter(CACHE);
    const send = (): Uint8Array => concat(w.write(control.regSend(pid, atom('net_kernel')), []));
    const ctl = [104, 4, 97, 6, 88, 82, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4, 82, 1, 82, 2, 106] as const;
    // {6, Pid, '', net_kernel} then []: refs 0 'ts@h' (slot 0), 1 '' (slot 1), 2 net_kernel (slot 2), all new.
    expect(send()).toEqual(bytes(0, 0, 0, 49, 131, 68, 3, 0x88, 0x08, 0, 4, 'ts@h', 1, 0, 2, 10, 'net_kernel', ...ctl));
    // The same atoms again: segment 0, no text.
    expect(send()).toEqual(bytes(0, 0, 0, 32, 131, 68, 3, 0x00, 0x00, 0, 1, 2, ...ctl));
  });

  it('what it writes reads back through one reader across packets, with new atoms mixed in, and fragmented', () => {
    const w = new PacketWriter(CACHE);
    const reader = new PacketReader();
    const msgs: Term[] = [
      tuple(atom('seq'), 1, atom('a')),
      tuple(atom('seq'), 2, atom('b'), [atom('a'), atom('ünïcödé')]),
      tuple(atom('blob'), new Uint8Array(300_000).fill(7), atom('c')), // fragmented: the header goes in the first fragment
      tuple(atom('seq'), 3, atom('c'), atom('blob')),
    ];
    const got = msgs.flatMap((m) => readAll(reader, w.write(control.sendSender(pid, pid), m)));
    expect(got.map(([c]) => parseControl(c))).toEqual(msgs.map(() => ({ kind: 'send_sender', from: pid, to: pid })));
    got.forEach(([, p], i) => expect(equals(p!, msgs[i]!)).toBe(true));
  });

  it('past 255 atoms in a packet and past 2048 slots, the rest go inline and still read back', () => {
    const w = new PacketWriter(CACHE);
    const reader = new PacketReader();
    const many = (from: number, n: number): Term => [...Array(n).keys()].map((i) => atom(`a${from + i}`));
    const msgs = [many(0, 300), ...[...Array(10).keys()].map((k) => many(300 + k * 250, 250)), many(0, 300), tuple(atom('x'.repeat(200)), atom('y'.repeat(86)))];
    for (const m of msgs) {
      const [[, p]] = readAll(reader, w.write(control.sendSender(pid, pid), m)) as [[Term, Term]];
      expect(equals(p, m)).toBe(true);
    }
  });

  it('a failed encode announces nothing: the next packet sends the atom text again', () => {
    const w = new PacketWriter(CACHE);
    const reader = new PacketReader();
    expect(() => w.write(control.sendSender(pid, pid), tuple(atom('fresh'), Symbol('no') as unknown as Term))).toThrow(EncodeError);
    const [[, p]] = readAll(reader, w.write(control.sendSender(pid, pid), atom('fresh'))) as [[Term, Term]];
    expect(p).toBe(atom('fresh'));
  });
});

describe('PacketWriter.writeEncoded', () => {
  const forms = [
    ['p', 0n],
    ['131 68 without refs', Dflag.FRAGMENTS],
    ['131 68 with the atom cache', CACHE],
  ] as const;
  for (const [form, flags] of forms)
    it(`in the ${form} form reads back as write's packets do, fragmented too`, () => {
      const w = new PacketWriter(flags);
      const reader = new PacketReader();
      const msgs: Term[] = [tuple(atom('seq'), 1, atom('a')), tuple(atom('blob'), new Uint8Array(200_000).fill(3)), atom('a')];
      for (const m of msgs) {
        const [[c, p]] = readAll(reader, w.writeEncoded(control.sendSender(pid, pid), encode(m))) as [[Term, Term]];
        expect(parseControl(c)).toEqual({ kind: 'send_sender', from: pid, to: pid });
        expect(equals(p, m)).toBe(true);
      }
    });

  it('is byte for byte what write makes, without the atom cache', () => {
    const m = tuple(atom('$gen_call'), 'user:1', [1, 2]);
    for (const flags of [0n, Dflag.FRAGMENTS])
      expect(concat(new PacketWriter(flags).writeEncoded(control.regSend(pid, atom('x')), encode(m)))).toEqual(concat(new PacketWriter(flags).write(control.regSend(pid, atom('x')), m)));
  });
});

describe('AtomCache.readHeader on bytes from nowhere', () => {
  it('a cut or mutated header is a DecodeError, never another error, and the reader still reads a good packet after', () => {
    const good = concat(new PacketWriter(CACHE).write(control.sendSender(pid, pid), tuple(atom('seq'), 1, atom('ünï'))));
    fc.assert(
      fc.property(fc.integer({ min: 4, max: good.length }), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }), (cut, flips) => {
        const p = good.slice(4, cut);
        for (const [at, v] of flips) if (p.length > 2) p[2 + (at % (p.length - 2))] = v;
        const reader = new PacketReader();
        try {
          reader.read(p);
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
        expect(reader.read(good.subarray(4)).kind).toBe('signal');
      }),
      { numRuns: 2000 },
    );
  });
});
