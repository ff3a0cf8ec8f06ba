/**
 * Microbenchmark of the inbound path alone: a Connection fed the bytes of N
 * SEND_SENDER packets (the dist_bench message, atom cache on, as OTP 25
 * sends them) in 64 KiB Buffers, as a socket's 'data' events deliver them:
 * frames split, packets read, terms decoded, control parsed, up to the sink.
 *
 *   node --import tsx bench/receive-micro.ts [--n 500000] [--rounds 7] [--beamwire DIR]
 *
 * DIR is a tsc build's root (the folder holding runtime/ and generated/), to
 * compare builds. Prints CPU ns per packet (this thread's CPU time, not wall
 * time, which a loaded machine stretches), the median and the best of the rounds.
 */
import { Duplex } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: number): number => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
const N = opt('--n', 500_000);
const ROUNDS = opt('--rounds', 7);
const dir = argv.includes('--beamwire') ? argv[argv.indexOf('--beamwire') + 1]! : null;
const load = async <T>(rel: string): Promise<T> => (dir === null ? import(`../${rel}.js`) : import(pathToFileURL(join(dir, `${rel}.js`)).href)) as Promise<T>;

const { Connection } = await load<typeof import('../runtime/connection/connection.js')>('runtime/connection/connection');
const { PacketWriter } = await load<typeof import('../runtime/connection/packets.js')>('runtime/connection/packets');
const { control } = await load<typeof import('../generated/control.js')>('generated/control');
const { Dflag } = await load<typeof import('../generated/handshake.js')>('generated/handshake');
const { atom, Pid, tuple } = await load<typeof import('../runtime/index.js')>('runtime/index');

const FLAGS = Dflag.FRAGMENTS | Dflag.SEND_SENDER | Dflag.DIST_HDR_ATOM_CACHE;
const from = new Pid(atom('distA@vm'), 40, 0, 1234);
const to = new Pid(atom('bwbench@vm'), 90, 0, 5678);
const MSG = tuple(atom('$gen_call'), tuple(atom('request'), 1), tuple(atom('get'), 'user:1', [tuple(atom('timeout'), 5000), tuple(atom('retries'), 3)]));

// The byte stream: N packets from one writer (its atom cache warm after the first).
const w = new PacketWriter(FLAGS);
const runs: Uint8Array[] = [];
for (let i = 0; i < N; i++) runs.push(...w.write(control.sendSender(from, to), MSG));
const stream = Buffer.concat(runs);
const chunks: Buffer[] = [];
for (let at = 0; at < stream.length; at += 65536) chunks.push(Buffer.from(stream.subarray(at, at + 65536)));

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const times: number[] = [];
for (let r = 0; r < ROUNDS + 1; r++) {
  let got = 0;
  const socket = new Duplex({ read() {}, write: (_c, _e, cb) => cb() });
  const c = new Connection(socket, new Uint8Array(0), { peer: 'distA@vm', flags: FLAGS }, { signal: () => void got++, closed: () => {} });
  const t0 = process.cpuUsage();
  for (const chunk of chunks) socket.emit('data', chunk);
  const t1 = process.cpuUsage(t0);
  const ns = ((t1.user + t1.system) * 1000) / N;
  if (got !== N) throw new Error(`got ${got} of ${N}`);
  c.close();
  if (r > 0) times.push(ns);
}
console.log(`receive: ${median(times).toFixed(0)} ns/packet median, ${Math.min(...times).toFixed(0)} best (${N} packets, ${ROUNDS} rounds)`);
