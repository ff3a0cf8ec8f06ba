/**
 * Compiles test/types/proxy.ts (Remote<T>) with the repo's tsconfig and
 * demands zero diagnostics; then shows the check has teeth: one directive
 * removed, the error it excused is reported.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnostics } from '../support/typecheck.js';

const file = resolve(import.meta.dirname, 'proxy.ts');
const source = readFileSync(file, 'utf8');
const check = (text: string): string[] => diagnostics(new Map([[file, text]]));

describe('Remote<T> under tsc', () => {
  it('has zero diagnostics: right uses compile, every @ts-expect-error is a real error', () => {
    expect(check(source)).toEqual([]);
  }, 120_000);

  it('fails when a directive is removed', () => {
    const directive = '  // @ts-expect-error add takes numbers\n';
    expect(source).toContain(directive);
    expect(check(source.replace(directive, '')).join('\n')).toMatch(/Argument of type 'string' is not assignable to parameter of type/);
  }, 120_000);
});
