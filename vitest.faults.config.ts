import { defineConfig } from 'vitest/config';
import { baseTest } from './vitest.config.ts';

/** `npm run test:faults`: the service as real processes, broken on purpose. */
export default defineConfig({
  test: {
    ...baseTest,
    include: ['test/faults/**/*.test.ts'],
    globalSetup: [...baseTest.globalSetup, 'test/helpers/tally.ts'],
    provide: { tallySuite: 'faults' },
    // One fault at a time: they kill processes and restart servers.
    fileParallelism: false,
    testTimeout: 180_000,
  },
});
