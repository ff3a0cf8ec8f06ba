/**
 * The first stage of a context (mitogen's `_first_stage`, without the fork):
 * a few hundred bytes run as `node -e …` that
 * 1. writes `BW000 <version> <platform>/<arch>`: the parent learns which Node it got;
 * 2. reads a header of two u32 lengths, then exactly that many bytes from
 *    stdin (never to EOF, so stdin stays the stream afterwards): the
 *    brotli-compressed runtime and the context's JSON configuration;
 * 3. writes `BW001`, puts back any byte it read past them, and runs the
 *    runtime, which writes `BW002` once its node can take the handshake.
 * Markers are whole lines of a fixed form, so nothing a shell, ssh or a
 * login banner prints is taken for one.
 */

export const MARKER_STAGE = 'BW000';
export const MARKER_LOADED = 'BW001';
export const MARKER_READY = 'BW002';

// Plain CommonJS for `node -e`, whatever Node version answers: no modern syntax beyond ES2017.
const STAGE = `
const N=process.argv[1]||'context';process.title='beamwire:'+N;
process.stdout.write('${MARKER_STAGE} '+process.version+' '+process.platform+'/'+process.arch+'\\n');
const I=process.stdin;let B=[],G=0,W=-1;
function D(d){B.push(d);G+=d.length;const a=Buffer.concat(B);B=[a];
if(W<0&&G>=8)W=8+a.readUInt32BE(0)+a.readUInt32BE(4);
if(W<0||G<W)return;I.removeListener('data',D);I.pause();
const c=a.subarray(8,8+a.readUInt32BE(0)),f=JSON.parse(a.subarray(8+c.length,W).toString());
if(G>W)I.unshift(a.subarray(W));
const s=require('zlib').brotliDecompressSync(c).toString();
process.stdout.write('${MARKER_LOADED}\\n');
const m={exports:{}};new Function('require','module','exports',s)(require,m,m.exports);
m.exports.__context(f,c);}
I.on('data',D);`;

/** The first stage as one `-e` argument: base64, so no shell ever sees a quote or a `$` in it. */
export function stageArgument(): string {
  const b64 = Buffer.from(STAGE.trim().replace(/\n/g, '')).toString('base64');
  return `eval(Buffer.from('${b64}','base64')+'')`;
}

/** The payload after `BW000`: the lengths, the compressed runtime, the configuration. */
export function stagePayload(runtime: Uint8Array, config: object): Buffer {
  const cfg = Buffer.from(JSON.stringify(config));
  const head = Buffer.alloc(8);
  head.writeUInt32BE(runtime.length, 0);
  head.writeUInt32BE(cfg.length, 4);
  return Buffer.concat([head, runtime, cfg]);
}

/** A POSIX shell word for `s` (ssh runs its command through the remote user's shell). */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
