import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Most test files wait on real time (Go programs, daemons, Prometheus), so files run in parallel
 * beyond the core count (vitest's default, cores − 1, made the suite serial on a 2-core CI
 * machine: 766 s). Files whose assertions are about keeping up under load (the healthy services'
 * sample share beside hostile targets; clean stops between SIGKILLs; no incident on steady programs) run afterwards, one at a time.
 */
const ALONE = [
  'test/integration/daemon-hostile.test.ts',
  'test/integration/outbox-crash.test.ts',
  // Compressed-time detection on real Go programs: under a loaded CPU a steady program once showed a short-lived heap incident.
  'test/integration/daemon-detect-live.test.ts',
  // The same in 40-s windows with 8 programs at once: in a parallel run the minute-restart program once opened a 32-s heap incident (1 run in 5).
  'test/integration/daemon-detect-live2.test.ts',
];

const shared = { testTimeout: 60_000, hookTimeout: 120_000, pool: 'forks' } as const;

export default defineConfig({
  test: {
    globalSetup: ['test/setup/global.ts'],
    reporters: ['default', './test/setup/slowest-files.ts'],
    projects: [
      // maxConcurrency 6: analyze-real-go's six 75-s recordings run at once instead of five, then one more.
      { test: { ...shared, name: 'parallel', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...ALONE], maxWorkers: 4, maxConcurrency: 6, sequence: { groupOrder: 0 } } },
      { test: { ...shared, name: 'alone', include: ALONE, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
