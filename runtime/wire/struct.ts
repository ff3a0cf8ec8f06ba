/** Helpers for the generated message codecs (handshake, EPMD, framing). */
import { DecodeError } from './errors.js';
import type { Reader } from './reader.js';
import { Writer } from './writer.js';

/** Reads one field; a failure inside it is reported with the field's schema path. */
export function field<T>(_r: Reader, path: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof DecodeError && e.path === undefined) throw new DecodeError(e.code, e.offset, e.detail, path);
    throw e;
  }
}

/** Checks fixed magic bytes (`contents` in the schema). */
export function expect(r: Reader, bytes: readonly number[], path: string): void {
  const at = r.pos;
  field(r, path, () => r.need(bytes.length));
  for (let i = 0; i < bytes.length; i++)
    if (r.buf[at + i] !== bytes[i]) throw new DecodeError('BAD_TAG', at + i, `byte ${r.buf[at + i]}, expected ${bytes[i]}`, path);
  r.pos = at + bytes.length;
}

export const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');

/** A reader over the next `n` bytes of `r` (a sized field of a user type); advances `r` past them. */
export function sub(r: Reader, n: number): Reader {
  const b = r.bytes(n);
  return new (r.constructor as new (buf: Uint8Array) => Reader)(b);
}

/** What `write` writes, as bytes of their own (a sized field measured before it is written). */
export function encodeToBytes(write: (w: Writer) => void): Uint8Array {
  const w = new Writer(64);
  write(w);
  return w.finish();
}
