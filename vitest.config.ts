import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', './tests/helpers/summary-reporter.ts'],
    projects: [
      { test: { name: 'unit', include: ['tests/unit/**/*.test.ts'] } },
      // Jobs that integration tests start would log each run: warnings and errors only. Tests of other features post
      // as brand-new members and read their listings at once: pre-moderation is off unless a test turns it on
      // (tests/integration/moderation.test.ts with setReviewPolicy, tests/e2e/moderation.test.ts through the env).
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          testTimeout: 30_000,
          env: { LOG_LEVEL: 'warn', MODERATION_NEW_MEMBER_LISTINGS: '0' },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // One built server and one browser per file; files run one at a time on this 2-core machine.
          fileParallelism: false,
          env: { MODERATION_NEW_MEMBER_LISTINGS: '0' },
        },
      },
    ],
  },
});
