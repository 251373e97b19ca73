import type { Database, Db } from './db.ts';
import { clientOf, queryPlannedWithout, type Sql } from './transaction.ts';

export interface WorkRow {
  idx: number;
  email: string;
  domain: string;
  syntax_valid: boolean;
}

/**
 * A unique row's place in the work order, [hashtext(domain), idx]: the key of
 * job_rows_work_order_idx after the job. A domain's rows are together (with those of any domain
 * sharing its hash), in input order.
 */
export type WorkKey = [hash: number, idx: number];

const INT4_MIN = -(2 ** 31);
const INT4_MAX = 2 ** 31 - 1;

/**
 * Chunk boundaries in work order: every `size`-th unique row starts a chunk.
 *
 * The job's unique rows are read in the order of job_rows_work_order_idx, which is the work
 * order: no sort. For a job just ingested the statistics do not know ("1 row"), and the planner
 * chose a bitmap scan and a sort that spilled to disk (1M rows: 1.23 s against 0.78 s walking the
 * index; issue 13), so bitmap scans and sorts are turned off for this one statement.
 */
export async function chunkStarts(db: Database, jobId: string, size: number): Promise<WorkKey[]> {
  const rows = await queryPlannedWithout<{ hash: number; idx: number }>(
    db,
    ['bitmapscan', 'sort'],
    `SELECT hash, idx FROM (
         SELECT hashtext(domain) AS hash, idx,
                row_number() OVER (ORDER BY hashtext(domain), idx) - 1 AS rn
           FROM job_rows
          WHERE job_seq = (SELECT seq FROM jobs WHERE id = $1) AND duplicate_of IS NULL) s
        WHERE rn % $2 = 0
        ORDER BY hash, idx`,
    [jobId, size],
  );
  return rows.map((r): WorkKey => [r.hash, r.idx]);
}

/** Postgres's hashtext() of each text, in order (WorkOrder.agreesWith). */
export async function hashtexts(sql: Sql, texts: string[]): Promise<number[]> {
  const { rows } = await clientOf(sql).query<{ hash: number }>(
    'SELECT hashtext(t) AS hash FROM unnest($1::text[]) WITH ORDINALITY AS u(t, o) ORDER BY o',
    [texts],
  );
  return rows.map((r) => r.hash);
}

/**
 * The unique rows of a chunk, [from, to) in work order, that have no result yet (a re-run skips
 * what is done); `from` null is the job's start, `to` null its end. `withResults`: all of them,
 * done or not (a quick-mode chunk: see process-chunk.ts).
 *
 * `OFFSET 0` keeps the NOT EXISTS a per-row lookup of results' primary key on (job_seq, idx).
 * Without it the planner turns it into an anti join, and for a new job of a database whose
 * statistics were taken before it (the job's id unknown to them: "1 row") it picked an inner scan
 * of the job's every result for each row — a chunk of 500 reading 500 × the results so far, so a
 * second 1M job stalled at 50,000 (measured: 1.2 s against 0.1 s for 50 rows; issue 13).
 *
 * The hash's plain range (BETWEEN, also for the first and last chunks) repeats what the row
 * comparisons say: the planner estimates a row comparison by one side of its first column
 * (60,000 rows for a chunk of 500 of a 1M job) and chose a bitmap scan and a sort (28 ms); a
 * range it estimates as a small part of the job (313 rows), and walks the index (2.5 ms).
 */
export async function pendingRowsInRange(
  sql: Sql,
  jobId: string,
  from: WorkKey | null,
  to: WorkKey | null,
  { withResults = false }: { withResults?: boolean } = {},
): Promise<WorkRow[]> {
  const values: unknown[] = [jobId];
  const bound = (v: number) => `$${values.push(v)}::int`;
  const low = bound(from?.[0] ?? INT4_MIN);
  const high = bound(to?.[0] ?? INT4_MAX);
  const where = [`hashtext(j.domain) BETWEEN ${low} AND ${high}`];
  if (from) where.push(`(hashtext(j.domain), j.idx) >= (${low}, ${bound(from[1])})`);
  if (to) where.push(`(hashtext(j.domain), j.idx) < (${high}, ${bound(to[1])})`);
  const { rows } = await clientOf(sql).query<WorkRow>(
    `SELECT j.idx, j.email, j.domain, j.syntax_valid FROM job_rows j
      WHERE j.job_seq = (SELECT seq FROM jobs WHERE id = $1) AND j.duplicate_of IS NULL
        ${where.map((w) => `AND ${w}`).join(' ')}
        ${withResults ? '' : 'AND NOT EXISTS (SELECT 1 FROM results r WHERE r.job_seq = j.job_seq AND r.idx = j.idx OFFSET 0)'}
      ORDER BY hashtext(j.domain), j.idx`,
    values,
  );
  return rows;
}

/**
 * pendingRowsInRange for a chunk task queued by the release before the hashed work order, whose
 * bounds are (domain, idx): the same rows as that release gave it. No index is in that order any
 * more, so each such chunk reads all the job's rows (slower, and only until the tasks queued
 * before the upgrade have run).
 *
 * They are read along the primary key, the heap in order, the job's only: `COALESCE` hides the
 * unique rows' predicate from the planner, so it cannot choose job_rows_work_order_idx (a random
 * heap walk: 1M rows, 1.2-1.8 s a chunk against 0.8 s), and sequential scans are off, as a seq
 * scan reads every job's rows.
 */
export async function pendingRowsInLegacyRange(
  db: Database,
  jobId: string,
  from: [domain: string, idx: number],
  to: [domain: string, idx: number] | null,
): Promise<WorkRow[]> {
  return queryPlannedWithout<WorkRow>(
    db,
    ['seqscan'],
    `SELECT j.idx, j.email, j.domain, j.syntax_valid FROM job_rows j
        WHERE j.job_seq = (SELECT seq FROM jobs WHERE id = $1) AND COALESCE(j.duplicate_of, -1) < 0
          AND (j.domain, j.idx) >= ($2::text, $3::int)
          AND ($4::text IS NULL OR (j.domain, j.idx) < ($4::text, $5::int))
          AND NOT EXISTS (SELECT 1 FROM results r WHERE r.job_seq = j.job_seq AND r.idx = j.idx OFFSET 0)
        ORDER BY j.domain, j.idx`,
    [jobId, from[0], from[1], to?.[0] ?? null, to?.[1] ?? null],
  );
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
