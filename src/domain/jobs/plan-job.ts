import { findJob } from '../../data/jobs.repository.ts';
import { chunkStarts } from '../../data/results.repository.ts';
import type { Config } from '../../config/env.ts';
import type { Deps } from '../../deps.ts';
import type { WorkOrder } from './work-order.ts';

/**
 * Unique addresses per chunk: QUICK_CHUNK_SIZE for a quick-mode job (no SMTP session to share
 * out, so fewer and larger chunks: fewer queries, transactions and commits per address), else
 * CHUNK_SIZE. Planning and deletion (which removes the queued chunks by id) both use it.
 */
export function chunkSizeOf(jobs: Config['jobs'], job: { quickMode: boolean }): number {
  return job.quickMode ? jobs.quickChunkSize : jobs.chunkSize;
}

/**
 * Splits a job into chunks of unique addresses in work order, (hashtext(domain), idx), so the
 * addresses of one domain travel together, and enqueues them. Chunk ids are deterministic: a
 * re-run adds nothing. The bounds come from `order` when the ingest of this run learnt it, else
 * from the rows themselves (`chunkStarts`); the first chunk starts at the job's start and the
 * last ends at its end.
 */
export async function planJob(
  deps: Pick<Deps, 'db' | 'queues' | 'config'>,
  jobId: string,
  order: WorkOrder | null = null,
): Promise<number> {
  const job = await findJob(deps.db.prisma, jobId);
  if (!job || job.deletedAt || (job.status !== 'queued' && job.status !== 'processing')) return 0;
  const size = chunkSizeOf(deps.config.jobs, job);
  const starts = order ? order.startsEvery(size) : await chunkStarts(deps.db, jobId, size);
  const payloads = starts.map((from, chunk) => ({
    jobId,
    chunk,
    ...(chunk > 0 ? { from } : {}),
    to: starts[chunk + 1] ?? null,
  }));
  await deps.queues.enqueueMany('validate-chunk', payloads);
  return payloads.length;
}
