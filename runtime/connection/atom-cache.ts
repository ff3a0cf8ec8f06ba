/**
 * The receive side of the distribution header's atom cache
 * (erl_ext_dist.md "Distribution Header"): 8 segments of 256 atoms per
 * connection and direction, kept across packets, reset on reconnect. We never
 * advertise DIST_HDR_ATOM_CACHE, but a header with refs is still parsed, so
 * nothing a peer sends is misread.
 */
import { Atom, MAX_ATOM_CHARS } from '../term/atom.js';
import { DecodeError } from '../wire/errors.js';
import { codePointLength, utf8Decode } from '../wire/utf8.js';

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
