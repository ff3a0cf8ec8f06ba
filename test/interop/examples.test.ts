/**
 * Scenario tier, the examples as a user runs them (`node --import tsx
 * examples/<name>.ts`): each exits 0 by itself and prints what its header
 * promises.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

function run(name: string): { status: number | null; out: string } {
  const file = fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('examples', () => {
  it('remote-objects.ts: a typed remote object between two nodes', () => {
    const { status, out } = run('remote-objects.ts');
    expect(out).toContain('store      north');
    expect(out).toContain('shelf a    200 items');
    expect(out).toContain('take       100 bolts left');
    expect(out).toContain('washers    300');
    expect(out).toContain('refused    true only 80 nuts left (cause {"sku":"a2","asked":1000})');
    expect(out).toContain('reset      NOT_ALLOWED');
    expect(out).toContain('audit      bolts:100 nuts:80 washers:300');
    expect(out).toContain('watched    a1=100');
    expect(status).toBe(0);
  }, 90_000);
});
