/**
 * Fuzz-adjacent scenario tier, remote objects under hostile requests: a
 * peer that speaks the proxy protocol by hand (a process registered as
 * `beamwire_proxy` on a bare node, so it sees the raw results) sends
 * malformed messages, unknown references, huge paths and chains, deep
 * nesting and bogus releases. Each gets a clear error or is dropped; the
 * owner keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atom, Node, Tuple, tuple, type Term } from '../../runtime/index.js';
import { ProxyEndpoint } from '../../runtime/proxy/index.js';
import { MAX_KEPT } from '../../runtime/proxy/endpoint.js';

let owner: Node;
let raw: Node;
const results = new Map<number, Tuple>();
let waiters: (() => void)[] = [];

const PUSH = atom('push');
const name = (n: string): Tuple => tuple(atom('name'), n);
const send = (m: Term): void => raw.send(['beamwire_proxy', owner.name], m);
const push = (id: number, target: Tuple, path: string[], kind: string, args: Term[] = []): void => send(tuple(PUSH, id, target, path, atom(kind), args, true, true));

async function resultOf(id: number, ms = 5000): Promise<{ ok: boolean; code?: string; value: Term }> {
  const end = Date.now() + ms;
  while (!results.has(id)) {
    if (Date.now() > end) throw new Error(`no result for push ${id}`);
    await new Promise<void>((r) => {
      waiters.push(r);
      setTimeout(r, 100);
    });
  }
  const [, , status, value] = results.get(id)!.elements;
  const fields = value instanceof Tuple && value.elements[1] instanceof Map ? [...(value.elements[1] as Map<Term, Term>)] : [];
  const found = fields.find(([k]) => Buffer.from(k as Uint8Array).toString() === 'code')?.[1];
  const code = found === undefined ? undefined : Buffer.from(found as Uint8Array).toString();
  return { ok: status === atom('ok'), value: value!, ...(typeof code === 'string' ? { code } : {}) };
}

beforeAll(async () => {
  owner = await Node.start({ name: 'hostowner@127.0.0.1', cookie: 'c', epmd: { mode: 'embedded', port: 0 }, logger: 'silent' });
  raw = await Node.start({ name: 'hostraw@127.0.0.1', cookie: 'c', epmd: { mode: 'external', port: owner.epmdPort }, logger: 'silent' });
  owner.exposeObject('calc', { add: (a: number, b: number) => a + b, echo: (x: unknown) => x, nested: { deep: { fn: () => 1 } } });
  const take = (m: Term): void => {
    if (m instanceof Tuple && m.elements[0] === atom('result')) results.set(m.elements[1] as number, m);
    if (m instanceof Tuple && m.elements[0] === atom('batch')) (m.elements[1] as Term[]).forEach(take);
  };
  const p = raw.spawnHandler(() => (m) => {
    take(m);
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  });
  raw.register('beamwire_proxy', p.pid);
  await raw.connect(owner.name);
});
afterAll(async () => {
  await raw?.stop();
  await owner?.stop();
});

async function stillServes(id: number): Promise<void> {
  push(id, name('calc'), ['add'], 'call', [2, 3]);
  expect(await resultOf(id)).toMatchObject({ ok: true, value: 5 });
}

describe('hostile requests', () => {
  it('malformed messages are dropped, and the owner keeps serving', async () => {
    for (const m of [atom('junk'), tuple(PUSH), tuple(PUSH, -1, name('calc'), [], atom('call'), [], true, true), tuple(PUSH, 1, 'calc', [], atom('call'), [], true, true), tuple(PUSH, 2, name('calc'), [1], atom('call'), [], true, true), tuple(PUSH, 3, name('calc'), [], atom('explode'), [], true, true), tuple(PUSH, 4, name('calc'), [], atom('call'), [], atom('maybe')), tuple(atom('batch'), [tuple(atom('batch'), [tuple(PUSH, 5, name('calc'), ['add'], atom('call'), [1, 1], true, true)])]), tuple(atom('release'), [tuple(1, -5)]), tuple(atom('settled'), ['x'])] as Term[]) send(m);
    await stillServes(100);
    expect([1, 2, 3, 4, 5].some((i) => results.has(i))).toBe(false); // a batch inside a batch is not read
  });

  it('unknown references, pushes and names get a clear error', async () => {
    push(101, tuple(atom('ref'), 999_999), [], 'call');
    expect(await resultOf(101)).toMatchObject({ ok: false, code: 'NO_SUCH_REF' });
    push(102, tuple(atom('op'), 888_888), ['x'], 'get');
    expect(await resultOf(102)).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    push(103, name('nope'), [], 'probe');
    expect(await resultOf(103)).toMatchObject({ ok: false, code: 'NO_SUCH_NAME' });
    // A reference to the owner's own object that this peer was never given.
    push(104, name('calc'), ['echo'], 'call', [tuple(atom('$bw_ref'), atom(owner.name), 1, atom('object'))]);
    expect(await resultOf(104)).toMatchObject({ ok: false, code: 'NO_SUCH_REF' });
    push(105, name('calc'), ['echo'], 'call', [tuple(atom('$bw_op'), 777_777)]);
    expect(await resultOf(105)).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    send(tuple(atom('release'), [tuple(999_999, 1)]));
    await stillServes(106);
  });

  it('a huge path is refused; a long pipelined chain is served without growing the stack', async () => {
    push(110, name('calc'), Array.from({ length: 10_000 }, () => 'nested'), 'get');
    expect(await resultOf(110)).toMatchObject({ ok: false, code: 'NOT_ALLOWED' });
    // 5,000 pipelined gets, each on the result of the one before: nested.deep, then deep's deep is missing.
    push(111, name('calc'), ['nested'], 'get');
    let id = 111;
    for (let i = 0; i < 5000; i++) push(++id, tuple(atom('op'), id - 1), [], 'get');
    expect((await resultOf(id)).ok).toBe(true);
    await stillServes(id + 1);
  });

  it('deep nesting in arguments is refused, not a crash', async () => {
    let deep: Term = [];
    for (let i = 0; i < 2000; i++) deep = [deep];
    push(20_000, name('calc'), ['echo'], 'call', [deep]);
    // Deeper than the codec decodes (1000): the message is refused where it is read, and nothing is answered.
    await expect(resultOf(20_000)).rejects.toThrow(/no result/);
    await stillServes(20_001);
  }, 20_000);

  it('a flood of kept results is bounded: past MAX_KEPT the oldest goes, and a call on it is refused', async () => {
    const ep = ProxyEndpoint.of(owner);
    const first = 200_000;
    const n = MAX_KEPT + 50;
    for (let i = 0; i < n; i++) send(tuple(PUSH, first + i, name('calc'), ['nested'], atom('get'), [], false, true));
    push(first + n, tuple(atom('op'), first + n - 1), ['deep'], 'get'); // the newest is kept
    expect((await resultOf(first + n, 30_000)).ok).toBe(true);
    expect(ep.stats().kept).toBeLessThanOrEqual(MAX_KEPT);
    push(first + n + 1, tuple(atom('op'), first), ['deep'], 'get'); // the oldest is not
    expect(await resultOf(first + n + 1)).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    await stillServes(first + n + 2);
  }, 60_000);
});
