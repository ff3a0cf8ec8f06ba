/**
 * Channels (runtime/router/): values per second through a Receiver, on one
 * node and from a second node over a MemoryCarrier, through a Select, and
 * the round trip of one value there and back. Run: `node --import tsx
 * bench/channels.ts` (sources through tsx: see run.ts on why that
 * understates a build). Not part of `npm run bench` yet.
 */
import { MemoryCarrier, Node, atom, tuple } from '../runtime/index.js';
import { Receiver, Select, Sender } from '../runtime/router/index.js';
const net = new MemoryCarrier();
const a = await Node.start({ name: 'ba@mem', cookie: 'x', transport: net, epmd: 'none', logger: 'silent' });
const b = await Node.start({ name: 'bb@mem', cookie: 'x', transport: net, epmd: 'none', logger: 'silent' });
const N = 200_000;
async function local() {
  const r = new Receiver(a); const tx = r.toSender();
  const t0 = performance.now();
  const done = (async () => { let n = 0; for await (const _ of r) n++; return n; })();
  for (let i = 0; i < N; i++) tx.send(i);
  tx.close();
  const n = await done; const ms = performance.now() - t0;
  return `local send+iterate: ${n} values in ${ms.toFixed(0)} ms = ${(n / ms * 1000 / 1e6).toFixed(2)} M/s`;
}
async function remote() {
  const r = new Receiver(a); const tx = Sender.fromTerm(r.toSender().toTerm(), b)!;
  await b.connect(a.name);
  const t0 = performance.now();
  const done = (async () => { let n = 0; for await (const _ of r) n++; return n; })();
  for (let i = 0; i < N; i++) { tx.send(tuple(atom('v'), i)); if (i % 10000 === 0) await b.drain(a.name); }
  tx.close();
  const n = await done; const ms = performance.now() - t0;
  return `cross-node (memory carrier) send+iterate: ${n} in ${ms.toFixed(0)} ms = ${(n / ms).toFixed(0)}k/s`;
}
async function select() {
  const rs = [...Array(10)].map(() => new Receiver(a)); const txs = rs.map((r) => r.toSender());
  const t0 = performance.now();
  const done = (async () => { let n = 0; for await (const _ of new Select(rs)) n++; return n; })();
  for (let i = 0; i < N; i++) txs[i % 10]!.send(i);
  for (const t of txs) t.close();
  const n = await done; const ms = performance.now() - t0;
  return `Select over 10 local receivers: ${n} in ${ms.toFixed(0)} ms = ${(n / ms * 1000 / 1e6).toFixed(2)} M/s`;
}
async function rt() {
  const M = 5000; const rs = new Receiver(a); const back = Sender.fromTerm(rs.toSender().toTerm(), b)!;
  const rb = new Receiver(b); const toB = Sender.fromTerm(rb.toSender().toTerm(), a)!;
  void (async () => { for await (const v of rb) back.send(v); })();
  const t0 = performance.now();
  for (let i = 0; i < M; i++) { toB.send(i); await rs.get(); }
  const ms = performance.now() - t0;
  rb.close(); rs.close();
  return `cross-node round trip (value there and back): ${(ms / M * 1000).toFixed(1)} µs`;
}
for (const f of [local, remote, select, rt]) console.log(await f());
await a.stop(); await b.stop();
