import type { Database } from '../../data/db.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Queues } from '../../queue/queues.ts';
import { onJobEnded } from './job-ended.ts';
import { failJob } from './settle-job.ts';

/**
 * A job's own work (its ingest, one of its chunks) failed for good: the job cannot complete, so
 * it ends as `failed` — what was verified is charged, the rest refunded, `job.failed` sent —
 * rather than staying `processing` forever.
 */
export async function failJobForTask(
  deps: { db: Database; queues: Queues; logger: Logger },
  jobId: string,
  reason: string,
): Promise<void> {
  if (await failJob(deps.db.prisma, jobId, reason)) await onJobEnded(deps, jobId);
}
