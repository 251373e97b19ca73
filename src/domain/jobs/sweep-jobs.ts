import type { Database } from '../../data/db.ts';
import type { Queues } from '../../queue/queues.ts';

/** Jobs committed but not handed to the queue (Redis was away) for longer than this are. */
const GRACE_SECONDS = 30;

/**
 * The outbox side of job creation: a job commits first and is enqueued after; when that enqueue
 * did not happen, this does. Harmless for jobs already queued: task ids are deterministic.
 */
export async function sweepUnstartedJobs(
  deps: { db: Database; queues: Queues },
  o: { graceSeconds?: number; accountId?: string } = {},
): Promise<number> {
  const graceSeconds = o.graceSeconds ?? GRACE_SECONDS;
  const jobs = await deps.db.prisma.$queryRaw<{ id: string }[]>`
    SELECT id FROM jobs
     WHERE status = 'queued' AND ingested_at IS NULL AND deleted_at IS NULL
       AND created_at < now() - make_interval(secs => ${graceSeconds})
       AND (${o.accountId ?? null}::text IS NULL OR account_id = ${o.accountId ?? null})
     ORDER BY created_at LIMIT 500`;
  for (const job of jobs) await deps.queues.enqueue('ingest-job', { jobId: job.id });
  return jobs.length;
}
