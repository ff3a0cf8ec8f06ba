/** Unit tier: the stream splitter every socket reader uses. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../runtime/index.js';
import { frame, FrameReader } from '../../runtime/wire/frames.js';

describe('FrameReader', () => {
  it('gives back the frames whatever the chunking (2- and 4-byte headers)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<2 | 4>(2, 4),
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }),
        (h, payloads, cuts) => {
          const stream = Buffer.concat(payloads.map((p) => frame(h, p)));
          const r = new FrameReader(h);
          const got: Uint8Array[] = [];
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const n = cuts[i % cuts.length]!;
            got.push(...r.push(stream.subarray(at, at + n)));
            at += n;
          }
          expect(got.map((g) => Buffer.from(g).toString('hex'))).toEqual(payloads.map((p) => Buffer.from(p).toString('hex')));
          expect(r.takeRest().length).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a 4-byte frame of length 0 is a tick (an empty frame)', () => {
    expect(new FrameReader(4).push(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 1, 7))).toEqual([new Uint8Array(0), Uint8Array.of(7)]);
  });

  it('refuses a length over the limit as soon as the header arrives, buffering nothing of it', () => {
    const r = new FrameReader(4, { maxFrame: 1024 });
    expect(() => r.push(Uint8Array.of(0xff, 0xff, 0xff, 0xff))).toThrow(DecodeError);
  });

  it('hands on the bytes after the last frame when the framing changes', () => {
    const r = new FrameReader(2);
    // The last handshake frame, then the first bytes of a 4-byte frame in the same segment.
    expect(r.push(Uint8Array.of(0, 1, 97, 0))).toEqual([Uint8Array.of(97)]);
    expect([...r.takeRest()]).toEqual([0]);
  });
});
