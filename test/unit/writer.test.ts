/**
 * Unit tier: what encode's results keep alive. Small results share a slab
 * (no copy); large ones are exact-size copies, so a stream of 64 KB terms
 * never pins more than it returns (the benchmark once saw 256 MB behind each).
 */
import { describe, expect, it } from 'vitest';
import { atom, decode, encode, equals, Fun, Pid, tuple } from '../../runtime/index.js';

describe('encode output buffers', () => {
  it('returns 64 KB terms as exact-size buffers, however many are encoded', () => {
    const blob = new Uint8Array(65536).fill(7);
    for (let i = 0; i < 300; i++) {
      const out = encode(tuple(atom('blob'), i, blob));
      expect(out.buffer.byteLength).toBe(out.length);
    }
  });

  it('lets small results share a slab without ever overwriting an earlier one', () => {
    const outs = Array.from({ length: 5000 }, (_, i) => encode(tuple(atom('n'), i, `v${i}`)));
    expect(new Set(outs.map((o) => o.buffer)).size).toBeLessThan(outs.length / 100);
    outs.forEach((o, i) => expect(equals(decode(o), tuple(atom('n'), i, `v${i}`))).toBe(true));
  });

  it('back-patches a fun Size correctly when the buffer grows in the middle of the fun', () => {
    const pid = new Pid(atom('a@h'), 1, 0, 4);
    const fun = new Fun(1, new Uint8Array(16), 0, atom('m'), 0, 0, pid, [new Uint8Array(200_000).fill(1)]);
    for (let i = 0; i < 3; i++) {
      encode(new Uint8Array(60_000)); // leave the slab nearly full
      expect(equals(decode(encode(fun)), fun)).toBe(true);
    }
  });
});
