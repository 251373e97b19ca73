import { moveCredits } from '../../data/accounts.repository.ts';
import { endJobRow, setCreditsCharged } from '../../data/jobs.repository.ts';
import { countEarnedCredits, isJobDone } from '../../data/results.repository.ts';
import { withTransaction, type Tx } from '../../data/transaction.ts';
import type { Deps } from '../../deps.ts';
import { countJobEnded } from '../../lib/work-metrics.ts';
import { recordJobEndedEvent } from '../webhooks/record-event.ts';

type Ending = 'completed' | 'failed' | 'cancelled';

/**
 * Ends a job once: only the caller that moves it out of queued/processing settles the wallet
 * (charges what was earned, refunds the rest of the reservation). Returns false when the job had
 * already ended. Runs inside the caller's transaction. A completed or failed job with a
 * webhook_url also gets its webhook event here; after the commit, call onJobEnded.
 */
export async function endJob(
  tx: Tx,
  jobId: string,
  ending: Ending,
  o: { reason?: string; deleted?: boolean } = {},
): Promise<boolean> {
  const job = await endJobRow(tx, jobId, ending, o);
  if (!job) return false;
  const charged =
    job.mode === 'live' ? Math.min(await countEarnedCredits(tx, jobId), job.creditsReserved) : 0;
  await setCreditsCharged(tx, jobId, charged);
  const refund = job.creditsReserved - charged;
  if (refund > 0) {
    await moveCredits(tx, {
      accountId: job.accountId,
      amount: refund,
      kind: 'refund',
      jobId,
      note: ending,
    });
  }
  // Counted once the ending commits: a rolled-back ending that is retried counts once.
  tx.afterCommit(() =>
    countJobEnded(job.mode, ending, {
      createdAt: job.createdAt,
      reserved: job.creditsReserved,
      charged,
    }),
  );
  // The webhook outbox: the event commits with the ending, so it is neither lost nor doubled.
  await recordJobEndedEvent(tx, jobId, ending);
  return true;
}

/**
 * Fails a job in a transaction of its own (the queue was unreachable, a permanent error). Its
 * webhook event is not enqueued here (no queue at hand, and often no queue reachable): the sweep
 * sends it.
 */
export async function failJob(
  deps: Pick<Deps, 'db'>,
  jobId: string,
  reason: string,
): Promise<boolean> {
  return withTransaction(deps.db, (tx) => endJob(tx, jobId, 'failed', { reason }));
}

/**
 * Completes a live job whose every row is counted; false when it is not done or already ended.
 * The chunk flush commits results first and ends the job after, so the flush that commits last
 * always sees the full count; this also ends a job whose last flush committed but whose worker
 * died before the ending (the chunk runs again, finds nothing to do and calls this).
 */
export async function completeIfDone(deps: Pick<Deps, 'db'>, jobId: string): Promise<boolean> {
  return withTransaction(deps.db, async (tx) => {
    if (!(await isJobDone(tx, jobId))) return false;
    return endJob(tx, jobId, 'completed');
  });
}
