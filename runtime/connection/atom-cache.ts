/**
 * The distribution header's atom cache (erl_ext_dist.md "Distribution
 * Header"): 8 segments of 256 atoms per connection and direction, kept
 * across packets, reset on reconnect. AtomCache reads a peer's headers;
 * OutAtomCache fills ours when DIST_HDR_ATOM_CACHE was negotiated, so an
 * atom a connection sends often (a node name in every pid, a registered
 * name, a record tag) crosses as text once and as two bytes after.
 */
import type { AtomRefs } from '../etf/codec.js';
import { Atom, MAX_ATOM_CHARS } from '../term/atom.js';
import { DecodeError } from '../wire/errors.js';
import { codePointLength, utf8Decode, utf8Write } from '../wire/utf8.js';

const SLOTS = 8 * 256;
/** NumberOfAtomCacheRefs is one byte. */
const MAX_REFS = 255;

export class AtomCache {
  private readonly slots: (Atom | undefined)[] = new Array<Atom | undefined>(8 * 256).fill(undefined);

  /**
   * Reads the header's atom-cache part at `pos` (NumberOfAtomCacheRefs first)
   * and returns this packet's atoms, in ref order, and where the control message starts.
   */
  readHeader(buf: Uint8Array, pos: number): { atoms: Atom[]; end: number } {
    const need = (n: number, what: string): void => {
      if (pos + n > buf.length) throw new DecodeError('TRUNCATED', pos, `distribution header: ${what}`);
    };
    need(1, 'NumberOfAtomCacheRefs');
    const n = buf[pos++]!;
    if (n === 0) return { atoms: [], end: pos };
    const flagBytes = (n >> 1) + 1;
    need(flagBytes, 'flags');
    const flags = buf.subarray(pos, pos + flagBytes);
    pos += flagBytes;
    // Nibble k: low half of byte k/2 when k is even, high half when odd.
    const nibble = (k: number): number => (k & 1 ? flags[k >> 1]! >> 4 : flags[k >> 1]! & 0x0f);
    const longAtoms = (nibble(n) & 1) === 1;
    const atoms: Atom[] = [];
    for (let k = 0; k < n; k++) {
      const f = nibble(k);
      const segment = f & 7;
      need(1, `ref ${k} InternalSegmentIndex`);
      const slot = segment * 256 + buf[pos++]!;
      if (f & 8) {
        need(longAtoms ? 2 : 1, `ref ${k} length`);
        const len = longAtoms ? (buf[pos]! << 8) | buf[pos + 1]! : buf[pos]!;
        pos += longAtoms ? 2 : 1;
        need(len, `ref ${k} atom text`);
        const name = utf8Decode(buf, pos, pos + len);
        if (codePointLength(name) > MAX_ATOM_CHARS) throw new DecodeError('ATOM_TOO_LONG', pos, `cached atom of ${codePointLength(name)} characters`);
        pos += len;
        this.slots[slot] = Atom.of(name);
      }
      const atom = this.slots[slot];
      if (atom === undefined) throw new DecodeError('ATOM_CACHE_REF', pos, `ref ${k} names empty cache slot ${segment}/${slot & 255}`);
      atoms.push(atom);
    }
    return { atoms, end: pos };
  }
}

/**
 * The send side: atoms get slots in the order first sent, until the 2048
 * slots are full; later atoms stay inline (nothing is evicted, so a slot
 * never changes meaning and a peer can never read a stale one). Atoms
 * over 255 UTF-8 bytes stay inline too, so the header never needs
 * LongAtoms. For one packet: `begin`, encode with this as the encoder's
 * AtomRefs, then `header` (or `abort` if the encode failed).
 */
export class OutAtomCache implements AtomRefs {
  private readonly slots = new Map<Atom, number>();
  /** For each slot, the packet it was last referred to in, and its ref index there. */
  private readonly inPacket = new Int32Array(SLOTS).fill(-1);
  private readonly refIndex = new Uint8Array(SLOTS);
  private packet = 0;
  private refs: number[] = [];
  /** Slots first given out in this packet: their text goes in its header. */
  private fresh: number[] = [];
  private readonly atoms: Atom[] = [];

  begin(): void {
    this.packet = this.packet === 0x7fffffff ? 0 : this.packet + 1;
    this.refs = [];
    this.fresh = [];
  }

  ref(a: Atom): number {
    let slot = this.slots.get(a);
    if (slot === undefined) {
      if (this.slots.size === SLOTS || this.refs.length === MAX_REFS || a.name.length > 85) return -1;
      slot = this.slots.size;
      this.slots.set(a, slot);
      this.atoms[slot] = a;
      this.fresh.push(slot);
    } else if (this.inPacket[slot] === this.packet) return this.refIndex[slot]!;
    else if (this.refs.length === MAX_REFS) return -1;
    this.inPacket[slot] = this.packet;
    this.refIndex[slot] = this.refs.length;
    this.refs.push(slot);
    return this.refs.length - 1;
  }

  /** The encode failed: the slots it gave out were never announced, so they are taken back. */
  abort(): void {
    for (const slot of this.fresh) this.slots.delete(this.atoms[slot]!);
    this.fresh = [];
    this.refs = [];
  }

  /** This packet's header part from NumberOfAtomCacheRefs on: flags, then each ref's index (and text, the first time). */
  header(): Uint8Array {
    const n = this.refs.length;
    if (n === 0) return NO_REFS;
    const freshSet = this.fresh.length === 0 ? undefined : new Set(this.fresh);
    let size = 1 + (n >> 1) + 1 + n;
    if (freshSet) for (const slot of freshSet) size += 1 + 3 * this.atoms[slot]!.name.length;
    const out = new Uint8Array(size);
    out[0] = n;
    let pos = 2 + (n >> 1);
    for (let k = 0; k < n; k++) {
      const slot = this.refs[k]!;
      const isNew = freshSet?.has(slot) === true;
      // Nibble k: NewCacheEntryFlag and SegmentIndex; the nibble after the last (LongAtoms) stays 0.
      out[1 + (k >> 1)]! |= ((isNew ? 8 : 0) | (slot >> 8)) << (k & 1 ? 4 : 0);
      out[pos++] = slot & 0xff;
      if (isNew) {
        // At most 85 UTF-16 units (see ref): at most 255 bytes.
        const end = utf8Write(out, pos + 1, this.atoms[slot]!.name);
        out[pos] = end - pos - 1;
        pos = end;
      }
    }
    return out.subarray(0, pos);
  }
}

const NO_REFS = Uint8Array.of(0);
