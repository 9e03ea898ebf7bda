import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', './tests/helpers/summary-reporter.ts'],
    projects: [
      { test: { name: 'unit', include: ['tests/unit/**/*.test.ts'] } },
      // Jobs that integration tests start would log each run: warnings and errors only. Tests of other features post
      // as brand-new members, the same sample listing many times a day, and read them at once: pre-moderation,
      // duplicate detection and the daily limit are off
      // unless a test turns them on (tests/integration/moderation.test.ts and content-rules.test.ts per database,
      // tests/e2e/trust.test.ts through the server's environment).
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          testTimeout: 30_000,
          env: { LOG_LEVEL: 'warn', MODERATION_NEW_MEMBER_LISTINGS: '0', POSTING_LIMIT_PER_DAY: '0', DUPLICATE_CHECK: 'false' },
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
          env: { MODERATION_NEW_MEMBER_LISTINGS: '0', POSTING_LIMIT_PER_DAY: '0', DUPLICATE_CHECK: 'false' },
        },
      },
    ],
  },
});
