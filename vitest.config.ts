import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Two projects: `unit` (every tier that runs in CI: unit, codegen, conformance,
// interop against a real erl, short fuzz campaigns) and `fuzz` (long campaigns,
// sized by FUZZ_RUNS / FUZZ_SECONDS / FUZZ_SEED). Always pass --project.
// At least two workers: vitest's default on 2 cores is one, idle while a file waits on erl, npm or tsc.
export default defineConfig({
  test: {
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
      },
      {
        extends: true,
        test: { name: 'fuzz', include: ['test/**/*.fuzz.ts'], testTimeout: 60 * 60_000, hookTimeout: 60_000 },
      },
    ],
  },
});
