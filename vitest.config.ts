import { defineConfig } from 'vitest/config';

// Two projects: `unit` (every tier that runs in CI: unit, codegen, conformance,
// interop against a real erl, short fuzz campaigns) and `fuzz` (long campaigns,
// sized by FUZZ_RUNS / FUZZ_SECONDS / FUZZ_SEED). Always pass --project.
export default defineConfig({
  test: {
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
