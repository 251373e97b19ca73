import { clientOf, type Tx } from './transaction.ts';

/** What the ingest task needs of a job: its stored layout, its count, and whether it is live. */
export interface JobToIngest {
  source: string;
  total: number;
  columns: string[] | null;
  delimiter: string | null;
  emailColumn: number | null;
  ingested: boolean;
  /** Not deleted, and still queued or processing. */
  live: boolean;
}

/**
 * Takes the job's ingest lock for the rest of the transaction (one ingest of a job at a time: a
 * stalled task may run twice) and reads the job. The job row itself stays unlocked, so a DELETE
 * never waits for a million-row COPY.
 */
export async function lockJobForIngest(tx: Tx, jobId: string): Promise<JobToIngest | null> {
  await clientOf(tx).query('SELECT pg_advisory_xact_lock(hashtext($1))', [jobId]);
  const { rows } = await clientOf(tx).query<JobToIngest>(
    `SELECT source, total, columns, delimiter, email_column AS "emailColumn",
            ingested_at IS NOT NULL AS ingested,
            (deleted_at IS NULL AND status IN ('queued', 'processing')) AS live
       FROM jobs WHERE id = $1`,
    [jobId],
  );
  return rows[0] ?? null;
}

/**
 * Drops the stored input and marks the job ingested with its widest row; false when the job was
 * deleted or ended meanwhile (the caller then keeps none of the rows it wrote). ingested_at is
 * the clock at the end of the ingest (`now()` would be its transaction's start).
 */
export async function finishIngest(tx: Tx, jobId: string, rowWidth: number): Promise<boolean> {
  await clientOf(tx).query('DELETE FROM job_uploads WHERE job_id = $1', [jobId]);
  const finished = await clientOf(tx).query(
    `UPDATE jobs SET ingested_at = clock_timestamp(), row_width = $2
      WHERE id = $1 AND ingested_at IS NULL AND deleted_at IS NULL
        AND status IN ('queued', 'processing')`,
    [jobId, rowWidth],
  );
  return finished.rowCount !== 0;
}
