/**
 * Routers and contexts with real child processes, a real worker thread,
 * and a real erl: start-up and its failures, calls direct and through
 * another context, logs, shutdown and orphans, and Erlang reaching a
 * context two hops away through the root.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atom, ChannelError, encode, Node, Router, StreamError, tuple, type Context } from '../../runtime/index.js';
import { fromTerm, toTerm } from '../../runtime/router/values.js';
import { shortHost } from '../../runtime/node/names.js';
import { evalIn, requireErl, startErl, type ErlNode } from '../support/erl-node.js';
import { testPort, until } from '../support/net.js';

const tasks = new URL('../fixtures/router-lead/tasks.ts', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'bw-router-'));
let router: Router;
const lines: string[] = [];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function script(name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

beforeAll(async () => {
  router = await Router.start();
  router.on('log', (ctx, stream, line) => lines.push(`${ctx} ${stream} ${line}`));
});

afterAll(async () => {
  await router.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a local context', () => {
  let w1: Context;
  beforeAll(async () => {
    w1 = await router.local({ name: 'w1' });
  });

  it('is a node of its own, in another process, reporting its Node version', async () => {
    expect(w1.nodeName).toBe(`w1@${router.node.name.split('@')[1]}`);
    expect(w1.version).toBe(process.version);
    const pid = (await w1.call(tasks, 'pid')) as number;
    expect(pid).not.toBe(process.pid);
    expect(alive(pid)).toBe(true);
    expect(await w1.call(tasks, 'add', 1, 2)).toBe(3);
    expect(router.node.nodes()).toContain(w1.nodeName);
  });

  it('is a node for rpc as well: beamwire_context:info', async () => {
    const info = (await router.node.rpc(w1.nodeName, 'beamwire_context', 'info', [])) as Map<unknown, unknown>;
    expect(info.get(atom('node'))).toBe(atom(w1.nodeName));
  });

  it("prints to the root's log, tagged, and never into the stream", async () => {
    await w1.call(tasks, 'print', 'hello from w1');
    await until('the log line', 5000, () => lines.find((l) => l === 'w1 stderr hello from w1'));
    await until('the stderr line', 5000, () => lines.find((l) => l === 'w1 stderr to stderr'));
    expect(await w1.call(tasks, 'add', 2, 2)).toBe(4); // the stream survived
  });

  it('a context started through it runs in a third process, reached through w1', async () => {
    const w2 = await router.local({ name: 'w2', via: w1 });
    expect(w2.via).toBe(w1);
    const pids = [process.pid, (await w1.call(tasks, 'pid')) as number, (await w2.call(tasks, 'pid')) as number];
    expect(new Set(pids).size).toBe(3);
    expect(await w2.call(tasks, 'add', 40, 2)).toBe(42);
    await w2.shutdown({ wait: true });
    expect(alive(pids[2]!)).toBe(false);
    expect(alive(pids[1]!)).toBe(true);
  });
});

describe('contexts call each other', () => {
  const reach = new URL('../fixtures/router-lead/reach.js', import.meta.url);

  it('a withContext function gets the router, its node and the caller; a sibling is reached through the root', async () => {
    const s1 = await router.local({ name: 's1' });
    const s2 = await router.local({ name: 's2' });
    expect(await s1.call(reach, 'injectedKinds')).toEqual({ router: true, node: s1.nodeName, caller: router.node.name });
    expect(await s1.call(reach, 'nodeOf', s2.nodeName)).toBe(s2.nodeName);
    await Promise.all([s1.shutdown({ wait: true }), s2.shutdown({ wait: true })]);
  });

  it('unidirectional: a sibling is refused, the parent is not', async () => {
    const uni = await Router.start({ unidirectional: true });
    try {
      const u1 = await uni.local({ name: 'u1' });
      const u2 = await uni.local({ name: 'u2' });
      const e = (await u1.call(reach, 'nodeOf', u2.nodeName).catch((x: unknown) => x)) as Error;
      expect(e.name).toBe('CallError');
      expect(e.message).toContain('unidirectional');
      expect(await u1.call(reach, 'nodeOf', u1.nodeName)).toBe(u1.nodeName);
    } finally {
      await uni.stop();
    }
  });

  it('a Sender passed as an argument streams values back from the context, and the receiver ends when it closes', async () => {
    const p1 = await router.local({ name: 'p1' });
    const recv = router.receiver();
    expect(await p1.call(reach, 'pump', recv.toSender(), 5)).toBe(5);
    const got: unknown[] = [];
    for await (const v of recv) got.push(v);
    expect(got).toEqual([0, 1, 2, 3, 4].map((i) => ({ i, square: i * i })));
    await p1.shutdown({ wait: true });
  });
});

describe('a worker context', () => {
  it('runs in a thread of this process', async () => {
    const t1 = await router.worker({ name: 't1' });
    expect(await t1.call(tasks, 'pid')).toBe(process.pid);
    expect(await t1.call(tasks, 'thread')).not.toBe(0);
    expect(await t1.call(tasks, 'add', 1, 1)).toBe(2);
    await t1.shutdown({ wait: true });
    await expect(t1.call(tasks, 'add', 1, 1)).rejects.toBeInstanceOf(ChannelError);
  });
});

describe('start-up failures reject with StreamError carrying what the child printed', () => {
  it('no such program', async () => {
    const e = await router.local({ name: 'nope', node: join(dir, 'no-such-node') }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StreamError);
    expect((e as StreamError).reason).toBe('spawn');
  });

  it('a Node too old', async () => {
    const old = script('old-node', 'echo "BW000 v16.20.2 linux/x64"; sleep 10');
    const e = (await router.local({ name: 'old', node: old }).catch((x: unknown) => x)) as StreamError;
    expect(e.code).toBe('STREAM_VERSION');
    expect(e.message).toContain('v16.20.2');
  });

  it('a child that dies at once', async () => {
    const bad = script('bad-node', 'echo "segfault imminent" >&2; exit 3');
    const e = (await router.local({ name: 'bad', node: bad }).catch((x: unknown) => x)) as StreamError;
    expect(e.reason).toBe('exited');
    expect(e.output).toContain('segfault imminent');
    expect(e.message).toContain('exit status 3');
  });

  it('a child that never answers', async () => {
    const slow = script('slow-node', 'echo "Welcome to the banner"; sleep 30');
    const e = (await router.local({ name: 'slow', node: slow, timeout: 600 }).catch((x: unknown) => x)) as StreamError;
    expect(e.reason).toBe('timeout');
    expect(e.output).toContain('Welcome to the banner');
  });
});

describe('lifecycle: no orphans', () => {
  it('kill -9 of a middle context: its child exits by itself, and calls to both fail with ChannelError', async () => {
    const m = await router.local({ name: 'mid' });
    const leaf = await router.local({ name: 'leaf', via: m });
    const [mp, lp] = [(await m.call(tasks, 'pid')) as number, (await leaf.call(tasks, 'pid')) as number];
    const gone = new Promise<string>((r) => m.once('disconnect', r));
    process.kill(mp, 'SIGKILL');
    await gone;
    await until('the leaf to exit', 10_000, () => (alive(lp) ? undefined : true));
    const e = await leaf.call(tasks, 'add', 1, 1).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ChannelError);
    expect((e as ChannelError).reason).toBe('context_gone');
    await expect(m.call(tasks, 'add', 1, 1)).rejects.toBeInstanceOf(ChannelError);
  });

  it('kill -9 of the root: every context exits', async () => {
    const root = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../fixtures/router-lead/root.ts', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    root.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const pids = await until('the pids', 30_000, () => (out.includes('\n') ? (JSON.parse(out) as { w1: number; w2: number }) : undefined));
    expect(alive(pids.w1) && alive(pids.w2)).toBe(true);
    root.kill('SIGKILL');
    await until('both contexts to exit', 10_000, () => (alive(pids.w1) || alive(pids.w2) ? undefined : true));
  });

  it('shutdown({ wait }) cascades to the context’s own children', async () => {
    const top = await router.local({ name: 'top' });
    const below = await router.local({ name: 'below', via: top });
    const pids = [(await top.call(tasks, 'pid')) as number, (await below.call(tasks, 'pid')) as number];
    await top.shutdown({ wait: true });
    expect(pids.map(alive)).toEqual([false, false]);
  });
});

describe('Erlang reaches contexts through the root', () => {
  let erl: ErlNode;
  let node: Node;
  let relayed: Router;
  const epmdPort = testPort();
  beforeAll(async () => {
    requireErl();
    node = await Node.start({ name: 'bwroot', cookie: 'routercookie', epmd: { mode: 'embedded', port: epmdPort } });
    relayed = await Router.start({ node, relay: true });
    erl = await startErl('erlr', 'routercookie', epmdPort);
  });
  afterAll(async () => {
    await relayed?.stop();
    await node?.stop();
    await erl?.stop();
  });

  it('erpc:call from erl into a context two hops away', async () => {
    const a = await relayed.local({ name: 'ra' });
    const b = await relayed.local({ name: 'rb', via: a });
    expect(b.nodeName).toBe(`rb@${shortHost()}`);
    const got = await evalIn(node, erl.name, `maps:get(node, erpc:call('${b.nodeName}', beamwire_context, info, [], 10000)).`, 15_000);
    expect(got).toBe(atom(b.nodeName));
  });

  it('Erlang reads the values mapping naturally, and what Erlang writes reads as JavaScript values', async () => {
    const bytes = encode(toTerm({ name: 'w1', n: 3, ratio: 0.5, tags: ['a'], none: null, big: 2n ** 70n, when: new Date(0), set: new Set([1]) }));
    const pattern = `#{<<"name">> := <<"w1">>, <<"n">> := 3, <<"ratio">> := 0.5, <<"tags">> := [<<"a">>], <<"none">> := nil, <<"big">> := Big, <<"when">> := {'$bw_date', 0}, <<"set">> := {'$bw_set', [1]}} when Big =:= 1 bsl 70`;
    expect(await evalIn(node, erl.name, `case binary_to_term(<<${[...bytes].join(',')}>>) of ${pattern} -> matched; Other -> {nomatch, Other} end.`)).toBe(atom('matched'));
    const made = await evalIn(node, erl.name, `#{<<"a">> => [1, 2.5, nil, <<"text">>, <<255>>], <<"b">> => {ok, undefined}}.`);
    expect(fromTerm(made)).toEqual({ a: [1, 2.5, null, 'text', new Uint8Array([255])], b: tuple(atom('ok'), undefined as never) });
  });

  it('a context two hops down reaches the Erlang node through the root', async () => {
    const a = await relayed.local({ name: 'oa' });
    const b = await relayed.local({ name: 'ob', via: a });
    expect(await b.call(new URL('../fixtures/router-lead/reach.js', import.meta.url), 'nodeOf', erl.name)).toBe(erl.name);
  });
});
