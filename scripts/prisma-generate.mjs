// Runs `prisma generate` without network: generate never runs the schema engine, but the CLI
// insists that one exists, so point it at any existing file when none was downloaded.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const env = { ...process.env };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY || !existsSync(env.PRISMA_SCHEMA_ENGINE_BINARY)) {
  env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;
}
let cli;
try {
  cli = require.resolve('prisma/build/index.js');
} catch {
  console.error('prisma-generate: the prisma CLI is not installed (it is a dev dependency).');
  process.exit(1);
}
const result = spawnSync(process.execPath, [cli, 'generate'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
