/**
 * Atoms by their bytes. Most atoms on the wire repeat ('$gen_call', ok,
 * node names), so a small table keyed by the encoded bytes returns the term
 * (an Atom, or a boolean for true/false) without building a string or
 * consulting the atom table. Misses fall back to the caller, which decodes
 * strictly, checks the length and interns; only then is the entry stored.
 */
const SLOTS = 4096;
const keys: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(SLOTS).fill(undefined);
const values: unknown[] = new Array<unknown>(SLOTS).fill(undefined);
/** Latin-1 and UTF-8 spellings of the same bytes are different atoms. */
const latin1: boolean[] = new Array<boolean>(SLOTS).fill(false);

/** Longer names are rare and cheaper to decode than to hash and compare. */
const MAX_CACHED = 64;

/** Length and three sample bytes: the full compare that follows catches collisions. */
function slotOf(buf: Uint8Array, start: number, len: number): number {
  if (len === 0) return 0;
  const h = Math.imul(len, 0x9e3779b1) ^ Math.imul(buf[start]!, 0x85ebca6b) ^ Math.imul(buf[start + len - 1]!, 0xc2b2ae35) ^ Math.imul(buf[start + (len >> 1)]!, 0x27d4eb2f);
  return (h ^ (h >>> 15)) & (SLOTS - 1);
}

export function cachedAtom<T>(buf: Uint8Array, start: number, len: number, isLatin1: boolean): T | undefined {
  if (len > MAX_CACHED) return undefined;
  const slot = slotOf(buf, start, len);
  const k = keys[slot];
  if (k === undefined || k.length !== len || latin1[slot] !== isLatin1) return undefined;
  for (let i = 0; i < len; i++) if (k[i] !== buf[start + i]) return undefined;
  return values[slot] as T;
}

export function storeAtom(buf: Uint8Array, start: number, len: number, isLatin1: boolean, value: unknown): void {
  if (len > MAX_CACHED) return;
  const slot = slotOf(buf, start, len);
  keys[slot] = buf.slice(start, start + len);
  values[slot] = value;
  latin1[slot] = isLatin1;
}
