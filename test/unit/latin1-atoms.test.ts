/**
 * Latin-1 atoms (ATOM_EXT, SMALL_ATOM_EXT, and node names inside pids) decode
 * byte = code point, 0x80–0x9F included: ISO-8859-1, as Erlang means it, not
 * windows-1252, which is what WHATWG's TextDecoder('latin1') is.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Atom, decode, Pid } from '../../runtime/index.js';
import { latin1Decode } from '../../runtime/wire/utf8.js';

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const codePoints = (s: string): number[] => [...s].map((c) => c.codePointAt(0)!);
const nameOf = (t: unknown): string => {
  if (!(t instanceof Atom)) throw new Error(`not an atom: ${String(t)}`);
  return t.name;
};

describe('latin-1 atoms decode to the code points of their bytes', () => {
  it('ATOM_EXT from erl: term_to_binary(list_to_atom(lists:seq(16#80, 16#FF)), [{minor_version, 0}])', () => {
    // Captured from OTP 25; 128 bytes, past the short-string cache.
    const bytes = Uint8Array.from([131, 100, 0, 128, ...range(0x80, 0xff)]);
    expect(codePoints(nameOf(decode(bytes)))).toEqual(range(0x80, 0xff));
    // term_to_binary(list_to_atom([16#80, 16#E9]), [{minor_version, 0}]): a short one.
    expect(codePoints(nameOf(decode(Uint8Array.of(131, 100, 0, 2, 128, 233))))).toEqual([0x80, 0xe9]);
  });

  it('SMALL_ATOM_EXT with 0x80–0x9F and 0xA0–0xFF, each side of the 32-byte cache', () => {
    for (const body of [range(0x80, 0x9f), [...range(0x80, 0x9f), 0x41], range(0xa0, 0xff), [0x9f, 0x80, 0xff, 0xa0]]) {
      const name = nameOf(decode(Uint8Array.from([131, 115, body.length, ...body])));
      expect(codePoints(name)).toEqual(body);
    }
  });

  it('a node name in a NEW_PID_EXT', () => {
    const node = [...Buffer.from('n\xf6de', 'latin1'), 0x85, 0x40, ...Buffer.from('h\xf6st', 'latin1')];
    const bytes = Uint8Array.from([131, 88, 115, node.length, ...node, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 3]);
    const pid = decode(bytes);
    expect(pid).toBeInstanceOf(Pid);
    expect(codePoints((pid as Pid).node.name)).toEqual(node);
  });

  it('latin1Decode: every byte, lengths 1..300, in views at an offset, Buffer or not', () => {
    const backing = new Uint8Array(4 + 300 + 4);
    for (let i = 0; i < 300; i++) backing[4 + i] = (i * 151 + 0x80) & 0xff; // every byte value, 0x80–0x9F early
    for (const view of [backing.subarray(4), Buffer.from(backing.buffer, 4, 300)]) {
      for (let len = 1; len <= 300; len++) {
        const start = len % 3;
        const end = Math.min(start + len, 300);
        expect(codePoints(latin1Decode(view, start, end))).toEqual([...view.subarray(start, end)]);
      }
    }
  });
});

describe('latin1Decode does not lean on TextDecoder', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  it('still right when TextDecoder follows WHATWG (latin1 = windows-1252, as Node ≤ 20.18.2 and browsers do)', async () => {
    const Real = globalThis.TextDecoder;
    // WHATWG windows-1252 for 0x80–0x9F; Node 20.20 happens to decode these as ISO-8859-1, which hid the bug.
    const cp1252 = [0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178];
    class WhatwgTextDecoder extends Real {
      override decode(...args: Parameters<InstanceType<typeof Real>['decode']>): string {
        const [input] = args;
        if (this.encoding !== 'windows-1252') return super.decode(...args);
        const bytes = input instanceof Uint8Array ? input : new Uint8Array(input as ArrayBuffer);
        return String.fromCodePoint(...[...bytes].map((b) => (b >= 0x80 && b <= 0x9f ? cp1252[b - 0x80]! : b)));
      }
    }
    vi.stubGlobal('TextDecoder', WhatwgTextDecoder);
    vi.resetModules();
    const fresh = await import('../../runtime/wire/utf8.js');
    const bytes = Uint8Array.from([...range(0x80, 0x9f), ...range(0x80, 0x9f)]); // 64 bytes: past the cache
    expect(codePoints(fresh.latin1Decode(bytes, 0, bytes.length))).toEqual([...bytes]);
  });
});
