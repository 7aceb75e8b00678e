import { defineConfig } from 'vitest/config';
import { baseTest } from './vitest.config.ts';

/** `npm run test:abuse`: generated bad requests against every endpoint. */
export default defineConfig({
  test: {
    ...baseTest,
    include: ['test/abuse/**/*.test.ts'],
    globalSetup: [...baseTest.globalSetup, 'test/helpers/tally.ts'],
    provide: { tallySuite: 'abuse' },
  },
});
