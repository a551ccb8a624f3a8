import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The Sentinel failover probe (a workload under six failovers, ~2 min) runs in a CI step of its own,
    // alone on the machine: WS_FAILOVER_PROBE=1 npx vitest run test/providers/redis-failover.test.ts
    exclude: [...configDefaults.exclude, ...(process.env.WS_FAILOVER_PROBE === '1' ? [] : ['test/providers/redis-failover.test.ts'])],
    // Timeouts catch hangs, not slowness: generous, so the suite passes on a loaded 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: run files in parallel processes, but not more than the machine has.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
