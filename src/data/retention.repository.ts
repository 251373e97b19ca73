import { jobSeqOf } from './job-seq.ts';
import { clientOf, type Sql } from './transaction.ts';

/**
 * The SQL of results retention (docs/retention.md). Every delete is bounded (`batch` rows a
 * statement, each its own short transaction), so the purge never holds a lock for long and a
 * purge cut short is taken up where it stopped.
 */

/** Ended jobs past their expiry, longest expired first (deleted ones too: their rows go). */
export async function expiredJobIds(sql: Sql, limit: number): Promise<string[]> {
  const { rows } = await clientOf(sql).query<{ id: string }>(
    'SELECT id FROM jobs WHERE expires_at <= now() ORDER BY expires_at LIMIT $1',
    [limit],
  );
  return rows.map((r) => r.id);
}

/**
 * Marks an expired job deleted: the purge's decision is final from here (a retention extended
 * meanwhile no longer brings it back) and its Idempotency-Key is free again.
 */
export async function retireExpiredJob(sql: Sql, jobId: string): Promise<void> {
  await clientOf(sql).query(
    `UPDATE jobs SET deleted_at = now()
      WHERE id = $1 AND deleted_at IS NULL AND expires_at <= now()`,
    [jobId],
  );
}

/**
 * A job's stored input, rows and results, at most `batch` rows a statement. Each table is walked
 * by ranges of its key (idx, seq) rather than `LIMIT`ed re-scans: a re-scan would pass over the
 * index entries of every row deleted before it (they stay until vacuum), so cost would grow with
 * the square of the job's size.
 */
export async function deleteJobData(
  sql: Sql,
  jobId: string,
  batch: number,
): Promise<{ rows: number; statements: number }> {
  let rows = 0;
  let statements = 1;
  // job_uploads is keyed by the job's id, job_rows and results by its seq (src/data/job-seq.ts).
  const seq = await jobSeqOf(sql, jobId);
  if (seq === null) return { rows, statements }; // its row is gone, its data with it (trigger)
  for (const table of ['job_uploads', 'results', 'job_rows'] as const) {
    const { key, perStatement, job } = JOB_TABLES[table];
    const owner = job === 'id' ? jobId : seq;
    // About 1 MB an upload part: a tenth of the batch is plenty per statement.
    const step = perStatement === 'parts' ? Math.max(1, Math.ceil(batch / 10)) : batch;
    const { rows: top } = await clientOf(sql).query<{ max: number | null }>(
      `SELECT max(${key}) AS max FROM ${table} WHERE ${JOB_COLUMN[job]} = $1`,
      [owner],
    );
    statements += 1;
    const last = top[0]?.max ?? -1;
    for (let from = 0; from <= last; from += step) {
      const { rowCount } = await clientOf(sql).query(
        `DELETE FROM ${table} WHERE ${JOB_COLUMN[job]} = $1 AND ${key} >= $2 AND ${key} < $3`,
        [owner, from, from + step],
      );
      rows += rowCount ?? 0;
      statements += 1;
    }
  }
  return { rows, statements };
}

/** The tables of a job's data, the column that names the job, and the key that numbers its rows from 0. */
const JOB_TABLES = {
  job_uploads: { job: 'id', key: 'seq', perStatement: 'parts' },
  results: { job: 'seq', key: 'idx', perStatement: 'rows' },
  job_rows: { job: 'seq', key: 'idx', perStatement: 'rows' },
} as const;
const JOB_COLUMN = { id: 'job_id', seq: 'job_seq' } as const;

/**
 * Removes a retired job's own row, once its data is gone; its webhook events and attempts (a few
 * rows) go with it by cascade. The credit ledger keeps its lines (job_id is not a foreign key).
 */
export async function deleteRetiredJob(sql: Sql, jobId: string): Promise<boolean> {
  const { rowCount } = await clientOf(sql).query(
    'DELETE FROM jobs WHERE id = $1 AND deleted_at IS NOT NULL AND expires_at <= now()',
    [jobId],
  );
  return (rowCount ?? 0) > 0;
}

/**
 * Deletes up to `batch` email facts older than their account's retention (the account's own days,
 * else `defaultDays`). The first bound, by the shortest retention of all, lets the BRIN index on
 * validated_at skip the recent part of the table.
 */
export async function deleteExpiredFacts(
  sql: Sql,
  defaultDays: number,
  batch: number,
): Promise<number> {
  const { rowCount } = await clientOf(sql).query(
    `DELETE FROM email_facts WHERE ctid = ANY(ARRAY(
       SELECT f.ctid FROM email_facts f JOIN accounts a ON a.seq = f.account_seq
        WHERE f.validated_at < now() - make_interval(days => (
                SELECT LEAST($1::int, min(results_retention_days)) FROM accounts))
          AND f.validated_at < now() - make_interval(
                days => COALESCE(a.results_retention_days, $1::int))
        LIMIT $2))`,
    [defaultDays, batch],
  );
  return rowCount ?? 0;
}

/**
 * Sets an account's own retention (null: the default) and re-stamps its jobs with `days`, the
 * retention now in force: ended jobs get their new expires_at, running ones the days they will
 * get when they end. One statement. Null when there is no such account.
 */
export async function setAccountRetention(
  sql: Sql,
  accountId: string,
  override: number | null,
  days: number,
): Promise<{ jobs: number } | null> {
  const { rows } = await clientOf(sql).query<{ accounts: number; jobs: number }>(
    `WITH a AS (
       UPDATE accounts SET results_retention_days = $2::int WHERE id = $1 RETURNING id
     ), j AS (
       UPDATE jobs SET retention_days = $3::int,
                       expires_at = completed_at + make_interval(days => $3::int)
        WHERE account_id IN (SELECT id FROM a) AND deleted_at IS NULL
        RETURNING 1
     )
     SELECT (SELECT count(*) FROM a)::int AS accounts, (SELECT count(*) FROM j)::int AS jobs`,
    [accountId, override, days],
  );
  const row = rows[0];
  return row && row.accounts > 0 ? { jobs: row.jobs } : null;
}
