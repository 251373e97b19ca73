import { pendingEventOfJob } from '../../data/webhooks.repository.ts';
import type { Deps } from '../../deps.ts';
import { enqueueAttempt } from '../webhooks/enqueue-attempt.ts';

/**
 * Runs after the transaction that ended a job committed: hands the job's webhook event (written
 * in that transaction, see endJob) to the queue. Never throws: the event is safe in the outbox,
 * and if this enqueue does not happen the sweep makes it within its interval.
 */
export async function onJobEnded(
  deps: Pick<Deps, 'db' | 'queues' | 'logger'>,
  jobId: string,
): Promise<void> {
  deps.logger.info({ jobId }, 'job ended');
  try {
    const event = await pendingEventOfJob(deps.db.prisma, jobId);
    if (event)
      await enqueueAttempt(deps, { jobId, eventId: event.id, attempt: event.attempts + 1 });
  } catch (err) {
    deps.logger.warn(
      { err, jobId },
      'could not enqueue the webhook of an ended job; the sweep will',
    );
  }
}
