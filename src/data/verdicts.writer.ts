import { once } from 'node:events';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { packChecks } from './stored-forms.ts';
import { copyEscape, copyText } from './copy-text.ts';
import type { Database } from './db.ts';
import { knownJobSeqOf } from './job-seq.ts';
import { clientOf, isUniqueViolation, withTransaction } from './transaction.ts';
import type { Verdict } from '../validation/types.ts';

/**
 * The chunk flush: a batch of verdicts into results and the job's counters, in one transaction
 * on a raw client (Prisma cannot COPY). What enrichment knows from a job is read from its rows
 * and results (src/data/email-facts.repository.ts): nothing else to write per address.
 *
 * Written for throughput with many writers on one job (issue 13): results go in with COPY, and
 * the job's row is touched last, by one UPDATE that both checks the job is still live and bumps
 * its counters. So its row lock is held only from that UPDATE to the commit, instead of for the
 * whole transaction as when the flush began with `SELECT … FOR UPDATE`. A job ended meanwhile
 * (deleted, cancelled) makes the UPDATE find no row: the transaction is rolled back and nothing
 * of the batch is kept, as before.
 */

export interface VerdictRow {
  idx: number;
  verdict: Verdict;
}

export interface JobRef {
  id: string;
  /** The key mode (`live`, `test`): the verdict metrics' label. */
  mode: string;
  /** Rows and unique rows (jobs.total, unique_count): equal when no row repeats another. */
  total?: number;
  uniqueCount?: number;
}

async function copyResults(client: pg.PoolClient, jobSeq: number, rows: VerdictRow[]) {
  let text = '';
  for (const { idx, verdict: v } of rows) {
    text +=
      `${jobSeq}\t${idx}\t${Math.round(v.durationMs)}\t${copyEscape(v.status)}\t` +
      `${copyEscape(v.reason)}\t${copyText(v.didYouMean)}\t${copyEscape(packChecks(v.checks, v.normalized))}\n`;
  }
  const stream = client.query(
    copyFrom(
      'COPY results (job_seq, idx, duration_ms, status, reason, did_you_mean, checks) FROM STDIN',
    ),
  );
  const finished = once(stream, 'finish');
  stream.end(text);
  await finished;
}

/** Insert-if-absent: for a batch some of whose rows another run of the chunk already wrote. */
async function insertAbsentResults(client: pg.PoolClient, jobSeq: number, rows: VerdictRow[]) {
  const { rows: inserted } = await client.query<{ idx: number; status: string }>(
    `INSERT INTO results (job_seq, idx, status, reason, did_you_mean, checks, duration_ms)
     SELECT $1, t.idx, t.status, t.reason, t.dym, t.checks::jsonb, t.duration
       FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[])
            AS t(idx, status, reason, dym, checks, duration)
     ON CONFLICT (job_seq, idx) DO NOTHING
     RETURNING idx, status`,
    [
      jobSeq,
      rows.map((r) => r.idx),
      rows.map((r) => r.verdict.status),
      rows.map((r) => r.verdict.reason),
      rows.map((r) => r.verdict.didYouMean),
      rows.map((r) => packChecks(r.verdict.checks, r.verdict.normalized)),
      rows.map((r) => Math.round(r.verdict.durationMs)),
    ],
  );
  return inserted;
}

const LIVE_JOB = `jobs.id = $1 AND jobs.deleted_at IS NULL AND jobs.status IN ('queued', 'processing')`;

/**
 * Bumps the job's counters by what this batch inserted, each result counting 1 + its duplicates,
 * and returns the job's progress; none when the job is no longer live. One statement, the last
 * of the flush: the job's row is locked from here to the commit only.
 *
 * A job without repeated rows adds the batch's own sums. Otherwise the duplicates are counted in
 * the same statement, by one `= ANY` scan of job_rows_duplicate_of_idx for the batch (a lookup
 * per result was a bitmap scan each, ~0.3 ms: 1.5 s a quick chunk of 5,000). Both statements are
 * prepared once per connection (`name`): planning the counting one took 3-10 ms a flush.
 */
async function countInserted(
  client: pg.PoolClient,
  job: JobRef,
  jobSeq: number,
  inserted: { idx: number; status: string }[],
) {
  const returning = 'RETURNING jobs.processed, jobs.total';
  if (job.total !== undefined && job.total === job.uniqueCount) {
    const sums = { deliverable: 0, undeliverable: 0, risky: 0, unknown: 0 };
    for (const r of inserted) if (r.status in sums) sums[r.status as keyof typeof sums] += 1;
    const { rows } = await client.query<{ processed: number; total: number }>({
      name: 'mailsift-count-unique',
      text: `UPDATE jobs SET processed = processed + $2, deliverable = deliverable + $3,
                             undeliverable = undeliverable + $4, risky = risky + $5,
                             unknown = unknown + $6
              WHERE ${LIVE_JOB} ${returning}`,
      values: [
        job.id,
        inserted.length,
        sums.deliverable,
        sums.undeliverable,
        sums.risky,
        sums.unknown,
      ],
    });
    return rows[0] ?? null;
  }
  const { rows } = await client.query<{ processed: number; total: number }>({
    name: 'mailsift-count-with-duplicates',
    text: `WITH t AS (SELECT * FROM unnest($3::int[], $4::text[]) AS t(idx, status)),
     dups AS (
       SELECT duplicate_of AS idx, count(*)::int AS n FROM job_rows
        WHERE job_seq = $2 AND duplicate_of = ANY($3::int[]) GROUP BY duplicate_of),
     w AS (SELECT t.status, 1 + COALESCE(dups.n, 0) AS n FROM t LEFT JOIN dups USING (idx)),
     s AS (
       SELECT COALESCE(sum(n), 0)::int AS processed,
              COALESCE(sum(n) FILTER (WHERE status = 'deliverable'), 0)::int AS deliverable,
              COALESCE(sum(n) FILTER (WHERE status = 'undeliverable'), 0)::int AS undeliverable,
              COALESCE(sum(n) FILTER (WHERE status = 'risky'), 0)::int AS risky,
              COALESCE(sum(n) FILTER (WHERE status = 'unknown'), 0)::int AS unknown
         FROM w)
     UPDATE jobs SET processed = jobs.processed + s.processed,
                     deliverable = jobs.deliverable + s.deliverable,
                     undeliverable = jobs.undeliverable + s.undeliverable,
                     risky = jobs.risky + s.risky, unknown = jobs.unknown + s.unknown
       FROM s WHERE ${LIVE_JOB} ${returning}`,
    values: [job.id, jobSeq, inserted.map((r) => r.idx), inserted.map((r) => r.status)],
  });
  return rows[0] ?? null;
}

/**
 * Writes a batch of verdicts once each. Returns the job's progress after the write, or null when
 * the job is no longer live (nothing of the batch was kept).
 *
 * COPY is the fast path; a row written by another run of the same chunk (a stalled worker that
 * came back) makes it fail as a whole, and the batch is then written again in a new transaction,
 * row by row, keeping only the rows no run wrote (no savepoint on the fast path).
 */
export async function writeVerdicts(
  db: Database,
  job: JobRef,
  rows: VerdictRow[],
): Promise<{ processed: number; total: number } | null> {
  const jobSeq = await knownJobSeqOf(db, job.id);
  if (jobSeq === null) return null; // deleted and purged
  const write = (fast: boolean) =>
    withTransaction(db, async (tx) => {
      const client = clientOf(tx);
      let inserted: { idx: number; status: string }[];
      if (fast) {
        await copyResults(client, jobSeq, rows);
        inserted = rows.map((r) => ({ idx: r.idx, status: r.verdict.status }));
      } else inserted = await insertAbsentResults(client, jobSeq, rows);
      const progress = await countInserted(client, job, jobSeq, inserted);
      if (!progress) tx.discard();
      return progress;
    });
  try {
    return await write(true);
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    return write(false);
  }
}
