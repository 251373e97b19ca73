import type { Database, Db } from './db.ts';
import { clientOf, withTransaction, type Sql } from './transaction.ts';

export interface WorkRow {
  idx: number;
  email: string;
  domain: string;
  syntax_valid: boolean;
}

/**
 * Chunk boundaries in work order (domain, idx): every `size`-th unique row starts a chunk.
 *
 * The job's unique rows are read in the order of job_rows_work_order_idx, which is the work
 * order: no sort. For a job just ingested the statistics do not know ("1 row"), and the planner
 * chose a bitmap scan and a sort that spilled to disk (1M rows: 1.23 s against 0.78 s walking the
 * index; issue 13), so bitmap scans and sorts are turned off for this one statement.
 */
export async function chunkStarts(db: Database, jobId: string, size: number) {
  return withTransaction(db, async (tx) => {
    const client = clientOf(tx);
    await client.query('SET LOCAL enable_bitmapscan = off');
    await client.query('SET LOCAL enable_sort = off');
    const { rows } = await client.query<{ domain: string; idx: number }>(
      `SELECT domain, idx FROM (
         SELECT domain, idx, row_number() OVER (ORDER BY domain, idx) - 1 AS rn
           FROM job_rows
          WHERE job_seq = (SELECT seq FROM jobs WHERE id = $1) AND duplicate_of IS NULL) s
        WHERE rn % $2 = 0
        ORDER BY domain, idx`,
      [jobId, size],
    );
    return rows;
  });
}

/**
 * The unique rows of a chunk that have no result yet (a re-run skips what is done).
 *
 * `OFFSET 0` keeps the NOT EXISTS a per-row lookup of results' primary key on (job_seq, idx).
 * Without it the planner turns it into an anti join, and for a new job of a database whose
 * statistics were taken before it (the job's id unknown to them: "1 row") it picked an inner scan
 * of the job's every result for each row — a chunk of 500 reading 500 × the results so far, so a
 * second 1M job stalled at 50,000 (measured: 1.2 s against 0.1 s for 50 rows; issue 13).
 */
export async function pendingRowsInRange(
  db: Db,
  jobId: string,
  from: [string, number],
  to: [string, number] | null,
): Promise<WorkRow[]> {
  const [toDomain, toIdx] = to ?? [null, null];
  return db.$queryRaw<WorkRow[]>`
    SELECT j.idx, j.email, j.domain, j.syntax_valid FROM job_rows j
     WHERE j.job_seq = (SELECT seq FROM jobs WHERE id = ${jobId}) AND j.duplicate_of IS NULL
       AND (j.domain, j.idx) >= (${from[0]}, ${from[1]}::int)
       AND (${toDomain}::text IS NULL OR (j.domain, j.idx) < (${toDomain}::text, ${toIdx}::int))
       AND NOT EXISTS (SELECT 1 FROM results r WHERE r.job_seq = j.job_seq AND r.idx = j.idx OFFSET 0)
     ORDER BY j.domain, j.idx`;
}

export async function pendingRowsByIdx(db: Db, jobId: string, idx: number[]): Promise<WorkRow[]> {
  return db.$queryRaw<WorkRow[]>`
    SELECT j.idx, j.email, j.domain, j.syntax_valid FROM job_rows j
     WHERE j.job_seq = (SELECT seq FROM jobs WHERE id = ${jobId}) AND j.idx = ANY(${idx}::int[])
       AND NOT EXISTS (SELECT 1 FROM results r WHERE r.job_seq = j.job_seq AND r.idx = j.idx OFFSET 0)
     ORDER BY j.domain, j.idx`;
}

/** True when a live job has every row counted (its last flush committed, the ending maybe not). */
export async function isJobDone(sql: Sql, jobId: string): Promise<boolean> {
  const { rows } = await clientOf(sql).query<{ done: boolean }>(
    `SELECT processed >= total AS done FROM jobs
      WHERE id = $1 AND deleted_at IS NULL AND status IN ('queued', 'processing')`,
    [jobId],
  );
  return rows[0]?.done ?? false;
}

/**
 * Credits a job has earned so far: unique addresses of valid syntax whose verdict is not
 * `unknown` (duplicates and invalid syntax were never reserved).
 *
 * Written without a join: for a job ended before autovacuum analysed its rows, the planner
 * believes it has one row and joined results to job_rows as a nested loop whose inner side
 * scanned all the job's rows for each result (1M × 1M: a 1M job never ended; issue 13). Here
 * each table is read once, the few invalid rows through a hashed sub-plan, whatever the
 * statistics say.
 */
export async function countEarnedCredits(sql: Sql, jobId: string): Promise<number> {
  const { rows } = await clientOf(sql).query<{ n: number }>(
    `SELECT count(*)::int AS n FROM results r
      WHERE r.job_seq = (SELECT seq FROM jobs WHERE id = $1) AND r.status <> 'unknown'
        AND r.idx NOT IN (SELECT j.idx FROM job_rows j
                           WHERE j.job_seq = (SELECT seq FROM jobs WHERE id = $1)
                             AND NOT j.syntax_valid)`,
    [jobId],
  );
  return rows[0]?.n ?? 0;
}

export async function markProcessing(db: Db, jobId: string) {
  await db.$executeRaw`
    UPDATE jobs SET status = 'processing', started_at = COALESCE(started_at, now())
     WHERE id = ${jobId} AND status = 'queued' AND deleted_at IS NULL`;
}

/**
 * The most cells any stored row of a job holds (a list entry is one), for a job ingested before
 * jobs.row_width was recorded: one pass over its rows.
 */
export async function maxRowWidth(db: Db, jobId: string): Promise<number> {
  const [row] = await db.$queryRaw<{ width: number }[]>`
    SELECT COALESCE(max(CASE WHEN fields IS NULL THEN 1
                             ELSE json_array_length(fields::json) END), 0)::int AS width
      FROM job_rows WHERE job_seq = (SELECT seq FROM jobs WHERE id = ${jobId})`;
  return row?.width ?? 0;
}
