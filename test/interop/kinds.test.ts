// paragram's process kinds (runtime/kinds/): node.spawn(fn, { kind: 'thread' | 'os' }) runs the process on the node
// of a pooled worker-thread or child-process context, and the root sees it as a process of another node: its pid,
// messages both ways, links and exits across, a monitor's DOWN with the reason, a beamwire Supervisor restarting
// it after a crash, erl's supervisor:which_children/1 naming the contexts' nodes; the pool starts contexts lazily and
// reuses them. The example application runs as a user runs it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atom, equals, format, KindError, Node, on, P, Pid, Router, Supervisor, type Process, type ProcessContext, type ProcessFn, type Term } from '../../runtime/index.js';
import { KindPools } from '../../runtime/kinds/index.js';
import { evalIn, requireErl, startErl, type ErlNode } from '../support/erl-node.js';
import { testPort, until } from '../support/net.js';

const epmdPort = testPort();
let node: Node;
let peer: ErlNode;
beforeAll(async () => {
  requireErl();
  node = await Node.start({ name: 'kinds', cookie: 'kinds-cookie', epmd: { mode: 'embedded', port: epmdPort }, logger: 'silent' });
  peer = await startErl('kindspeer', 'kinds-cookie', epmdPort);
}, 60_000);
afterAll(async () => {
  await peer?.stop();
  await node?.stop();
});

/** Runs `body` in a local process and resolves with what it returns. */
function inProcess<T>(body: (self: ProcessContext) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => void node.spawn((self) => body(self).then(resolve, reject)));
}

// Self-contained, as a shipped function must be: `[from, n]` in, `['sum', n, total, node]` out; 'crash' throws.
const summer = async (self: ProcessContext): Promise<void> => {
  for (;;) {
    const m = (await self.receive()) as unknown;
    if (m instanceof Uint8Array && new TextDecoder().decode(m) === 'crash') throw new Error('asked to crash');
    const [from, n] = m as [Pid, number];
    let total = 0;
    for (let i = 1; i <= n; i++) total += i;
    self.send(from, ['sum', n, total, String(self.node.name)]);
  }
};

// Checked by `npm run typecheck`: the kind decides the type, a Process at once for 'local', a promise of one otherwise.
export function spawnTypes(n: Node, fn: ProcessFn): void {
  const local: Process = n.spawn(fn, { exitPolicy: 'paragram' });
  const thread: Promise<Process> = n.spawn(fn, { kind: 'thread' });
  const linked: Promise<Process> = n.spawnLink(local.pid, fn, { kind: 'os' });
  // @ts-expect-error an OS process's handle comes as a promise
  const wrong: Process = n.spawn(fn, { kind: 'os' });
  // @ts-expect-error there is no such kind
  n.spawn(fn, { kind: 'fiber' });
  void [thread, linked, wrong];
}

const text = (t: unknown): string => (t instanceof Uint8Array ? new TextDecoder().decode(t) : String(t));

describe.each(['thread', 'os'] as const)("a '%s' process", (kind) => {
  it('has a pid of its context node, and takes and sends messages', async () => {
    const p = await node.spawn(summer, { kind });
    const contexts = (await KindPools.of(node).contexts(kind)).map((c) => c.nodeName);
    expect(contexts).toContain(p.pid.node.name);
    expect(p.pid.node.name).not.toBe(node.name);
    expect(p.alive).toBe(true);
    const reply = await inProcess(async (self) => {
      self.send(p.pid, [self.pid, 100]);
      return (await self.receive(undefined, { timeout: 10_000 })) as Term[];
    });
    expect([text(reply[0]), reply[1], reply[2], text(reply[3])]).toEqual(['sum', 100, 5050, p.pid.node.name]);
    node.exit(p.pid, atom('kill'));
    expect(await p.exited).toBe(atom('killed'));
    expect(p.alive).toBe(false);
    expect(p.reason).toBe(atom('killed'));
  });

  it('is linked by spawnLink: its crash reaches the parent as an EXIT with the reason, and the parent’s end reaches it', async () => {
    const [exit, child] = await inProcess(async (self) => {
      self.trapExit(true);
      const c = await node.spawnLink(self.pid, summer, { kind });
      self.send(c.pid, 'crash');
      return [await self.receive(on(P.tuple(atom('EXIT'), P.pid(c.pid), P.bind('reason')), ({ reason }) => reason), { timeout: 10_000 }), c] as const;
    });
    expect(format(exit)).toBe('{error,<<"Error: asked to crash">>}');
    expect(format(await child.exited)).toBe('{error,<<"Error: asked to crash">>}');

    let c!: Process;
    const parent = node.spawn(async (self) => {
      c = await node.spawnLink(self.pid, summer, { kind });
      self.exit(atom('parent_gone'));
    });
    await parent.exited;
    expect(await c.exited).toBe(atom('parent_gone'));
  });

  it('gives a monitor its DOWN with the reason it ended with', async () => {
    const down = await inProcess(async (self) => {
      const c = await node.spawn(async (s) => {
        await s.receive();
        s.exit('done here');
      }, { kind });
      const ref = self.monitor(c.pid);
      self.send(c.pid, 'go');
      return self.receive(on(P.tuple(atom('DOWN'), P.ref(ref), atom('process'), P.pid(c.pid), P.bind('reason')), ({ reason }) => reason), { timeout: 10_000 });
    });
    expect(equals(down, 'done here')).toBe(true);
  });

  it('is restarted by a Supervisor after a crash, again in a context', async () => {
    const sup = await Supervisor.start(node, {
      strategy: 'one_for_one',
      intensity: 3,
      period: 5,
      children: [{ id: 'summer', start: (s: Pid) => node.spawnLink(s, summer, { kind }) }],
    });
    const first = sup.whichChildren()[0]!.pid as Pid;
    expect(first.node.name).not.toBe(node.name);
    node.send(first, 'crash');
    const second = await until('the restarted child', 10_000, () => {
      const pid = sup.whichChildren()[0]!.pid;
      return pid instanceof Pid && !equals(pid, first) ? pid : undefined;
    });
    expect(second.node.name).not.toBe(node.name);
    const reply = await inProcess(async (self) => {
      self.send(second, [self.pid, 3]);
      return (await self.receive(undefined, { timeout: 10_000 })) as Term[];
    });
    expect(reply[2]).toBe(6);
    const down = node.monitor(second).down;
    await sup.stop();
    expect(await down).toBe(atom('shutdown'));
  });
});

describe('the pool', () => {
  it('reuses its contexts: spawns that come one after another run on the same node', async () => {
    const a = await node.spawn(summer, { kind: 'thread' });
    node.exit(a.pid, atom('kill'));
    await a.exited;
    const b = await node.spawn(summer, { kind: 'thread' });
    expect(b.pid.node.name).toBe(a.pid.node.name);
    node.exit(b.pid, atom('kill'));
    await b.exited;
  });

  it('spreads concurrent processes over at most availableParallelism() contexts per kind, started as needed', async () => {
    const pools = KindPools.of(node);
    const procs = await Promise.all(Array.from({ length: pools.size + 1 }, () => node.spawn(summer, { kind: 'os' })));
    const nodes = new Set(procs.map((p) => p.pid.node.name));
    expect(nodes.size).toBe(pools.size);
    expect((await pools.contexts('os')).length).toBe(pools.size);
    for (const p of procs) node.exit(p.pid, atom('kill'));
    await Promise.all(procs.map((p) => p.exited));
  });

  it('starts its contexts from the router a node already runs, once handed it (a node takes one router)', async () => {
    const other = await Node.start({ name: 'kinds_own_router', cookie: 'kinds-cookie', epmd: { mode: 'embedded', port: 0 }, logger: 'silent' });
    try {
      const router = await Router.start({ node: other });
      KindPools.of(other).useRouter(router);
      expect(() => KindPools.of(other).useRouter(router)).toThrow(/a router already/);
      const p = await other.spawn(summer, { kind: 'thread' });
      expect(router.contexts().map((c) => c.nodeName)).toContain(p.pid.node.name);
      await router.stop();
      expect(await p.exited).toBe(atom('noconnection'));
    } finally {
      await other.stop();
    }
  });

  it('refuses a function that cannot be shipped, before any context is asked', async () => {
    const bound = summer.bind(undefined);
    await expect(node.spawn(bound, { kind: 'thread' })).rejects.toThrow(KindError);
    await expect(node.spawn(bound, { kind: 'os' })).rejects.toMatchObject({ code: 'NOT_SHIPPABLE', kind: 'os' });
    const o = { m(self: ProcessContext) { return self.pid; } };
    await expect(node.spawn(o.m, { kind: 'thread' })).rejects.toThrow(/not a function expression/);
  });

  it('refuses a spawn of another kind from inside a context: KindError UNAVAILABLE', async () => {
    const p = await node.spawn(summer, { kind: 'thread' });
    const context = (await KindPools.of(node).contexts('thread')).find((c) => c.nodeName === p.pid.node.name)!;
    expect(await context.call(new URL('../fixtures/kinds/nested.js', import.meta.url), 'spawnThread')).toBe('KindError UNAVAILABLE');
    node.exit(p.pid, atom('kill'));
    await p.exited;
  });

  it('passes paragram’s exit policy to the process: a linked normal end ends it too', async () => {
    let c!: Process;
    const parent = node.spawn(async (self) => {
      c = await node.spawnLink(self.pid, summer, { kind: 'thread', exitPolicy: 'paragram' });
    });
    expect(await parent.exited).toBe(atom('normal'));
    expect(await c.exited).toBe(atom('normal'));
  });
});

describe('Erlang → a beamwire Supervisor of thread and OS processes', () => {
  it('supervisor:which_children/1 names children whose pids are on the contexts’ nodes', async () => {
    const sup = await Supervisor.start(node, {
      children: (['thread', 'os'] as const).map((kind) => ({ id: kind, start: (s: Pid) => node.spawnLink(s, summer, { kind }) })),
    }, { name: 'kinds_sup' });
    const [t, o] = sup.whichChildren().map((c) => c.pid as Pid);
    const nodes = await evalIn(node, peer.name, `[{Id, node(P)} || {Id, P, worker, []} <- supervisor:which_children({kinds_sup, '${node.name}'}), is_pid(P)].`);
    expect(format(nodes)).toBe(`[{thread,'${t!.node.name}'},{os,'${o!.node.name}'}]`);
    expect(t!.node.name).not.toBe(node.name);
    expect(format(await evalIn(node, peer.name, `supervisor:count_children({kinds_sup, '${node.name}'}).`))).toBe('[{specs,2},{active,2},{supervisors,0},{workers,2}]');
    await sup.stop();
  });
});

describe('examples/supervised-app.ts', () => {
  it('runs as a user runs it (node --import tsx) and exits 0 by itself', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const c = spawn(process.execPath, ['--import', 'tsx', 'examples/supervised-app.ts'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.stderr.on('data', (d: Buffer) => (out += d.toString()));
      c.on('exit', (code) => resolve({ code, out }));
    });
    expect(out).toMatch(/restarted/);
    expect(out).toMatch(/cache hit/);
    expect(code).toBe(0);
  }, 90_000);
});
