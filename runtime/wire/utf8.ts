import { DecodeError } from './errors.js';

// ignoreBOM: a leading U+FEFF is part of the text (an atom may start with it), not a marker to strip.
const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/**
 * Strict UTF-8 (invalid sequences are a DecodeError, never U+FFFD). Short
 * ASCII runs are built with `String.fromCharCode`, which beats TextDecoder
 * for the atom-sized strings that dominate ETF.
 */
export function utf8Decode(buf: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n <= CACHED_MAX) return cachedDecode(buf, start, n, false);
  return slowUtf8(buf, start, end);
}

/*
 * Short strings (atoms, mostly) repeat: a small table keyed by their bytes
 * hands back the same string instance, so nothing is rebuilt and V8's cached
 * hash makes the atom table lookup that follows cheap.
 */
const CACHED_MAX = 32;
const SLOTS = 4096;
const cacheBytes: (Uint8Array | undefined)[] = new Array(SLOTS).fill(undefined);
const cacheStrings: string[] = new Array(SLOTS).fill('');
const cacheLatin1: boolean[] = new Array(SLOTS).fill(false);

function cachedDecode(buf: Uint8Array, start: number, n: number, isLatin1: boolean): string {
  let h = n;
  for (let i = 0; i < n; i++) h = (Math.imul(h, 31) + buf[start + i]!) | 0;
  const slot = (h ^ (h >>> 12)) & (SLOTS - 1);
  const k = cacheBytes[slot];
  if (k !== undefined && k.length === n && cacheLatin1[slot] === isLatin1) {
    let i = 0;
    while (i < n && k[i] === buf[start + i]) i++;
    if (i === n) return cacheStrings[slot]!;
  }
  let s = '';
  for (let i = 0; i < n; i++) {
    const c = buf[start + i]!;
    if (c >= 0x80 && !isLatin1) {
      s = slowUtf8(buf, start, start + n);
      break;
    }
    s += String.fromCharCode(c);
  }
  cacheBytes[slot] = buf.slice(start, start + n);
  cacheStrings[slot] = s;
  cacheLatin1[slot] = isLatin1;
  return s;
}

function slowUtf8(buf: Uint8Array, start: number, end: number): string {
  try {
    return fatal.decode(buf.subarray(start, end));
  } catch {
    throw new DecodeError('BAD_UTF8', start, 'invalid UTF-8');
  }
}

/**
 * ISO-8859-1: every byte is its own code point, so it cannot fail. Not
 * TextDecoder('latin1'): WHATWG makes that label windows-1252 (0x80 is
 * U+20AC), and Node versions disagree on following it. Buffer's 'latin1' is
 * byte = code point everywhere, and beats a String.fromCharCode loop past
 * the cached lengths (bench/latin1.ts).
 */
export function latin1Decode(buf: Uint8Array, start: number, end: number): string {
  if (end - start <= CACHED_MAX) return cachedDecode(buf, start, end - start, true);
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return b.toString('latin1', start, end);
}

/**
 * Writes `s` as UTF-8 at `pos`; returns the new position. The caller
 * guarantees `s.length * 3` bytes of room (the UTF-8 worst case per UTF-16
 * unit). Lone surrogates become U+FFFD, as TextEncoder does.
 */
export function utf8Write(buf: Uint8Array, pos: number, s: string): number {
  const n = s.length;
  if (n < 64) {
    for (let i = 0; i < n; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) buf[pos++] = c;
      else if (c < 0x800) {
        buf[pos++] = 0xc0 | (c >> 6);
        buf[pos++] = 0x80 | (c & 0x3f);
      } else {
        if (c >= 0xd800 && c <= 0xdfff) {
          const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
          if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
            c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
            i++;
            buf[pos++] = 0xf0 | (c >> 18);
            buf[pos++] = 0x80 | ((c >> 12) & 0x3f);
            buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
            buf[pos++] = 0x80 | (c & 0x3f);
            continue;
          }
          c = 0xfffd;
        }
        buf[pos++] = 0xe0 | (c >> 12);
        buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
        buf[pos++] = 0x80 | (c & 0x3f);
      }
    }
    return pos;
  }
  return pos + encoder.encodeInto(s, buf.subarray(pos)).written;
}

export const utf8Encode = (s: string): Uint8Array => encoder.encode(s);

/** Number of code points in a well-formed string. */
export function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}
