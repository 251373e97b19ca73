import { defineConfig } from 'vitest/config';

// A database of its own per test run, so runs side by side never touch each other's data.
const testDatabaseUrl =
  process.env.TEST_DATABASE_URL ??
  `postgresql://postgres@127.0.0.1:5432/mailsift_test_${process.pid}`;
process.env.MAILSIFT_TEST_DATABASE_URL = testDatabaseUrl;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    env: {
      DATABASE_URL: testDatabaseUrl,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      NODE_ENV: 'test',
    },
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
