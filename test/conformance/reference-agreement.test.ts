/**
 * Conformance tier: the production decoder (generated/etf.ts) and the Kaitai
 * reference parser (generated/reference/Etf.cjs), both made from
 * schemas/etf.ksy by different compilers, must read every golden vector from
 * term_to_binary/2, and terms fast-check makes, as the same term.
 *
 * The adapter below turns Kaitai's parse tree into a term on its own,
 * without runtime/term/build.ts, so a mistake there cannot hide on both sides.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Atom, BitBinary, decode, encode, equals, ExportFun, Float, Fun, ImproperList, Pid, Port, Reference, Tuple, type Term } from '../../runtime/index.js';
import { arbTerm } from '../support/arbitrary.js';
import { loadReference, parseStrict, type KaitaiObject } from '../support/reference.js';

const Etf = loadReference('Etf');
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }); // U+FEFF may start an atom

function atomOf(name: string): Atom | boolean {
  return name === 'true' ? true : name === 'false' ? false : Atom.of(name);
}
const asAtom = (t: Term): Atom => (typeof t === 'boolean' ? Atom.of(String(t)) : (t as Atom));

function bigFrom(digits: Uint8Array, sign: number): number | bigint {
  let v = 0n;
  for (let i = digits.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(digits[i]!);
  if (sign) v = -v;
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function floatOf(v: number): number | Float {
  return Number.isInteger(v) || Object.is(v, -0) ? new Float(v) : v;
}

/** A Kaitai `term` node as a beamwire term. */
function toTerm(node: KaitaiObject): Term {
  const b = node.body as KaitaiObject;
  switch (node.tag as number) {
    case 70: return floatOf(b.value);
    case 77: {
      const bytes = Uint8Array.from(b.data as Uint8Array);
      if (b.bits === 8 || bytes.length === 0) return bytes;
      bytes[bytes.length - 1]! &= (0xff << (8 - b.bits)) & 0xff;
      return new BitBinary(bytes, b.bits);
    }
    case 88: case 103: return new Pid(asAtom(toTerm(b.node)), b.id, b.serial, b.creation);
    case 89: case 102: case 120: return new Port(asAtom(toTerm(b.node)), BigInt(b.id), b.creation);
    case 90: case 114: return new Reference(asAtom(toTerm(b.node)), b.creation, [...(b.ids as number[])]);
    case 101: return new Reference(asAtom(toTerm(b.node)), b.creation, [b.id]);
    case 97: case 98: return b.value;
    case 100: case 115: return atomOf(Buffer.from(b.name as Uint8Array).toString('latin1'));
    case 118: case 119: return atomOf(utf8.decode(b.name as Uint8Array));
    case 104: case 105: return new Tuple((b.elements as KaitaiObject[]).map(toTerm));
    case 106: return [];
    case 107: return [...(b.chars as Uint8Array)];
    case 108: {
      const elements = (b.elements as KaitaiObject[]).map(toTerm);
      const tail = toTerm(b.tail);
      return Array.isArray(tail) ? [...elements, ...tail] : new ImproperList(elements, tail);
    }
    case 109: return Uint8Array.from(b.data as Uint8Array);
    case 110: case 111: return bigFrom(b.digits, b.sign);
    case 112: {
      const pid = toTerm(b.pid) as Pid;
      return new Fun(b.arity, Uint8Array.from(b.uniq), b.index, asAtom(toTerm(b.module)), toTerm(b.oldIndex) as number, toTerm(b.oldUniq) as number, pid, (b.freeVars as KaitaiObject[]).map(toTerm));
    }
    case 113: return new ExportFun(asAtom(toTerm(b.module)), asAtom(toTerm(b.function)), toTerm(b.arity) as number);
    case 116: {
      const kv = (b.pairs as KaitaiObject[]).map(toTerm);
      const m = new Map<Term, Term>();
      for (let i = 0; i < kv.length; i += 2) m.set(kv[i]!, kv[i + 1]!);
      return m;
    }
    case 80: return toTerm(b.data);
    default: throw new Error(`adapter: tag ${node.tag}`);
  }
}

const referenceDecode = (bytes: Uint8Array): Term => toTerm(parseStrict(Etf, bytes).term);

/**
 * Kaitai's JavaScript runtime reads u8 fields as doubles (tooling.md §1), so a
 * V4_PORT_EXT id above 2^53 comes back rounded. Round ours the same way before
 * comparing; every other field is compared exactly.
 */
function atKaitaiPrecision(t: Term): Term {
  if (t instanceof Port) return t.id > BigInt(Number.MAX_SAFE_INTEGER) ? new Port(t.node, BigInt(Number(t.id)), t.creation) : t;
  if (t instanceof Tuple) return new Tuple(t.elements.map(atKaitaiPrecision));
  if (Array.isArray(t)) return t.map(atKaitaiPrecision);
  if (t instanceof ImproperList) return new ImproperList(t.elements.map(atKaitaiPrecision), atKaitaiPrecision(t.tail));
  if (t instanceof Map) return new Map([...t].map(([k, v]) => [atKaitaiPrecision(k), atKaitaiPrecision(v)]));
  if (t instanceof Fun) return new Fun(t.arity, t.uniq, t.index, t.module, t.oldIndex, t.oldUniq, t.pid, t.freeVars.map(atKaitaiPrecision));
  return t;
}
const agree = (bytes: Uint8Array): boolean => equals(atKaitaiPrecision(decode(bytes)), referenceDecode(bytes));

interface Golden { name: string; t2b: string; t2b_utf8: string; compressed?: string }
const golden = JSON.parse(readFileSync('test/fixtures/etf-golden.json', 'utf8')) as Golden[];
const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

describe('decode agrees with the Kaitai reference parser', () => {
  it(`on every golden vector from term_to_binary/2 (${golden.length} terms, default, minor_version 2 and compressed encodings)`, () => {
    let compared = 0;
    for (const g of golden) {
      for (const [form, h] of [['t2b', g.t2b], ['t2b_utf8', g.t2b_utf8], ['compressed', g.compressed]] as const) {
        if (h === undefined) continue;
        const bytes = hex(h);
        expect(agree(bytes), `${g.name} (${form})`).toBe(true);
        compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(golden.length * 2);
  });

  it('on terms made by fast-check and encoded by beamwire', () => {
    fc.assert(
      fc.property(arbTerm, (t) => {
        return agree(encode(t));
      }),
      { numRuns: 300 },
    );
  });
});
