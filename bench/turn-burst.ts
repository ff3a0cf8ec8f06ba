/**
 * Two beamwire nodes in two processes, one TCP distribution connection:
 * how many socket writes (each a write(2) or writev(2) on loopback) and how
 * much CPU a message costs when many are sent in one event-loop turn, and
 * what a lone message's round trip costs (coalescing must not delay it).
 *
 *   node --import tsx bench/turn-burst.ts [--burst 1000] [--bursts 300] [--rtt 5000] [--beamwire PATH]
 *
 * This process (`tbA`) starts an embedded EPMD and a child process (`tbB`)
 * that runs `echo` (returns each message to the bound caller) and `sink`
 * (counts, answers {done, From} with {count, N}). Runs:
 *   rtt:   sequential send → reply pairs through echo, timed here;
 *   burst: `--burst` sends to sink in one synchronous loop, then a yield to
 *          the event loop (setImmediate), `--bursts` times; per message: wall
 *          and CPU of this process, CPU of the child, socket writes of both;
 *   echo burst: the same sends to echo, all replies awaited: how the
 *          receiving node's replies to one inbound chunk go out.
 * Socket writes are counted at net.Socket's _write/_writev (one native write
 * each). --beamwire loads beamwire from a build (as bench/dist.ts).
 */
import { spawn } from 'node:child_process';
import { Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { freePort } from '../test/support/net.js';

type Beamwire = typeof import('../runtime/index.js');
const argv = process.argv.slice(2);
const opt = (name: string, dflt: number): number => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
const str = (name: string): string | null => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : null);
const BURST = opt('--burst', 1000);
const BURSTS = opt('--bursts', 300);
const RTT = opt('--rtt', 5000);
const COOKIE = 'turnburst';
const path = str('--beamwire');
const bw = (path === null ? await import('../runtime/index.js') : await import(pathToFileURL(path).href)) as Beamwire;
const { atom, tuple, P, on } = bw;
const MSG = tuple(atom('$gen_call'), tuple(atom('request'), 1), tuple(atom('get'), 'user:1', [tuple(atom('timeout'), 5000), tuple(atom('retries'), 3)]));

let writes = 0;
const proto = Socket.prototype as unknown as Record<'_write' | '_writev', (...a: unknown[]) => void>;
for (const m of ['_write', '_writev'] as const) {
  const orig = proto[m];
  proto[m] = function (this: unknown, ...a: unknown[]) {
    writes++;
    return orig.apply(this, a);
  };
}
const cpuUs = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

if (argv.includes('--child')) {
  const node = await bw.Node.start({ name: 'tbB', cookie: COOKIE, epmd: { mode: 'external', port: opt('--epmd', 0) } });
  let bound: unknown;
  const echo = node.spawn(async (self) => {
    for (;;) {
      const m = await self.receive();
      if (m instanceof bw.Tuple && m.elements[0] === atom('bind')) bound = m.elements[1];
      else self.send(bound as never, m);
    }
  });
  node.register('echo', echo.pid);
  const sink = node.spawn(async (self) => {
    let n = 0;
    let c0 = cpuUs();
    let w0 = writes;
    for (;;) {
      const m = await self.receive();
      if (m instanceof bw.Tuple && m.elements[0] === atom('done')) {
        self.send(m.elements[1] as never, tuple(atom('count'), n, cpuUs() - c0, writes - w0));
        n = 0;
        c0 = cpuUs();
        w0 = writes;
      } else n++;
    }
  });
  node.register('sink', sink.pid);
  process.stdout.write('ready\n');
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
} else {
  const epmdPort = await freePort();
  const node = await bw.Node.start({ name: 'tbA', cookie: COOKIE, epmd: { mode: 'embedded', port: epmdPort } });
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1), '--child', '--epmd', String(epmdPort)], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((r) => child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && r()));
  const peer = `tbB@${node.name.split('@')[1]}`;
  const echo = tuple(atom('echo'), atom(peer)) as never;
  const sink = tuple(atom('sink'), atom(peer)) as never;
  const p = node.spawn(async (self) => {
    self.send(echo, tuple(atom('bind'), self.pid));
    // Round trips: a lone message each way, nothing else queued.
    const times: number[] = [];
    for (let i = 0; i < RTT + 1000; i++) {
      const t0 = process.hrtime.bigint();
      self.send(echo, MSG);
      await self.receive();
      if (i >= 1000) times.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    times.sort((a, b) => a - b);
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    console.log(`rtt: mean ${mean.toFixed(1)} µs, p50 ${times[times.length >> 1]!.toFixed(1)}, p99 ${times[Math.floor(times.length * 0.99)]!.toFixed(1)} (${RTT} round trips)`);

    // One-way bursts: BURST sends in one turn, then a yield.
    const oneWay = async (bursts: number): Promise<string> => {
      const w0 = writes;
      const c0 = cpuUs();
      const t0 = process.hrtime.bigint();
      for (let b = 0; b < bursts; b++) {
        for (let k = 0; k < BURST; k++) self.send(sink, MSG);
        await new Promise(setImmediate);
      }
      self.send(sink, tuple(atom('done'), self.pid));
      const r = (await self.receive([on(P.bind('t', P.tuple(atom('count'), P.any, P.any, P.any)), ({ t }) => t)])) as InstanceType<Beamwire['Tuple']>;
      const us = Number(process.hrtime.bigint() - t0) / 1000;
      const n = bursts * BURST;
      const [count, childCpu, childWrites] = r.elements.slice(1) as number[];
      return `${(n / us).toFixed(3)} M msgs/s, ${count} received; cpu ${((cpuUs() - c0) / n).toFixed(3)} µs/msg sent, ${(childCpu! / n).toFixed(3)} received; writes ${writes - w0} here (${((writes - w0) / bursts).toFixed(2)} per burst), ${childWrites} there`;
    };
    await oneWay(Math.ceil(BURSTS / 4));
    console.log(`burst of ${BURST} in one turn ×${BURSTS}: ${await oneWay(BURSTS)}`);

    // Echo bursts: every reply awaited; the child's writes answer our chunks.
    const e0 = writes;
    const c0 = cpuUs();
    const t0 = process.hrtime.bigint();
    const EB = Math.ceil(BURSTS / 10);
    for (let b = 0; b < EB; b++) {
      for (let k = 0; k < BURST; k++) self.send(echo, MSG);
      for (let k = 0; k < BURST; k++) await self.receive();
    }
    const us = Number(process.hrtime.bigint() - t0) / 1000;
    self.send(sink, tuple(atom('done'), self.pid));
    const there = ((await self.receive([on(P.bind('t', P.tuple(atom('count'), P.any, P.any, P.any)), ({ t }) => t)])) as InstanceType<Beamwire['Tuple']>).elements[3];
    console.log(`echo burst of ${BURST} ×${EB}: ${((EB * BURST) / us).toFixed(3)} M msgs/s, cpu ${((cpuUs() - c0) / (EB * BURST)).toFixed(3)} µs/msg here, writes here ${writes - e0}, there ${there as number}`);
  });
  const reason = await p.exited;
  if (reason !== atom('normal')) console.log('ended:', bw.format(reason));
  child.stdin.end();
  await node.stop();
  process.exit(0);
}
