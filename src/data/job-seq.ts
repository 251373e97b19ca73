import type { Database } from './db.ts';
import { clientOf, type Sql } from './transaction.ts';

/**
 * A job's key in its per-address tables (job_rows, results): `jobs.seq`, 4 bytes
 * where the text id took 30 on every row and index entry (issue 13). Queries that know the job
 * by its id find it with `(SELECT seq FROM jobs WHERE id = $1)`; a COPY needs the number itself.
 * Null when there is no such job.
 */
export async function jobSeqOf(sql: Sql, jobId: string): Promise<number | null> {
  const { rows } = await clientOf(sql).query<{ seq: number }>(
    'SELECT seq FROM jobs WHERE id = $1',
    [jobId],
  );
  return rows[0]?.seq ?? null;
}

const known = new WeakMap<Database, Map<string, number>>();
const KNOWN_MAX = 10_000;

/** jobSeqOf, remembered per database (a job's seq never changes): the flush asks every batch. */
export async function knownJobSeqOf(db: Database, jobId: string): Promise<number | null> {
  let seqs = known.get(db);
  if (!seqs) known.set(db, (seqs = new Map<string, number>()));
  const hit = seqs.get(jobId);
  if (hit !== undefined) return hit;
  const seq = await jobSeqOf(db, jobId);
  if (seq !== null) {
    if (seqs.size >= KNOWN_MAX) seqs.clear();
    seqs.set(jobId, seq);
  }
  return seq;
}
