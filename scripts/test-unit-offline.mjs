// Runs the unit project (`npm run test:unit`) with Postgres and Redis out of reach: DATABASE_URL
// and REDIS_URL point at port 1 of loopback, where nothing listens. A unit test that opened a
// connection, or a module that connected on import, fails this run. Prints the wall time.
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

const started = performance.now();
const run = spawnSync('npx', ['vitest', 'run', '--project', 'unit', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: {
    ...process.env,
    DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/nowhere',
    TEST_DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/nowhere',
    REDIS_URL: 'redis://127.0.0.1:1',
  },
});
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`unit tests with Postgres and Redis unreachable: exit ${run.status}, ${seconds} s`);
process.exit(run.status ?? 1);
