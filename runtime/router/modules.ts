// PLACEHOLDER until helper C's modules.ts lands.
import { createRequire } from 'node:module';
import { brotliDecompressSync } from 'node:zlib';
import type { ModuleBundle } from './bundle.js';
export class ModuleHost {
  readonly #bundles = new Map<string, ModuleBundle>();
  readonly #loaded = new Map<string, Record<string, unknown>>();
  #tail: Promise<unknown> = Promise.resolve();
  constructor(readonly o: { beamwire?: object } = {}) {}
  has(hash: string): boolean { return this.#bundles.has(hash); }
  get(hash: string): ModuleBundle | undefined { return this.#bundles.get(hash); }
  add(b: ModuleBundle): void { this.#bundles.set(b.hash, b); }
  call(hash: string, fn: string, args: unknown[], _inject: () => object): Promise<unknown> {
    const run = async (): Promise<unknown> => {
      let m = this.#loaded.get(hash);
      if (!m) {
        const src = brotliDecompressSync(this.#bundles.get(hash)!.code).toString();
        const mod = { exports: {} as Record<string, unknown> };
        const req = createRequire(process.cwd() + '/');
        new Function('exports', 'require', 'module', src)(mod.exports, (id: string) => (id === 'beamwire' ? this.o.beamwire : req(id)), mod);
        this.#loaded.set(hash, (m = mod.exports));
      }
      return (m[fn] as (...a: unknown[]) => unknown)(...args);
    };
    const p = this.#tail.then(run);
    this.#tail = p.catch(() => {});
    return p;
  }
}
