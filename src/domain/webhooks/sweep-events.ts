import { failExhaustedEvents, overdueEvents } from '../../data/webhooks.repository.ts';
import type { Deps } from '../../deps.ts';
import { enqueueAttempt } from './enqueue-attempt.ts';

const BATCH = 500;
/**
 * The sweep leaves alone events due less than this long ago: the normal path (the post-commit
 * enqueue, a delayed retry firing) claims them within moments, and racing it would only make
 * noise. So an event stranded by a crash goes out within this grace plus one sweep interval.
 */
export const SWEEP_GRACE_MS = 30_000;

/**
 * The outbox relay's safety net: enqueues the next attempt of every pending event that is
 * overdue. That covers an event whose job ended just before its worker died (committed, never
 * enqueued), a retry whose enqueue failed, and an attempt whose worker died mid-send (its lease
 * ran out). Harmless to run anywhere and often: task ids are deterministic and attempts are
 * claimed in SQL.
 */
export async function sweepWebhookEvents(
  deps: Pick<Deps, 'db' | 'queues' | 'config' | 'logger'>,
  graceMs = SWEEP_GRACE_MS,
): Promise<{ enqueued: number; failed: number }> {
  const { prisma } = deps.db;
  const cutoff = new Date(Date.now() - graceMs);
  const failed = await failExhaustedEvents(prisma, deps.config.webhooks.maxAttempts, cutoff);
  const due = await overdueEvents(prisma, cutoff, BATCH);
  for (const e of due) {
    await enqueueAttempt(deps, { jobId: e.job_id, eventId: e.id, attempt: e.attempts + 1 });
  }
  if (due.length > 0 || failed > 0) {
    deps.logger.info({ enqueued: due.length, failed }, 'webhook sweep');
  }
  return { enqueued: due.length, failed };
}
