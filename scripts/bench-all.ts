/**
 * npm run bench — runs every bench/*.bench.ts present, one after another (they share the
 * machine: side by side they would measure each other), and prints each one's output. Each
 * script prints its figures next to the reference it measures in the same run. Extra arguments
 * pick scripts by name: `npm run bench -- writes jobs`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const wanted = process.argv.slice(2);
const scripts = readdirSync(`${root}/bench`)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();
if (scripts.length === 0) {
  process.stderr.write(`no bench script matches ${wanted.join(', ')}\n`);
  process.exit(2);
}
let failed = 0;
for (const script of scripts) {
  process.stdout.write(`\n=== bench/${script} ===\n`);
  const started = Date.now();
  const run = spawnSync(process.execPath, ['--import', 'tsx', `bench/${script}`], {
    cwd: root,
    stdio: 'inherit',
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  if (run.status !== 0) failed++;
  process.stdout.write(
    `=== ${script}: ${run.status === 0 ? 'done' : `failed (${run.status ?? run.signal})`} in ${seconds} s ===\n`,
  );
}
process.exitCode = failed > 0 ? 1 : 0;
