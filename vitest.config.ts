import { configDefaults, defineConfig } from 'vitest/config';

/** Shared by `npm test`, `npm run test:faults` and `npm run test:abuse`. */
export const baseTest = {
  globalSetup: ['test/helpers/globalSetup.ts'],
  // Files run in parallel, each in its own database cloned from a template.
  pool: 'forks' as const,
  testTimeout: 60_000,
  hookTimeout: 120_000,
  env: { GRAPHILE_ENV: 'development' },
};

export default defineConfig({
  test: {
    ...baseTest,
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, 'test/faults/**', 'test/abuse/**'],
  },
});
