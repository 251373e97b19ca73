/**
 * npm run bench -- retention — the retention purge of one expired job of BENCH_RETENTION_ROWS
 * addresses (rows and results), with as many expired facts of synchronous validations, next to
 * the reference measured in the same run on the same Postgres: one unbatched DELETE per table of
 * an identical job (what a purge without batches would hold as one long statement). Prints the time of each, the number of statements and the
 * longest statement of the batched purge. Own database, dropped at the end.
 */
import pg from 'pg';
import { createDatabase } from '../src/data/db.ts';
import { migrate } from '../src/data/migrate.ts';
import { loadConfig } from '../src/config/env.ts';
import { createLogger } from '../src/lib/logger.ts';
import { purgeExpired } from '../src/domain/retention/purge-expired.ts';

const ROWS = Number(process.env.BENCH_RETENTION_ROWS ?? 100_000);
const BASE = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const DB = Object.assign(new URL(BASE), { pathname: '/mailsift_bench_retention' }).toString();

async function dropDb() {
  const admin = new pg.Client({ connectionString: BASE });
  await admin.connect();
  await admin.query('DROP DATABASE IF EXISTS mailsift_bench_retention WITH (FORCE)');
  await admin.end();
}

/**
 * An ended job of ROWS addresses, expired a day ago, with its rows and results, and as many
 * expired facts.
 */
async function seed(c: pg.Client, jobId: string, account: string) {
  await c.query(
    `INSERT INTO jobs (id, account_id, source, status, mode, total, unique_count, completed_at,
                       expires_at)
     VALUES ($1, $2, 'emails', 'completed', 'live', $3, $3, now() - interval '31 days',
             now() - interval '1 day')`,
    [jobId, account, ROWS],
  );
  await c.query(
    `INSERT INTO job_rows (job_seq, idx, email, normalized, domain, syntax_valid)
     SELECT (SELECT seq FROM jobs WHERE id = $1), g, 'user.' || g || '@company' || (g % 2000) || '.example',
            'user.' || g || '@company' || (g % 2000) || '.example',
            'company' || (g % 2000) || '.example', true
       FROM generate_series(0, $2 - 1) g`,
    [jobId, ROWS],
  );
  await c.query(
    `INSERT INTO results (job_seq, idx, status, reason, checks, duration_ms)
     SELECT (SELECT seq FROM jobs WHERE id = $1), g, 'deliverable', 'accepted_email', '[true, "x", true]', 3
       FROM generate_series(0, $2 - 1) g`,
    [jobId, ROWS],
  );
  await c.query(
    `INSERT INTO email_facts (account_seq, mode, normalized, domain, status, reason, checks,
                              source, validated_at)
     SELECT (SELECT seq FROM accounts WHERE id = $1), 'live', $3 || '.' || g || '@x.example', 'x.example', 'deliverable',
            'accepted_email', '[]', 'validate', now() - interval '31 days'
       FROM generate_series(0, $2 - 1) g`,
    [account, ROWS, jobId],
  );
}

await dropDb();
await migrate(DB);
const c = new pg.Client({ connectionString: DB });
await c.connect();
await c.query(
  `INSERT INTO accounts (id, name, plan, webhook_secret) VALUES ('acct_a', 'a', 'business', 's')`,
);
await seed(c, 'job_reference', 'acct_a');
await c.query('ANALYZE');

// The reference: one statement per table, each as long as the table's part of the job.
const refStatements: number[] = [];
for (const q of [
  "DELETE FROM results WHERE job_seq = (SELECT seq FROM jobs WHERE id = 'job_reference')",
  "DELETE FROM job_rows WHERE job_seq = (SELECT seq FROM jobs WHERE id = 'job_reference')",
  "DELETE FROM email_facts WHERE normalized LIKE 'job\\_reference.%'",
]) {
  const t = performance.now();
  await c.query(q);
  refStatements.push(performance.now() - t);
}
await c.query("DELETE FROM jobs WHERE id = 'job_reference'");

await seed(c, 'job_purged', 'acct_a');
await c.query('ANALYZE');
const config = loadConfig({ DATABASE_URL: DB });
const db = createDatabase(DB, 2);
// Every statement's time, read from the pool's queries.
const times: number[] = [];
const query = db.pool.query.bind(db.pool);
db.pool.query = ((...args: unknown[]) => {
  const t = performance.now();
  return (query as (...a: unknown[]) => Promise<unknown>)(...args).finally(() =>
    times.push(performance.now() - t),
  );
}) as typeof db.pool.query;
const started = performance.now();
const report = await purgeExpired({ db, config, logger: createLogger('silent') });
const purgeMs = performance.now() - started;
const left = await c.query(
  `SELECT (SELECT count(*) FROM results)::int + (SELECT count(*) FROM job_rows)::int
          + (SELECT count(*) FROM email_facts)::int + (SELECT count(*) FROM jobs)::int AS n`,
);

const ms = (n: number) => `${n.toFixed(0)} ms`;
const refTotal = refStatements.reduce((a, b) => a + b, 0);
console.log(`statements (ms): ${times.map((t) => t.toFixed(0)).join(' ')}`);
console.log(`rows per table: ${ROWS} (job_rows, results, email_facts)`);
console.log(
  `reference, one DELETE per table: ${ms(refTotal)}, longest statement ${ms(Math.max(...refStatements))}`,
);
console.log(
  `purge-expired in batches:       ${ms(purgeMs)}, ${report.statements} statements, longest ${ms(Math.max(...times))}`,
);
console.log(
  `ratio total ${(purgeMs / refTotal).toFixed(2)}x; longest statement ${(Math.max(...times) / Math.max(...refStatements)).toFixed(2)}x the reference's; rows left ${left.rows[0].n}`,
);
await db.close();
await c.end();
await dropDb();
