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

  /** Where the control message starts, after the last `readHeader` (a field, not a result object: one object fewer per packet). */
  end = 0;

  /**
   * Reads the header's atom-cache part at `pos` (NumberOfAtomCacheRefs first)
   * and returns this packet's atoms, in ref order; `end` says where the control message starts.
   */
  readHeader(buf: Uint8Array, pos: number): Atom[] {
    // Every packet of a connection with the cache has a header: no closures or views made per packet.
    if (pos >= buf.length) truncated(pos, 'NumberOfAtomCacheRefs');
    const n = buf[pos++]!;
    if (n === 0) {
      this.end = pos;
      return NO_ATOMS;
    }
    const flags = pos;
    pos += (n >> 1) + 1;
    if (pos > buf.length) truncated(flags, 'flags');
    // Nibble k: low half of byte k/2 when k is even, high half when odd.
    const longAtoms = ((n & 1 ? buf[flags + (n >> 1)]! >> 4 : buf[flags + (n >> 1)]!) & 1) === 1;
    const atoms: Atom[] = new Array<Atom>(n);
    for (let k = 0; k < n; k++) {
      const f = (k & 1 ? buf[flags + (k >> 1)]! >> 4 : buf[flags + (k >> 1)]!) & 0x0f;
      const segment = f & 7;
      if (pos >= buf.length) truncated(pos, `ref ${k} InternalSegmentIndex`);
      const slot = segment * 256 + buf[pos++]!;
      if (f & 8) {
        if (pos + (longAtoms ? 2 : 1) > buf.length) truncated(pos, `ref ${k} length`);
        const len = longAtoms ? (buf[pos]! << 8) | buf[pos + 1]! : buf[pos]!;
        pos += longAtoms ? 2 : 1;
        if (pos + len > buf.length) truncated(pos, `ref ${k} atom text`);
        const name = utf8Decode(buf, pos, pos + len);
        if (codePointLength(name) > MAX_ATOM_CHARS) throw new DecodeError('ATOM_TOO_LONG', pos, `cached atom of ${codePointLength(name)} characters`);
        pos += len;
        this.slots[slot] = Atom.of(name);
      }
      const atom = this.slots[slot];
      if (atom === undefined) throw new DecodeError('ATOM_CACHE_REF', pos, `ref ${k} names empty cache slot ${segment}/${slot & 255}`);
      atoms[k] = atom;
    }
    this.end = pos;
    return atoms;
  }
}

const NO_ATOMS: Atom[] = [];

function truncated(pos: number, what: string): never {
  throw new DecodeError('TRUNCATED', pos, `distribution header: ${what}`);
}

/**
 * The send side: atoms get slots in the order first sent, until the 2048
 * slots are full; later atoms stay inline (nothing is evicted, so a slot
 * never changes meaning and a peer can never read a stale one). Atoms
 * over 85 UTF-16 units (which may exceed 255 UTF-8 bytes) stay inline too,
 * so the header never needs LongAtoms. For one packet: `begin`, encode with
 * this as the encoder's AtomRefs, then `headerSize` and `writeHeader` (or
 * `abort` if the encode failed).
 */
export class OutAtomCache implements AtomRefs {
  private readonly slots = new Map<Atom, number>();
  private readonly atoms: Atom[] = [];
  /** For each slot, the packet it was last referred to in, and its ref index there. */
  private readonly inPacket = new Int32Array(SLOTS).fill(-1);
  private readonly refIndex = new Uint8Array(SLOTS);
  private packet = 0;
  /** This packet's refs (slots), in ref order. */
  private readonly refs = new Uint16Array(MAX_REFS);
  private count = 0;
  /** Slots from here on were first given out in this packet: their text goes in its header. */
  private firstNew = 0;

  begin(): void {
    this.packet = this.packet === 0x7fffffff ? 0 : this.packet + 1;
    this.count = 0;
    this.firstNew = this.slots.size;
  }

  ref(a: Atom): number {
    let slot = this.slots.get(a);
    if (slot !== undefined && this.inPacket[slot] === this.packet) return this.refIndex[slot]!;
    if (this.count === MAX_REFS) return -1;
    if (slot === undefined) {
      if (this.slots.size === SLOTS || a.name.length > 85) return -1;
      slot = this.slots.size;
      this.slots.set(a, slot);
      this.atoms[slot] = a;
    }
    this.inPacket[slot] = this.packet;
    this.refIndex[slot] = this.count;
    this.refs[this.count] = slot;
    return this.count++;
  }

  /** The encode failed: the slots it gave out were never announced, so they are taken back. */
  abort(): void {
    for (let slot = this.firstNew; slot < this.atoms.length; slot++) this.slots.delete(this.atoms[slot]!);
    this.atoms.length = this.firstNew;
    this.count = 0;
  }

  /** Bytes `writeHeader` needs at most. */
  headerSize(): number {
    const n = this.count;
    if (n === 0) return 1;
    let size = 1 + (n >> 1) + 1 + n;
    for (let slot = this.firstNew; slot < this.slots.size; slot++) size += 1 + 3 * this.atoms[slot]!.name.length;
    return size;
  }

  /** Writes this packet's header part from NumberOfAtomCacheRefs on (flags, then each ref's index, and text the first time); returns the end. */
  writeHeader(out: Uint8Array, pos: number): number {
    const n = this.count;
    out[pos] = n;
    if (n === 0) return pos + 1;
    const flags = pos + 1;
    const flagBytes = (n >> 1) + 1;
    out.fill(0, flags, flags + flagBytes); // the nibble after the last ref (LongAtoms) stays 0
    pos = flags + flagBytes;
    for (let k = 0; k < n; k++) {
      const slot = this.refs[k]!;
      const isNew = slot >= this.firstNew;
      // Nibble k: NewCacheEntryFlag and SegmentIndex.
      out[flags + (k >> 1)]! |= ((isNew ? 8 : 0) | (slot >> 8)) << (k & 1 ? 4 : 0);
      out[pos++] = slot & 0xff;
      if (isNew) {
        // At most 85 UTF-16 units (see ref): at most 255 bytes.
        const end = utf8Write(out, pos + 1, this.atoms[slot]!.name);
        out[pos] = end - pos - 1;
        pos = end;
      }
    }
    return pos;
  }
}
