/**
 * Which way to turn latin-1 atom bytes past the decode cache (33..255 bytes)
 * into a string: latin1Decode (Buffer 'latin1') against the alternatives.
 * Run: node --import tsx bench/latin1.ts
 */
import { latin1Decode } from '../runtime/wire/utf8.js';

type Decode = (buf: Uint8Array, start: number, end: number) => string;

const windows1252 = new TextDecoder('latin1'); // what latin1Decode used before; windows-1252 by WHATWG
const candidates: Record<string, Decode> = {
  latin1Decode,
  fromCharCodeLoop: (buf, start, end) => {
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!);
    return s;
  },
  fromCharCodeApply: (buf, start, end) => String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[]),
  textDecoder: (buf, start, end) => windows1252.decode(buf.subarray(start, end)),
};

for (const len of [33, 64, 128, 255]) {
  const buf = Uint8Array.from({ length: len + 16 }, (_, i) => 0x20 + ((i * 37) % 0xe0));
  for (const [name, f] of Object.entries(candidates)) {
    const n = 400_000;
    let sink = 0;
    for (let i = 0; i < 20_000; i++) sink += f(buf, 8, 8 + len).length;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sink += f(buf, 8, 8 + len).length;
    const ns = Number(process.hrtime.bigint() - t0) / n;
    console.log(`${String(len).padStart(3)} bytes  ${name.padEnd(18)} ${ns.toFixed(0).padStart(5)} ns/decode${sink < 0 ? '' : ''}`);
  }
}
