/**
 * Fragmented distribution messages (DFLAG_FRAGMENTS, erl_ext_dist.md
 * "Distribution Header for Fragmented Messages"). Receiving: chunks are kept
 * per sequence until the fragment numbered 1 arrives; the bytes held across
 * all sequences are capped, so a peer cannot make us buffer without bound.
 * Sending: a packet whose terms exceed FRAGMENT_SIZE goes out as a start
 * fragment and continuations, 64 KiB of term bytes each, as OTP sends them.
 */
import type { Atom } from '../term/atom.js';
import { DecodeError } from '../wire/errors.js';

/** ERTS_DIST_FRAGMENT_SIZE: term bytes per fragment. */
export const FRAGMENT_SIZE = 64 * 1024;

interface Partial {
  atoms: Atom[];
  chunks: Uint8Array[];
  /** The fragment id the next continuation must carry. */
  next: bigint;
}

export class Reassembler {
  private readonly open = new Map<bigint, Partial>();
  private held = 0;

  constructor(readonly maxHeld = 256 * 1024 * 1024) {}

  /** A start fragment (69). Returns the whole message's bytes when it is also the last (FragmentId 1). */
  start(seq: bigint, fragId: bigint, atoms: Atom[], chunk: Uint8Array, at: number): { atoms: Atom[]; body: Uint8Array } | undefined {
    if (fragId === 0n) throw new DecodeError('BAD_VALUE', at, 'fragment id 0');
    if (this.open.has(seq)) throw new DecodeError('BAD_VALUE', at, `sequence ${seq} started twice`);
    if (fragId === 1n) return { atoms, body: chunk };
    this.hold(chunk.length, at);
    this.open.set(seq, { atoms, chunks: [chunk.slice()], next: fragId - 1n });
    return undefined;
  }

  /** A continuation (70). Returns the whole message when this is its last fragment. */
  continue(seq: bigint, fragId: bigint, chunk: Uint8Array, at: number): { atoms: Atom[]; body: Uint8Array } | undefined {
    const p = this.open.get(seq);
    if (p === undefined) throw new DecodeError('BAD_VALUE', at, `continuation of unknown sequence ${seq}`);
    if (fragId !== p.next) throw new DecodeError('BAD_VALUE', at, `fragment ${fragId} of sequence ${seq}, expected ${p.next}`);
    this.hold(chunk.length, at);
    p.chunks.push(chunk.slice());
    if (fragId > 1n) {
      p.next = fragId - 1n;
      return undefined;
    }
    this.open.delete(seq);
    const size = p.chunks.reduce((n, c) => n + c.length, 0);
    this.held -= size;
    const body = new Uint8Array(size);
    let off = 0;
    for (const c of p.chunks) {
      body.set(c, off);
      off += c.length;
    }
    return { atoms: p.atoms, body };
  }

  /** Bytes held in unfinished sequences. */
  get buffered(): number {
    return this.held;
  }

  /** The connection went down: partial messages are dropped, as OTP does. */
  clear(): void {
    this.open.clear();
    this.held = 0;
  }

  private hold(n: number, at: number): void {
    if (this.held + n > this.maxHeld) throw new DecodeError('SIZE_LIMIT', at, `fragments would hold ${this.held + n} bytes (limit ${this.maxHeld})`);
    this.held += n;
  }
}

/**
 * Splits the terms of one message (`body`, no 131s) into framed fragment
 * packets: 131 69 Seq FragId <atom-cache header> <chunk>, then 131 70 Seq
 * FragId <chunk>, with FragId counting down to 1. `atoms` is the header's
 * part from NumberOfAtomCacheRefs on (a single 0: none).
 */
export function fragmentPackets(seq: bigint, body: Uint8Array, atoms: Uint8Array = NO_ATOMS): Uint8Array[] {
  const count = Math.ceil(body.length / FRAGMENT_SIZE);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const chunk = body.subarray(i * FRAGMENT_SIZE, (i + 1) * FRAGMENT_SIZE);
    const head = i === 0 ? 1 + 1 + 8 + 8 + atoms.length : 1 + 1 + 8 + 8;
    const p = new Uint8Array(4 + head + chunk.length);
    const v = new DataView(p.buffer);
    v.setUint32(0, head + chunk.length);
    p[4] = 131;
    p[5] = i === 0 ? 69 : 70;
    v.setBigUint64(6, seq);
    v.setBigUint64(14, BigInt(count - i));
    if (i === 0) p.set(atoms, 22);
    p.set(chunk, 4 + head);
    out.push(p);
  }
  return out;
}

const NO_ATOMS = Uint8Array.of(0);
