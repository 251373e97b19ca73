import type { Db, Prisma } from '../../data/db.ts';
import { moveCredits } from '../../data/accounts.repository.ts';
import { isJobDone } from '../../data/results.repository.ts';
import { countJobEnded } from '../../lib/work-metrics.ts';
import { recordJobEndedEvent } from '../webhooks/record-event.ts';

/**
 * Credits a job has earned so far: unique addresses of valid syntax whose verdict is not
 * `unknown` (duplicates and invalid syntax were never reserved).
 */
async function earnedCredits(db: Db, jobId: string): Promise<number> {
  const [row] = await db.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM results r
      JOIN job_rows j ON j.job_id = r.job_id AND j.idx = r.idx
     WHERE r.job_id = ${jobId} AND j.syntax_valid AND r.status <> 'unknown'`;
  return row?.n ?? 0;
}

type Ending = 'completed' | 'failed' | 'cancelled';

/**
 * Ends a job once: only the caller that moves it out of queued/processing settles the wallet
 * (charges what was earned, refunds the rest of the reservation). Returns false when the job had
 * already ended. `db` must be a transaction that the caller commits. A completed or failed job
 * with a webhook_url also gets its webhook event here; after the commit, call onJobEnded.
 */
export async function endJob(
  db: Db,
  jobId: string,
  ending: Ending,
  o: { reason?: string; deleted?: boolean } = {},
): Promise<boolean> {
  const [job] = await db.$queryRaw<
    { account_id: string; mode: string; credits_reserved: number; created_at: Date }[]
  >`
    UPDATE jobs SET status = ${ending}, completed_at = now(),
           failure_reason = ${o.reason ?? null},
           deleted_at = CASE WHEN ${o.deleted ?? false} THEN now() ELSE deleted_at END
     WHERE id = ${jobId} AND status IN ('queued', 'processing')
     RETURNING account_id, mode, credits_reserved, created_at`;
  if (!job) return false;
  const charged =
    job.mode === 'live' ? Math.min(await earnedCredits(db, jobId), job.credits_reserved) : 0;
  await db.$executeRaw`UPDATE jobs SET credits_charged = ${charged} WHERE id = ${jobId}`;
  const refund = job.credits_reserved - charged;
  if (refund > 0) {
    await moveCredits(db, {
      accountId: job.account_id,
      amount: refund,
      kind: 'refund',
      jobId,
      note: ending,
    });
  }
  countJobEnded(job.mode, ending, {
    createdAt: job.created_at,
    reserved: job.credits_reserved,
    charged,
  });
  // The webhook outbox: the event commits with the ending, so it is neither lost nor doubled.
  await recordJobEndedEvent(db, jobId, ending);
  return true;
}

/**
 * Fails a job outside any transaction (the queue was unreachable, a permanent error). Its webhook
 * event is not enqueued here (no queue at hand, and often no queue reachable): the sweep sends it.
 */
export async function failJob(prisma: Prisma, jobId: string, reason: string): Promise<boolean> {
  return prisma.$transaction((tx) => endJob(tx, jobId, 'failed', { reason }));
}

/**
 * Completes a live job whose every row is counted; false when it is not done or already ended.
 * The chunk flush commits results first and ends the job after, so the flush that commits last
 * always sees the full count; this also ends a job whose last flush committed but whose worker
 * died before the ending (the chunk runs again, finds nothing to do and calls this).
 */
export async function completeIfDone(prisma: Prisma, jobId: string): Promise<boolean> {
  return prisma.$transaction(async (tx) => {
    if (!(await isJobDone(tx, jobId))) return false;
    return endJob(tx, jobId, 'completed');
  });
}
