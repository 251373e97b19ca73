import type { Deps } from '../../deps.ts';
import { onJobEnded } from './job-ended.ts';
import { failJob } from './settle-job.ts';

/**
 * A job's own work (its ingest, one of its chunks) failed for good: the job cannot complete, so
 * it ends as `failed` — what was verified is charged, the rest refunded, `job.failed` sent —
 * rather than staying `processing` forever.
 */
export async function failJobForTask(
  deps: Pick<Deps, 'db' | 'queues' | 'logger'>,
  jobId: string,
  reason: string,
): Promise<void> {
  if (await failJob(deps, jobId, reason)) await onJobEnded(deps, jobId);
}
