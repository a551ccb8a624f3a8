import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Timeouts catch hangs, not slowness: generous, so the suite passes on a loaded 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: run files in parallel processes, but not more than the machine has.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
