import { listUnstartedJobs } from '../../data/jobs.repository.ts';
import type { Deps } from '../../deps.ts';

/** Jobs committed but not handed to the queue (Redis was away) for longer than this are. */
const GRACE_SECONDS = 30;

/**
 * The outbox side of job creation: a job commits first and is enqueued after; when that enqueue
 * did not happen, this does. Harmless for jobs already queued: task ids are deterministic.
 */
export async function sweepUnstartedJobs(
  deps: Pick<Deps, 'db' | 'queues'>,
  o: { graceSeconds?: number; accountId?: string } = {},
): Promise<number> {
  const jobs = await listUnstartedJobs(deps.db.prisma, {
    graceSeconds: o.graceSeconds ?? GRACE_SECONDS,
    ...(o.accountId ? { accountId: o.accountId } : {}),
    limit: 500,
  });
  for (const jobId of jobs) await deps.queues.enqueue('ingest-job', { jobId });
  return jobs.length;
}
