import type { Database } from '../../data/db.ts';
import { openJobRowsCopy } from '../../data/job-rows.writer.ts';
import { readUpload } from '../../data/job-uploads.repository.ts';
import { PermanentTaskError } from '../errors.ts';
import { openInput, RowNumberer, type InputSource } from './job-input.ts';

/**
 * Expands a job's stored input into job_rows (COPY), each row with its normalised address and
 * duplicate link, then drops the stored input. One transaction: a crash rolls it all back and the
 * task runs again from the start. Returns false when the job is gone.
 */
export async function ingestJob(deps: { db: Database }, jobId: string): Promise<boolean> {
  const client = await deps.db.pool.connect();
  try {
    await client.query('BEGIN');
    // One ingest of a job at a time (a stalled task may run twice); the job row itself stays
    // unlocked, so a DELETE never waits for a million-row COPY.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [jobId]);
    const { rows } = await client.query<{
      source: string;
      total: number;
      columns: string[] | null;
      delimiter: string | null;
      email_column: number | null;
      ingested_at: Date | null;
      live: boolean;
    }>(
      `SELECT source, total, columns, delimiter, email_column, ingested_at,
              (deleted_at IS NULL AND status IN ('queued', 'processing')) AS live
         FROM jobs WHERE id = $1`,
      [jobId],
    );
    const job = rows[0];
    if (!job || !job.live || job.ingested_at) {
      await client.query('COMMIT');
      return Boolean(job?.live);
    }
    const bytes = readUpload(deps.db.pool, jobId);
    const source: InputSource =
      job.source === 'csv_file'
        ? {
            source: 'csv_file',
            bytes,
            layout: {
              columns: job.columns,
              delimiter: job.delimiter ?? ',',
              emailColumn: job.email_column ?? 0,
            },
          }
        : { source: 'emails', bytes };
    const { batches } = await openInput(source);
    const numberer = new RowNumberer(Number.MAX_SAFE_INTEGER);
    const copy = openJobRowsCopy(client, jobId);
    // The widest row, so the download can pad ragged rows and keep its columns aligned.
    let rowWidth = 0;
    try {
      for await (const batch of batches) {
        for (const row of batch) {
          const { idx, parsed, duplicateOf } = numberer.next(row.email);
          rowWidth = Math.max(rowWidth, row.fields?.length ?? 1);
          await copy.write({
            idx,
            fields: row.fields ? JSON.stringify(row.fields) : null,
            email: row.email,
            normalized: parsed.normalized,
            domain: parsed.domain ?? '',
            syntaxValid: parsed.valid,
            duplicateOf,
          });
        }
      }
      await copy.end();
    } catch (err) {
      copy.abort();
      throw err;
    }
    if (numberer.total !== job.total) {
      // The same rules counted the input at creation: a mismatch means the stored input is damaged.
      throw new PermanentTaskError(
        `ingest found ${numberer.total} rows, the job says ${job.total}`,
      );
    }
    await client.query('DELETE FROM job_uploads WHERE job_id = $1', [jobId]);
    const finished = await client.query(
      `UPDATE jobs SET ingested_at = now(), row_width = $2
        WHERE id = $1 AND ingested_at IS NULL AND deleted_at IS NULL
          AND status IN ('queued', 'processing')`,
      [jobId, rowWidth],
    );
    if (finished.rowCount === 0) {
      // Deleted (or ended) while the rows were written: keep none of them.
      await client.query('ROLLBACK');
      return false;
    }
    await client.query('COMMIT');
    return true;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
