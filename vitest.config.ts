import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/globalSetup.ts'],
    // Files run in parallel, each in its own database cloned from a template.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { GRAPHILE_ENV: 'development' },
  },
});
