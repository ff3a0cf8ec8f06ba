/**
 * Unit tier: limits that need inputs too large for the fuzz campaigns.
 */
import { describe, expect, it } from 'vitest';
import { decode, DecodeError } from '../../runtime/index.js';
import { MAX_BIG_BYTES } from '../../runtime/term/build.js';

function largeBig(n: number): Uint8Array {
  const b = new Uint8Array(7 + n).fill(0x5a);
  b.set([131, 111, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255, 0]);
  return b;
}

describe('LARGE_BIG_EXT size', () => {
  it("decodes a bignum of OTP's maximum size (BIG_ARITY_MAX words)", () => {
    const v = decode(largeBig(MAX_BIG_BYTES));
    expect(typeof v).toBe('bigint');
    expect((v as bigint) > 0n).toBe(true);
  });

  it('refuses one byte more with BAD_LENGTH at the tag, before converting anything', () => {
    let err: unknown;
    try {
      decode(largeBig(MAX_BIG_BYTES + 1));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DecodeError);
    expect(err).toMatchObject({ code: 'BAD_LENGTH', offset: 1 });
  });
});
