import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

// A database of its own per test run, so runs side by side never touch each other's data.
const testDatabaseUrl =
  process.env.TEST_DATABASE_URL ??
  `postgresql://postgres@127.0.0.1:5432/mailsift_test_${process.pid}`;
process.env.MAILSIFT_TEST_DATABASE_URL = testDatabaseUrl;
// Where each test file's OpenAPI response checker leaves its count (summed in the teardown).
process.env.MAILSIFT_OPENAPI_COUNTS = path.join(os.tmpdir(), `mailsift-openapi-${process.pid}`);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/openapi-setup.ts'],
    env: {
      DATABASE_URL: testDatabaseUrl,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      NODE_ENV: 'test',
      // Test files share one database: a scheduled purge in one would race another's assertions.
      // test/integration/retention/ runs the purge itself, or schedules it where that is tested.
      RETENTION_PURGE_INTERVAL_MS: '0',
      MAILSIFT_OPENAPI_COUNTS: process.env.MAILSIFT_OPENAPI_COUNTS,
    },
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
