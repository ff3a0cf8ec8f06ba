import { DecodeError } from './errors.js';

const fatal = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');
const encoder = new TextEncoder();

/**
 * Strict UTF-8 (invalid sequences are a DecodeError, never U+FFFD). Short
 * ASCII runs are built with `String.fromCharCode`, which beats TextDecoder
 * for the atom-sized strings that dominate ETF.
 */
export function utf8Decode(buf: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n <= 32) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (c >= 0x80) return slowUtf8(buf, start, end);
      s += String.fromCharCode(c);
    }
    return s;
  }
  return slowUtf8(buf, start, end);
}

function slowUtf8(buf: Uint8Array, start: number, end: number): string {
  try {
    return fatal.decode(buf.subarray(start, end));
  } catch {
    throw new DecodeError('BAD_UTF8', start, 'invalid UTF-8');
  }
}

/** ISO-8859-1: every byte is a code point, so it cannot fail. */
export function latin1Decode(buf: Uint8Array, start: number, end: number): string {
  if (end - start <= 32) {
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!);
    return s;
  }
  return latin1.decode(buf.subarray(start, end));
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
