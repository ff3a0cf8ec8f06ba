/**
 * Microbenchmark of the outbound path alone: Connection.send of the
 * dist_bench message with a SEND_SENDER control, over a loopback socket
 * whose other end reads and discards, 1000 sends per event-loop turn (as
 * bench/dist.ts sends), until the last byte left the socket. Also the cost
 * of ProcessContext.send to a remote pid when nothing is busy.
 *
 *   node --import tsx bench/send-micro.ts [--n 1000000] [--rounds 5]
 *
 * Prints the median and the best of the rounds, in ns per message (on a
 * shared machine the best is the steadier figure).
 */
import { createServer, connect } from 'node:net';
import { control } from '../generated/control.js';
import { Dflag } from '../generated/handshake.js';
import { Connection } from '../runtime/connection/connection.js';
import { atom, Pid, tuple } from '../runtime/index.js';
import { ProcessTable, type RemoteSignals } from '../runtime/process/index.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: number): number => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
const N = opt('--n', 1_000_000);
const ROUNDS = opt('--rounds', 5);
const from = new Pid(atom('bwbench@vm'), 40, 0, 1234);
const to = new Pid(atom('distA@vm'), 90, 0, 5678);
const MSG = tuple(atom('$gen_call'), tuple(atom('request'), 1), tuple(atom('get'), 'user:1', [tuple(atom('timeout'), 5000), tuple(atom('retries'), 3)]));
// What OTP 25 and beamwire negotiate, where the flag exists in the build measured.
const FLAGS = Dflag.FRAGMENTS | Dflag.SEND_SENDER | Dflag.DIST_HDR_ATOM_CACHE;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function connectionRound(): Promise<number> {
  const server = createServer((s) => s.on('data', () => {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const socket = connect((server.address() as { port: number }).port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const c = new Connection(socket, new Uint8Array(0), { peer: 'distA@vm', flags: FLAGS }, { signal: () => {}, closed: () => {} });
  const t0 = process.hrtime.bigint();
  for (let sent = 0; sent < N; ) {
    for (let k = 0; k < 1000; k++, sent++) c.send(control.sendSender(from, to), MSG);
    await new Promise((r) => setImmediate(r));
  }
  while (c.queued > 0) await new Promise((r) => setImmediate(r));
  const ns = Number(process.hrtime.bigint() - t0) / N;
  c.close();
  server.close();
  return ns;
}

function contextRound(): Promise<number> {
  const noop = (): void => {};
  const remote: RemoteSignals = { send: noop, regSend: noop, aliasSend: noop, link: noop, unlink: noop, unlinkAck: noop, exit: noop, exit2: noop, monitor: noop, demonitor: noop, down: noop, spawnRequest: noop, spawnReply: noop, busy: () => undefined };
  const t = new ProcessTable({ name: atom('bwbench@vm'), creation: 1 });
  t.attachRemote(remote);
  let ns = 0;
  return t.spawn((self) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) self.send(to, MSG);
    ns = Number(process.hrtime.bigint() - t0) / N;
  }).exited.then(() => ns);
}

const conn: number[] = [];
const ctx: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  conn.push(await connectionRound());
  ctx.push(await contextRound());
}
const best = (xs: number[]): number => Math.min(...xs);
console.log(`Connection.send, 1000 per turn, until written: median ${median(conn).toFixed(0)}, best ${best(conn).toFixed(0)} ns/msg`);
console.log(`ProcessContext.send to a remote pid, nothing busy (layer below is a no-op): median ${median(ctx).toFixed(1)}, best ${best(ctx).toFixed(1)} ns/msg`);
