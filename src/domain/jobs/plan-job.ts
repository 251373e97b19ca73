import { findJob } from '../../data/jobs.repository.ts';
import { chunkStarts } from '../../data/results.repository.ts';
import type { Deps } from '../../deps.ts';

/**
 * Splits a job into chunks of unique addresses in (domain, idx) order, so the addresses of one
 * domain travel together, and enqueues them. Chunk ids are deterministic: a re-run adds nothing.
 */
export async function planJob(
  deps: Pick<Deps, 'db' | 'queues' | 'config'>,
  jobId: string,
): Promise<number> {
  const job = await findJob(deps.db.prisma, jobId);
  if (!job || job.deletedAt || (job.status !== 'queued' && job.status !== 'processing')) return 0;
  const starts = await chunkStarts(deps.db.prisma, jobId, deps.config.jobs.chunkSize);
  const payloads = starts.map((s, chunk) => {
    const next = starts[chunk + 1];
    return {
      jobId,
      chunk,
      from: [s.domain, s.idx] as [string, number],
      to: next ? ([next.domain, next.idx] as [string, number]) : null,
    };
  });
  await deps.queues.enqueueMany('validate-chunk', payloads);
  return payloads.length;
}
