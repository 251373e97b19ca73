import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { buildOpenApiDocument } from '../../src/http/openapi/document.ts';
import { migrate } from '../../src/data/migrate.ts';
import { ensureWebBuilt } from './web-build.ts';

const url = () => process.env.MAILSIFT_TEST_DATABASE_URL!;

async function dropDatabase() {
  const name = new URL(url()).pathname.slice(1);
  const admin = new URL(url());
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await client.end();
}

/** A fresh database per test run, migrated the way `npm start` migrates; dropped afterwards. */
export default async function setup() {
  await dropDatabase();
  await migrate(url());
  await ensureWebBuilt();
  const counts = process.env.MAILSIFT_OPENAPI_COUNTS;
  if (counts) rmSync(counts, { recursive: true, force: true });
  return async () => {
    if (counts) reportCheckedResponses(counts);
    if (!process.env.TEST_DATABASE_URL) await dropDatabase();
  };
}

/**
 * Sums what each test file's response checker counted (test/support/openapi-setup.ts), prints it
 * and keeps it in .openapi/checked-responses.json, the figure the README quotes.
 */
function reportCheckedResponses(dir: string) {
  const file = `${dir}/counts.jsonl`;
  if (!existsSync(file)) return;
  let checked = 0;
  const seen = new Map<string, number>();
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const entry = JSON.parse(line) as { checked: number; seen: [string, number][] };
    checked += entry.checked;
    for (const [key, n] of entry.seen) seen.set(key, (seen.get(key) ?? 0) + n);
  }
  const documented = Object.entries(buildOpenApiDocument().paths).flatMap(([p, item]) =>
    Object.entries(item).flatMap(([m, op]) =>
      Object.keys(op.responses as object).map((s) => `${m.toUpperCase()} ${p} ${s}`),
    ),
  );
  const covered = documented.filter((k) => seen.has(k));
  const summary = {
    checked,
    documentedResponses: documented.length,
    coveredResponses: covered.length,
    byResponse: Object.fromEntries([...seen].sort(([a], [b]) => a.localeCompare(b))),
  };
  mkdirSync('.openapi', { recursive: true });
  writeFileSync('.openapi/checked-responses.json', `${JSON.stringify(summary, null, 2)}\n`);
  console.log(
    `OpenAPI: ${checked} responses checked against the document; ` +
      `${covered.length} of ${documented.length} documented (operation, status) pairs were seen.`,
  );
  rmSync(dir, { recursive: true, force: true });
}
