/**
 * Conformance against vectors captured from OTP 25's `term_to_binary/1,2`
 * (test/fixtures/etf-golden.json, made by `npm run fixtures`).
 *
 * For every case:
 * - `t2b` (Latin-1 atoms as ATOM_EXT), `t2b_utf8` (UTF-8 atoms), `t2b_minor0`
 *   (FLOAT_EXT) and `compressed` all decode to one term (`equals`);
 * - re-encoding that term gives Erlang's bytes where Erlang's encoding is
 *   canonical, i.e. byte-identical to `t2b_utf8` (beamwire writes UTF-8 atoms,
 *   as `{minor_version, 2}` and the distribution do). The exception is a term
 *   holding a map of two or more keys: OTP writes those in its internal order
 *   (term order for ≤ 32 keys on OTP 25, atom index on OTP 26+, HAMT hash
 *   order beyond 32), which no encoder is bound to reproduce. Those cases are
 *   compared by term equality here (decode(encode(t)) `equals` t) and by
 *   Erlang itself (`=:=`) in test/interop/roundtrip.test.ts;
 * - `compressed` (zlib output is not canonical either) is compared by term.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  atom,
  BitBinary,
  decode,
  encode,
  equals,
  ExportFun,
  Float,
  Fun,
  ImproperList,
  Pid,
  Port,
  Reference,
  Tuple,
  type Term,
} from '../../runtime/index.js';
import { hasMultiKeyMap } from '../support/terms.js';

interface GoldenCase {
  readonly name: string;
  readonly erlang: string;
  readonly t2b: string;
  readonly t2b_utf8: string;
  readonly compressed?: string;
  readonly t2b_minor0?: string;
}

const cases: readonly GoldenCase[] = JSON.parse(
  readFileSync(new URL('../fixtures/etf-golden.json', import.meta.url), 'utf8'),
) as GoldenCase[];
const byName = new Map(cases.map((c) => [c.name, c]));

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
const hexOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

function golden(name: string): GoldenCase {
  const c = byName.get(name);
  if (c === undefined) throw new Error(`no golden case named ${JSON.stringify(name)}; rerun npm run fixtures?`);
  return c;
}

/** The term of a case, decoded from its UTF-8-atom encoding. */
const termOf = (name: string): Term => decode(bytes(golden(name).t2b_utf8));


/** Byte equality with a message that points at the first difference, not a 200 KB diff. */
function expectSameBytes(ours: Uint8Array, erlangHex: string): void {
  const theirs = bytes(erlangHex);
  let at = 0;
  while (at < ours.length && at < theirs.length && ours[at] === theirs[at]) at++;
  if (at === ours.length && at === theirs.length) return;
  const window = (b: Uint8Array) => hexOf(b.subarray(Math.max(0, at - 8), at + 16));
  expect.fail(
    `encode differs from term_to_binary at byte ${at} (ours ${ours.length} bytes, Erlang's ${theirs.length}):\n` +
      `  ours:    …${window(ours)}\n  Erlang:  …${window(theirs)}`,
  );
}

describe('golden vectors from OTP 25 term_to_binary', () => {
  it('cover every tag OTP 25 emits', () => {
    const tags = new Set<number>();
    for (const c of cases) for (const hex of [c.t2b, c.t2b_utf8, c.compressed, c.t2b_minor0]) if (hex) tags.add(bytes(hex)[1]!);
    expect([...tags].sort((a, b) => a - b)).toEqual([
      70, 77, 80, 88, 89, 90, 97, 98, 99, 100, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 116, 118, 119, 120,
    ]);
  });

  describe.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    it('decodes the same term from every encoding Erlang made of it', () => {
      const term = decode(bytes(c.t2b_utf8));
      expect(equals(decode(bytes(c.t2b)), term), 't2b (ATOM_EXT atoms) vs t2b_utf8').toBe(true);
      if (c.compressed !== undefined) expect(equals(decode(bytes(c.compressed)), term), 'compressed').toBe(true);
      if (c.t2b_minor0 !== undefined) expect(equals(decode(bytes(c.t2b_minor0)), term), 'FLOAT_EXT').toBe(true);
    });

    const canonical = !hasMultiKeyMap(decode(bytes(c.t2b_utf8)));
    it(canonical ? 're-encodes to the same bytes as term_to_binary(T, [{minor_version, 2}])' : 're-encodes to an equal term (map key order is not canonical)', () => {
      const term = decode(bytes(c.t2b_utf8));
      const ours = encode(term);
      if (canonical) expectSameBytes(ours, c.t2b_utf8);
      expect(equals(decode(ours), term)).toBe(true);
    });
  });
});

describe('decoded values of the golden vectors', () => {
  it('integers: number up to 2^53-1, bigint beyond, both signs', () => {
    expect(termOf('int/0')).toBe(0);
    expect(termOf('int/255 SMALL_INTEGER_EXT max')).toBe(255);
    expect(termOf('int/256 INTEGER_EXT')).toBe(256);
    expect(termOf('int/-1')).toBe(-1);
    expect(termOf('int/-2^31 INTEGER_EXT min')).toBe(-(2 ** 31));
    expect(termOf('int/2^31 SMALL_BIG_EXT')).toBe(2 ** 31);
    expect(termOf('int/-2^31-1 SMALL_BIG_EXT')).toBe(-(2 ** 31) - 1);
    expect(termOf('int/2^53-1 largest JS safe integer')).toBe(Number.MAX_SAFE_INTEGER);
    expect(termOf('int/-(2^53-1)')).toBe(-Number.MAX_SAFE_INTEGER);
    expect(termOf('int/2^53')).toBe(2n ** 53n);
    expect(termOf('int/-2^53')).toBe(-(2n ** 53n));
    expect(termOf('int/2^64')).toBe(18446744073709551616n);
    expect(termOf('int/-2^64')).toBe(-18446744073709551616n);
    expect(termOf('int/2^2040-1 SMALL_BIG_EXT 255 digits')).toBe(2n ** 2040n - 1n);
    expect(termOf('int/2^2040 LARGE_BIG_EXT 256 digits')).toBe(2n ** 2040n);
    expect(termOf('int/2^2100 LARGE_BIG_EXT')).toBe(2n ** 2100n);
    expect(termOf('int/-2^2100 LARGE_BIG_EXT')).toBe(-(2n ** 2100n));
  });

  it('floats: integral ones and -0.0 are Float, others plain numbers', () => {
    const one = termOf('float/1.0');
    expect(one).toBeInstanceOf(Float);
    expect((one as Float).value).toBe(1);
    const negZero = termOf('float/-0.0');
    expect(negZero).toBeInstanceOf(Float);
    expect(Object.is((negZero as Float).value, -0)).toBe(true);
    const zero = termOf('float/0.0');
    expect(zero).toBeInstanceOf(Float);
    expect(Object.is((zero as Float).value, 0)).toBe(true);
    expect(equals(negZero, zero)).toBe(false);
    expect(termOf('float/1.5')).toBe(1.5);
    expect(termOf('float/0.1')).toBe(0.1);
    expect(termOf('float/5.0e-324 smallest subnormal')).toBe(5e-324);
    // Every double of magnitude 2^53 or more is integral, so the largest one is a Float too.
    expect((termOf('float/1.7976931348623157e308 largest') as Float).value).toBe(Number.MAX_VALUE);
    expect((termOf('float/1.0e300') as Float).value).toBe(1e300);
    expect((termOf('float/2^53 as float') as Float).value).toBe(2 ** 53);
  });

  it('FLOAT_EXT (minor_version 0) decodes to the same doubles, -0.0 included', () => {
    for (const c of cases.filter((c) => c.t2b_minor0 !== undefined)) {
      const fromText = decode(bytes(c.t2b_minor0!));
      const fromBits = decode(bytes(c.t2b));
      const value = (t: Term) => (t instanceof Float ? t.value : (t as number));
      expect(Object.is(value(fromText), value(fromBits)), c.name).toBe(true);
    }
  });

  it('atoms: interned, the same from ATOM_EXT and UTF-8, booleans as JS booleans', () => {
    expect(termOf('atom/ok')).toBe(atom('ok'));
    expect(termOf('atom/true')).toBe(true);
    expect(termOf('atom/false')).toBe(false);
    expect(termOf('atom/empty')).toBe(atom(''));
    expect(decode(bytes(golden('atom/latin-1 héllo').t2b))).toBe(atom('héllo'));
    expect(termOf('atom/latin-1 héllo')).toBe(atom('héllo'));
    expect(termOf('atom/unicode 日本')).toBe(atom('日本'));
    expect(termOf('atom/4-byte UTF-8 rocket')).toBe(atom('🚀'));
    expect(termOf('atom/255 ascii chars')).toBe(atom('x'.repeat(255)));
    expect(decode(bytes(golden('atom/255 latin-1 é: ATOM_EXT 255 bytes, ATOM_UTF8_EXT 510 bytes').t2b))).toBe(atom('é'.repeat(255)));
    expect(termOf('atom/255 latin-1 é: ATOM_EXT 255 bytes, ATOM_UTF8_EXT 510 bytes')).toBe(atom('é'.repeat(255)));
    expect(termOf('atom/255 chars 日: ATOM_UTF8_EXT 765 bytes')).toBe(atom('日'.repeat(255)));
  });

  it('tuples of 0, 255 and 256 elements', () => {
    expect(termOf('tuple/0 elements')).toEqual(new Tuple([]));
    const t255 = termOf('tuple/255 elements SMALL_TUPLE_EXT max') as Tuple;
    expect(t255).toBeInstanceOf(Tuple);
    expect(t255.size).toBe(255);
    const t256 = termOf('tuple/256 elements LARGE_TUPLE_EXT') as Tuple;
    expect(t256.size).toBe(256);
    expect(t256.at(255)).toBe(256);
  });

  it('lists: STRING_EXT is a list of numbers, up to 65535 long; LIST_EXT beyond', () => {
    expect(termOf('list/nil')).toEqual([]);
    expect(termOf('list/string abc STRING_EXT')).toEqual([97, 98, 99]);
    for (const [name, length] of [
      ['list/65535 small ints STRING_EXT max', 65535],
      ['list/65536 small ints LIST_EXT', 65536],
    ] as const) {
      expect(bytes(golden(name).t2b_utf8)[1]).toBe(length === 65535 ? 107 : 108);
      const list = termOf(name) as number[];
      expect(Array.isArray(list)).toBe(true);
      expect(list.length).toBe(length);
      expect(list.every((x, i) => x === i % 256)).toBe(true);
    }
    expect(termOf('list/unicode charlist 日本')).toEqual([0x65e5, 0x672c]);
  });

  it('improper lists keep their tail', () => {
    const ab = termOf('list/improper [a|b]') as ImproperList;
    expect(ab).toBeInstanceOf(ImproperList);
    expect(ab.elements).toEqual([atom('a')]);
    expect(ab.tail).toBe(atom('b'));
    const l = termOf('list/improper [1,2|3]') as ImproperList;
    expect(l.elements).toEqual([1, 2]);
    expect(l.tail).toBe(3);
  });

  it('binaries and bitstrings', () => {
    expect(termOf('binary/empty')).toEqual(new Uint8Array(0));
    expect(termOf('binary/1,2,3')).toEqual(Uint8Array.of(1, 2, 3));
    const big = termOf('binary/70000 bytes') as Uint8Array;
    expect(big).toBeInstanceOf(Uint8Array);
    expect(big.length).toBe(70000);
    expect(big.every((b, i) => b === (i + 1) % 251)).toBe(true);

    const b12 = termOf('bitstring/<<1,2:4>>') as BitBinary;
    expect(b12).toBeInstanceOf(BitBinary);
    expect([...b12.bytes]).toEqual([1, 0x20]);
    expect(b12.bits).toBe(4);
    expect(b12.bitLength).toBe(12);
    const b1 = termOf('bitstring/<<1:1>>') as BitBinary;
    expect([...b1.bytes]).toEqual([0x80]);
    expect(b1.bitLength).toBe(1);
    expect((termOf('bitstring/<<1,2,3:3>>') as BitBinary).bitLength).toBe(19);
    expect((termOf('bitstring/15 zero bits') as BitBinary).bitLength).toBe(15);
  });

  it('maps: 1 and 1.0 are two keys; > 32 keys all arrive', () => {
    const m = termOf('map/keys 1 and 1.0') as Map<Term, Term>;
    expect(m).toBeInstanceOf(Map);
    expect(m.size).toBe(2);
    const keys = [...m.keys()];
    const intKey = keys.find((k) => k === 1);
    const floatKey = keys.find((k) => k instanceof Float);
    expect(intKey).toBe(1);
    expect((floatKey as Float).value).toBe(1);
    expect(m.get(1)).toBe(atom('integer'));
    expect(m.get(floatKey!)).toBe(atom('float'));
    expect((termOf('map/mixed keys') as Map<Term, Term>).size).toBe(8);
    const hamt = termOf('map/33 keys HAMT') as Map<Term, Term>;
    expect(hamt.size).toBe(33);
    for (let i = 1; i <= 33; i++) expect(hamt.get(i)).toBe(i * i);
    expect((termOf('map/100 atom keys HAMT') as Map<Term, Term>).get(atom('k42'))).toBe(42);
    expect(termOf('map/empty')).toEqual(new Map());
  });

  it('pids, ports and references keep every field', () => {
    const self = golden('pid/self()');
    const [, id, serial] = /^<0\.(\d+)\.(\d+)>$/.exec(self.erlang)!;
    const pid = decode(bytes(self.t2b_utf8)) as Pid;
    expect(pid).toBeInstanceOf(Pid);
    expect(pid.node).toBe(atom('nonode@nohost'));
    expect(pid.id).toBe(Number(id));
    expect(pid.serial).toBe(Number(serial));
    expect(pid.creation).toBe(0);

    const remote = termOf('pid/remote other@host, 32-bit id, serial, creation') as Pid;
    expect([remote.node, remote.id, remote.serial, remote.creation]).toEqual([atom('other@host'), 0xffffffff, 0xffffffff, 0xffffffff]);

    const port = termOf('port/open_port') as Port;
    expect(port).toBeInstanceOf(Port);
    expect(port.node).toBe(atom('nonode@nohost'));
    expect(port.id).toBe(BigInt(/^#Port<0\.(\d+)>$/.exec(golden('port/open_port').erlang)![1]!));
    expect((termOf('port/remote NEW_PORT_EXT') as Port).id).toBe(0x0fffffffn);
    expect((termOf('port/remote id 2^28 V4_PORT_EXT') as Port).id).toBe(2n ** 28n);
    const v4 = termOf('port/remote id 2^64-1 V4_PORT_EXT') as Port;
    expect([v4.id, v4.creation]).toEqual([2n ** 64n - 1n, 0xffffffff]);

    const ref = termOf('ref/make_ref()') as Reference;
    expect(ref).toBeInstanceOf(Reference);
    expect(ref.node).toBe(atom('nonode@nohost'));
    expect(ref.ids.length).toBe(3);
    // Erlang prints the words last first: #Ref<0.W2.W1.W0>.
    const words = /^#Ref<0\.(\d+)\.(\d+)\.(\d+)>$/.exec(golden('ref/make_ref()').erlang)!.slice(1).map(Number);
    expect(ref.ids).toEqual(words.reverse());
    expect((termOf('ref/remote 1 word') as Reference).ids).toEqual([0xffffffff]);
    expect((termOf('ref/remote 3 words') as Reference).ids).toEqual([1, 2, 3]);
  });

  it('export funs and closures', () => {
    expect(termOf('fun/export erlang:node/0')).toEqual(new ExportFun(atom('erlang'), atom('node'), 0));
    expect(termOf('fun/export of a unicode module')).toEqual(new ExportFun(atom('日'), atom('héllo'), 3));

    const closure = termOf('fun/closure with free variables') as Fun;
    expect(closure).toBeInstanceOf(Fun);
    expect(closure.module).toBe(atom('bw_fixture_funs'));
    expect(closure.arity).toBe(1);
    expect(closure.uniq.length).toBe(16);
    expect(closure.pid).toBeInstanceOf(Pid);
    expect(closure.freeVars.length).toBe(3);
    for (const v of [atom('an_atom'), 42, new TextEncoder().encode('bin')]) {
      expect(closure.freeVars.some((f) => equals(f, v)), `free variable ${String(v)}`).toBe(true);
    }
    expect((termOf('fun/closure without free variables') as Fun).freeVars).toEqual([]);
    const nested = termOf('fun/closure capturing a closure') as Fun;
    expect(nested.freeVars.some((f) => f instanceof Fun)).toBe(true);
  });

  it('compressed terms decode like their plain encoding', () => {
    const c = golden('compressed/lists:duplicate(100, 0)');
    expect(c.compressed!.slice(0, 4)).toBe('8350'); // 131, 80
    expect(decode(bytes(c.compressed!))).toEqual(new Array(100).fill(0));
    expect(termOf('compressed/1000 atoms')).toEqual(new Array(1000).fill(atom('compressible')));
    expect(cases.filter((c) => c.compressed !== undefined).length).toBeGreaterThan(5);
  });
});
