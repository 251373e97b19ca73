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

/**
 * Two projects (vitest `test.projects`), one run: `unit` is test/unit/, pure logic with no
 * Postgres, Redis or servers (`npm run test:unit`, seconds); `integration` is every other test
 * file, against the real services, with the global setup that creates the run's database and
 * the OpenAPI response checker. `npm test` runs both.
 */
export default defineConfig({
  test: {
    maxWorkers: 2,
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: {
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      NODE_ENV: 'test',
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/unit/**', '**/node_modules/**'],
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/openapi-setup.ts'],
          env: {
            DATABASE_URL: testDatabaseUrl,
            // Test files share one database: a scheduled purge in one would race another's
            // assertions. test/integration/retention/ runs the purge itself, or schedules it
            // where that is tested.
            RETENTION_PURGE_INTERVAL_MS: '0',
            MAILSIFT_OPENAPI_COUNTS: process.env.MAILSIFT_OPENAPI_COUNTS,
          },
        },
      },
    ],
  },
});
