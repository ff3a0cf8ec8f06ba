/**
 * `node --import tsx examples/supervised-app.ts`: a small supervised
 * application. `app_sup` (one_for_one) runs a GenServer cache and a pool
 * supervisor whose workers are OS processes (paragram's `kind: 'os'`), each
 * counting primes on a core of its own. Jobs go to the workers round-robin
 * and their answers into the cache; a worker that crashes is restarted by
 * its supervisor in an OS process again, and a job asked twice is a cache hit.
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { atom, format, GenServer, Node, Pid, Supervisor, tuple, Tuple, type CallResult, type From, type InitResult, type ProcessContext, type Term } from '../runtime/index.js';

/** The cache: `{get, N}` answers the count or `undefined`, `{put, N, Count}` keeps it. */
class Cache extends GenServer<Map<number, number>> {
  init(): InitResult<Map<number, number>> {
    return { state: new Map() };
  }
  handleCall(request: Term, _from: From, cache: Map<number, number>): CallResult<Map<number, number>> {
    const [op, n, count] = request instanceof Tuple ? request.elements : [];
    if (op === atom('get')) return { reply: cache.get(n as number) ?? atom('undefined'), state: cache };
    if (op === atom('put')) return { reply: atom('ok'), state: cache.set(n as number, count as number) };
    return { reply: tuple(atom('error'), atom('badarg')), state: cache };
  }
}

// An OS-process worker. It is shipped as its source, so it uses nothing from outside: `[from, n]` in,
// `[n, primes below n]` out, and `'crash'` makes it throw (its supervisor restarts it).
const worker = async (self: ProcessContext): Promise<void> => {
  for (;;) {
    const job = (await self.receive()) as unknown;
    if (job instanceof Uint8Array) throw new Error(`told to ${new TextDecoder().decode(job)}`);
    const [from, n] = job as [Pid, number];
    let count = 0;
    for (let i = 2; i < n; i++) {
      let prime = true;
      for (let d = 2; d * d <= i; d++) if (i % d === 0) { prime = false; break; }
      if (prime) count++;
    }
    self.send(from, [n, count]);
  }
};

const node = await Node.start({ name: 'app', cookie: 'supervised-app', epmd: { mode: 'embedded', port: 0 }, logger: 'silent' });
const size = Math.max(2, availableParallelism());

/** The pool's supervisor, as last started (app_sup would start it again). */
let workers!: Supervisor;

const sup = await Supervisor.start(node, {
  strategy: 'one_for_one',
  intensity: 3,
  period: 5,
  children: [
    { id: 'cache', start: () => Cache.start(node, undefined, { name: 'cache' }) },
    {
      id: 'workers',
      type: 'supervisor',
      start: async () => (workers = await Supervisor.start(node, {
        strategy: 'one_for_one',
        children: Array.from({ length: size }, (_, i) => ({ id: `worker${i}`, start: (s: Pid) => node.spawnLink(s, worker, { kind: 'os' }) })),
      })),
    },
  ],
}, { name: 'app_sup' });

const pool = (): Pid[] => workers.whichChildren().flatMap((c) => (c.pid instanceof Pid ? [c.pid] : []));

/** Counts primes below each n: from the cache, or from a worker (round-robin), into the cache. */
function count(ns: number[]): Promise<number[]> {
  return new Promise((resolve, reject) => {
    node.spawn(async (self) => {
      const answers = new Map<number, number>();
      const workers = pool();
      let next = 0;
      for (const n of ns) {
        const cached = await node.call('cache', tuple(atom('get'), n));
        if (typeof cached === 'number') {
          console.log(`cache hit   primes below ${n}: ${cached}`);
          answers.set(n, cached);
        } else self.send(workers[next++ % workers.length]!, [self.pid, n]);
      }
      while (answers.size < ns.length) {
        const [n, c] = (await self.receive(undefined, { timeout: 60_000 })) as [number, number];
        await node.call('cache', tuple(atom('put'), n, c));
        console.log(`computed    primes below ${n}: ${c}`);
        answers.set(n, c);
      }
      resolve(ns.map((n) => answers.get(n)!));
    }).exited.then((why) => why !== atom('normal') && reject(new Error(`the job ended ${format(why)}`)));
  });
}

console.log(`app_sup up: a cache and ${pool().length} OS-process workers (${pool().map((p) => p.node.name).join(', ')})`);
let t0 = performance.now();
await count([2_000_000, 2_000_001, 2_000_002, 2_000_003]);
console.log(`4 jobs in ${(performance.now() - t0).toFixed(0)} ms`);

// A worker crashes; its supervisor starts another OS process in its place.
const [victim] = pool();
node.send(victim!, 'crash');
while (pool().some((p) => p === victim) || pool().length < size) await new Promise((r) => setTimeout(r, 10));
const replacement = workers.whichChildren()[0]!.pid as Pid;
console.log(`worker0 crashed and was restarted: ${victim!.toString()} -> ${replacement.toString()}`);

t0 = performance.now();
await count([2_000_000, 3_000_000]); // the first from the cache, the second from a worker (the restarted one too)
console.log(`2 jobs in ${(performance.now() - t0).toFixed(0)} ms`);

await sup.stop(); // workers (each OS process told `shutdown`), then the cache: reverse start order
await node.stop();
