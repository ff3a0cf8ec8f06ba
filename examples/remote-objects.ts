/**
 * A typed remote object: an inventory served by one node and used by
 * another, through `node.proxy<Inventory>()`. Run it with
 * `node --import tsx examples/remote-objects.ts` (embedded EPMD, any port).
 *
 * It shows a call, a property read, a pipelined chain (one round trip), a
 * reference released with `using`, a callback, a stream with
 * back-pressure, a refusal, and a remote error that keeps its class.
 */
import { CallError, Node, type Remote } from '../runtime/index.js';

interface Item {
  readonly sku: string;
  readonly name: string;
  count: number;
}

/** One shelf: a class instance, so it crosses as a reference. */
class Shelf {
  constructor(readonly items: Item[]) {}
  find(sku: string): Item {
    const item = this.items.find((i) => i.sku === sku);
    if (item === undefined) throw new RangeError(`no item ${sku}`);
    return item;
  }
  total(): number {
    return this.items.reduce((n, i) => n + i.count, 0);
  }
}

class Inventory {
  readonly store = 'north';
  readonly #shelves = new Map([
    ['a', new Shelf([{ sku: 'a1', name: 'bolts', count: 120 }, { sku: 'a2', name: 'nuts', count: 80 }])],
    ['b', new Shelf([{ sku: 'b1', name: 'washers', count: 300 }])],
  ]);
  readonly #watchers = new Set<(e: { sku: string; count: number }) => unknown>();

  shelf(id: string): Shelf {
    const s = this.#shelves.get(id);
    if (s === undefined) throw new RangeError(`no shelf ${id}`);
    return s;
  }
  take(shelf: string, sku: string, n: number): number {
    const item = this.shelf(shelf).find(sku);
    if (item.count < n) throw new RangeError(`only ${item.count} ${item.name} left`, { cause: { sku, asked: n } });
    item.count -= n;
    for (const w of this.#watchers) void w({ sku, count: item.count });
    return item.count;
  }
  watch(onChange: (e: { sku: string; count: number }) => unknown): void {
    this.#watchers.add(onChange);
  }
  async *audit(): AsyncIterable<Item> {
    for (const s of this.#shelves.values()) for (const i of s.items) yield { ...i };
  }
  reset(): void {
    this.#shelves.clear();
  }
}

const owner = await Node.start({ name: 'inventory', cookie: 'example', epmd: { mode: 'embedded', port: 0 }, logger: 'silent' });
owner.exposeObject('inventory', new Inventory(), { allow: ['store', 'shelf', 'take', 'watch', 'audit'] });
const shop = await Node.start({ name: 'shop', cookie: 'example', epmd: { mode: 'external', port: owner.epmdPort }, logger: 'silent' });

const inv: Remote<Inventory> = await shop.proxy<Inventory>('inventory', { node: owner.name });
console.log(`store      ${await inv.store}`);
console.log(`shelf a    ${await inv.shelf('a').total()} items (one round trip: shelf() and total() pipelined)`);

const seen: string[] = [];
await inv.watch((e) => void seen.push(`${e.sku}=${e.count}`));
console.log(`take       ${await inv.take('a', 'a1', 20)} bolts left`);

{
  using b = await inv.shelf('b'); // a reference, released at the end of this block
  console.log(`washers    ${await b.find('b1').count}`);
}

const e = await inv.take('a', 'a2', 1000).catch((x: unknown) => x as RangeError);
console.log(`refused    ${e instanceof RangeError} ${(e as RangeError).message} (cause ${JSON.stringify((e as RangeError).cause)})`);
const no = await inv.reset().catch((x: unknown) => x as CallError);
console.log(`reset      ${(no as CallError).code}`);

const names: string[] = [];
for await (const item of await inv.audit()) names.push(`${item.name}:${item.count}`);
console.log(`audit      ${names.join(' ')}`);
await new Promise((r) => setTimeout(r, 50)); // the watcher's call crossed back meanwhile
console.log(`watched    ${seen.join(' ')}`);

await shop.stop();
await owner.stop();
