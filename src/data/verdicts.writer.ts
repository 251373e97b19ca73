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
  accountId: string;
  mode: string;
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

const STATUSES = ['deliverable', 'undeliverable', 'risky', 'unknown'] as const;

/**
 * Writes a batch of verdicts once each. Returns the job's progress after the write, or null when
 * the job is no longer live (nothing of the batch was kept). Each inserted result counts
 * 1 + its duplicates toward `processed` and its status's counter.
 */
export async function writeVerdicts(
  db: Database,
  job: JobRef,
  rows: VerdictRow[],
): Promise<{ processed: number; total: number } | null> {
  const jobSeq = await knownJobSeqOf(db, job.id);
  if (jobSeq === null) return null; // deleted and purged
  return withTransaction(db, async (tx) => {
    const client = clientOf(tx);
    let inserted: { idx: number; status: string }[];
    // COPY is the fast path; a row written by another run of the same chunk (a stalled worker
    // that came back) makes it fail as a whole, and the batch is then inserted row by row.
    await client.query('SAVEPOINT copy');
    try {
      await copyResults(client, jobSeq, rows);
      inserted = rows.map((r) => ({ idx: r.idx, status: r.verdict.status }));
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      await client.query('ROLLBACK TO SAVEPOINT copy');
      inserted = await insertAbsentResults(client, jobSeq, rows);
    }
    const weight = new Map<number, number>();
    if (inserted.length > 0) {
      const { rows: dups } = await client.query<{ idx: number; n: number }>(
        `SELECT duplicate_of AS idx, count(*)::int AS n FROM job_rows
          WHERE job_seq = $1 AND duplicate_of = ANY($2::int[]) GROUP BY duplicate_of`,
        [jobSeq, inserted.map((r) => r.idx)],
      );
      for (const d of dups) weight.set(d.idx, d.n);
    }
    const sums = { processed: 0, deliverable: 0, undeliverable: 0, risky: 0, unknown: 0 };
    for (const r of inserted) {
      const w = 1 + (weight.get(r.idx) ?? 0);
      sums.processed += w;
      if ((STATUSES as readonly string[]).includes(r.status))
        sums[r.status as keyof typeof sums] += w;
    }
    // Last and brief: the job's row, locked from here to the commit.
    const { rows: progress } = await client.query<{ processed: number; total: number }>(
      `UPDATE jobs SET processed = processed + $2, deliverable = deliverable + $3,
                       undeliverable = undeliverable + $4, risky = risky + $5, unknown = unknown + $6
        WHERE id = $1 AND deleted_at IS NULL AND status IN ('queued', 'processing')
        RETURNING processed, total`,
      [job.id, sums.processed, sums.deliverable, sums.undeliverable, sums.risky, sums.unknown],
    );
    if (progress.length === 0) {
      tx.discard();
      return null;
    }
    return progress[0]!;
  });
}
