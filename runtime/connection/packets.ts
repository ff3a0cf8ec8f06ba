/**
 * Connected-phase packets (erl_dist_protocol.md "Protocol between Connected
 * Nodes", erl_ext_dist.md "Distribution Header"): reading every form a peer
 * may send, and writing the one the negotiated flags require — the 131 68
 * header when DIST_HDR_ATOM_CACHE or FRAGMENTS was negotiated (with
 * atom-cache refs only under DIST_HDR_ATOM_CACHE, else atoms inline), the
 * pass-through 'p' form otherwise. The wrong form makes OTP drop the
 * connection, so it comes from the flags, never from what the peer sent.
 */
import { Dflag } from '../../generated/handshake.js';
import { decodePacketTerms, encodePacket, type DecodeOptions } from '../etf/codec.js';
import type { Term } from '../term/values.js';
import { DecodeError } from '../wire/errors.js';
import { AtomCache, OutAtomCache } from './atom-cache.js';
import { FRAGMENT_SIZE, fragmentPackets, Reassembler } from './fragments.js';

export type Inbound =
  | { readonly kind: 'tick' }
  | { readonly kind: 'signal'; readonly control: Term; readonly payload: Term | undefined }
  /** A fragment of a message that is not complete yet. */
  | { readonly kind: 'partial' };

const PASS_THROUGH = 112; // 'p'
const VERSION = 131;
const DIST_HEADER = 68;
const FRAGMENT_START = 69;
const FRAGMENT_CONT = 70;

function u64(buf: Uint8Array, pos: number): bigint {
  if (pos + 8 > buf.length) throw new DecodeError('TRUNCATED', pos, 'fragment header');
  return new DataView(buf.buffer, buf.byteOffset + pos, 8).getBigUint64(0);
}

/** Reads the packets of one connection; keeps its atom cache and partial fragments. */
export class PacketReader {
  private readonly cache = new AtomCache();
  readonly fragments: Reassembler;

  constructor(
    private readonly options: DecodeOptions = {},
    maxFragmentBytes?: number,
  ) {
    this.fragments = new Reassembler(maxFragmentBytes);
  }

  /** One packet's bytes, without its 4-byte length. */
  read(p: Uint8Array): Inbound {
    if (p.length === 0) return { kind: 'tick' };
    if (p[0] === PASS_THROUGH) return this.signal(decodePacketTerms(p, 1, true, undefined, this.options));
    if (p[0] !== VERSION || p.length < 2) throw new DecodeError('BAD_VERSION', 0, `packet starts with ${p[0]}, expected 112 or 131`);
    switch (p[1]) {
      case DIST_HEADER: {
        const atoms = this.cache.readHeader(p, 2);
        return this.signal(decodePacketTerms(p, this.cache.end, false, atoms, this.options));
      }
      case FRAGMENT_START: {
        const seq = u64(p, 2);
        const fragId = u64(p, 10);
        const atoms = this.cache.readHeader(p, 18);
        const done = this.fragments.start(seq, fragId, atoms, p.subarray(this.cache.end), 2);
        return done ? this.signal(decodePacketTerms(done.body, 0, false, done.atoms, this.options)) : { kind: 'partial' };
      }
      case FRAGMENT_CONT: {
        const done = this.fragments.continue(u64(p, 2), u64(p, 10), p.subarray(18), 2);
        return done ? this.signal(decodePacketTerms(done.body, 0, false, done.atoms, this.options)) : { kind: 'partial' };
      }
      default:
        throw new DecodeError('BAD_TAG', 1, `distribution packet type ${p[1]}`);
    }
  }

  private signal(terms: Term[]): Inbound {
    return { kind: 'signal', control: terms[0]!, payload: terms[1] };
  }
}

const HEAD_SLAB = 16 * 1024;

function u32(n: number): Uint8Array {
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

function join(a: Uint8Array, b: Uint8Array | undefined): Uint8Array {
  if (b === undefined) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Writes one connection's packets in the form its negotiated flags require. */
export class PacketWriter {
  readonly header: boolean;
  readonly fragments: boolean;
  private readonly atoms: OutAtomCache | undefined;
  private slab = new Uint8Array(0);
  private slabPos = 0;
  private seq = 0n;

  constructor(flags: bigint) {
    this.fragments = (flags & Dflag.FRAGMENTS) !== 0n;
    this.header = this.fragments || (flags & Dflag.DIST_HDR_ATOM_CACHE) !== 0n;
    if ((flags & Dflag.DIST_HDR_ATOM_CACHE) !== 0n) this.atoms = new OutAtomCache();
  }

  /**
   * The framed packet(s) carrying `control` and, when given, `payload`, as
   * runs of bytes to send in order (with the atom cache, a packet's header
   * and its terms are two runs).
   */
  write(control: Term, payload?: Term): Uint8Array[] {
    return this.frame(payload === undefined ? [control] : [control, payload], undefined);
  }

  /** As `write`, with the payload already encoded (`encode`'s bytes, 131 first; its atoms stay inline). */
  writeEncoded(control: Term, payload: Uint8Array): Uint8Array[] {
    return this.frame([control], payload);
  }

  /** `terms`, then the body of `encoded` (an encoded term) when given. */
  private frame(terms: Term[], encoded: Uint8Array | undefined): Uint8Array[] {
    const tail = encoded?.subarray(1);
    const extra = tail === undefined ? 0 : tail.length;
    if (!this.header) {
      const p = encodePacket([PASS_THROUGH], terms, true);
      return encoded === undefined ? [p] : [u32(p.length - 4 + encoded.length), p.subarray(4), encoded];
    }
    if (this.atoms === undefined) {
      const packet = encodePacket([VERSION, DIST_HEADER, 0], terms, false);
      if (this.fragments && packet.length - 7 + extra > FRAGMENT_SIZE) return fragmentPackets(this.nextSeq(), join(packet.subarray(7), tail));
      return tail === undefined ? [packet] : [u32(packet.length - 4 + extra), packet.subarray(4), tail];
    }
    this.atoms.begin();
    let body: Uint8Array;
    try {
      body = encodePacket([], terms, false, this.atoms).subarray(4);
    } catch (e) {
      this.atoms.abort();
      throw e;
    }
    if (this.fragments && body.length + extra > FRAGMENT_SIZE) {
      const refs = new Uint8Array(this.atoms.headerSize());
      return fragmentPackets(this.nextSeq(), join(body, tail), refs.subarray(0, this.atoms.writeHeader(refs, 0)));
    }
    // The head (length, 131 68, atom-cache refs) from a slab, as the encoder's results: views never written again.
    const room = 6 + this.atoms.headerSize();
    if (this.slab.length - this.slabPos < room) {
      this.slab = new Uint8Array(Math.max(HEAD_SLAB, room));
      this.slabPos = 0;
    }
    const slab = this.slab;
    const at = this.slabPos;
    const end = this.atoms.writeHeader(slab, at + 6);
    const length = end - at - 4 + body.length + extra;
    slab[at] = length >>> 24;
    slab[at + 1] = (length >>> 16) & 0xff;
    slab[at + 2] = (length >>> 8) & 0xff;
    slab[at + 3] = length & 0xff;
    slab[at + 4] = VERSION;
    slab[at + 5] = DIST_HEADER;
    this.slabPos = end;
    return tail === undefined ? [slab.subarray(at, end), body] : [slab.subarray(at, end), body, tail];
  }

  private nextSeq(): bigint {
    this.seq = (this.seq + 1n) & 0xffffffffffffffffn;
    return this.seq;
  }

  /** A tick: a packet of length 0. */
  static readonly TICK = new Uint8Array(4);
}
