import { finishIngest, lockJobForIngest } from '../../data/job-ingest.repository.ts';
import { openJobRowsCopy } from '../../data/job-rows.writer.ts';
import { readUpload } from '../../data/job-uploads.repository.ts';
import { hashtexts } from '../../data/results.repository.ts';
import { withTransaction } from '../../data/transaction.ts';
import type { Deps } from '../../deps.ts';
import { PermanentTaskError } from '../errors.ts';
import { openInput, RowNumberer, type InputSource } from './job-input.ts';
import { WorkOrder } from './work-order.ts';

/**
 * `live`: false when the job is gone. `order`: its unique rows in work order, for planning its
 * chunks; null when this run did not write them (the job was ingested before) or the job is too
 * large for it (planJob then reads them back).
 */
export interface Ingested {
  live: boolean;
  order: WorkOrder | null;
}

/**
 * Expands a job's stored input into job_rows (COPY), each row with its normalised address and
 * duplicate link, then drops the stored input. One transaction: a crash rolls it all back and the
 * task runs again from the start. Learns the job's work order on the way (see Ingested).
 */
export async function ingestJob(deps: Pick<Deps, 'db'>, jobId: string): Promise<Ingested> {
  return withTransaction(deps.db, async (tx) => {
    const job = await lockJobForIngest(tx, jobId);
    if (!job || !job.live || job.ingested) return { live: Boolean(job?.live), order: null };
    const bytes = readUpload(deps.db, jobId);
    const source: InputSource =
      job.source === 'csv_file'
        ? {
            source: 'csv_file',
            bytes,
            layout: {
              columns: job.columns,
              delimiter: job.delimiter ?? ',',
              emailColumn: job.emailColumn ?? 0,
            },
          }
        : { source: 'emails', bytes };
    const { batches } = await openInput(source);
    const numberer = new RowNumberer(Number.MAX_SAFE_INTEGER);
    const copy = openJobRowsCopy(tx, jobId);
    const order = WorkOrder.fits(job.total) ? new WorkOrder(job.total) : null;
    // The widest row, so the download can pad ragged rows and keep its columns aligned.
    let rowWidth = 0;
    try {
      for await (const batch of batches) {
        for (const row of batch) {
          const { idx, parsed, duplicateOf } = numberer.next(row.email);
          rowWidth = Math.max(rowWidth, row.fields?.length ?? 1);
          const domain = parsed.domain ?? '';
          if (duplicateOf === null) order?.add(domain, idx);
          await copy.write({
            idx,
            fields: row.fields,
            email: row.email,
            normalized: parsed.normalized,
            domain,
            syntaxValid: parsed.valid,
            duplicateOf,
          });
        }
      }
      // Sorted while Postgres works through the rows it has queued (the last buffer and the end
      // of the COPY go after it).
      const ended = copy.end();
      order?.seal();
      await ended;
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
    if (!(await finishIngest(tx, jobId, rowWidth))) {
      // Deleted (or ended) while the rows were written: keep none of them.
      tx.discard();
      return { live: false, order: null };
    }
    const agreed = order && (await order.agreesWith((texts) => hashtexts(tx, texts)));
    return { live: true, order: agreed ? order : null };
  });
}
