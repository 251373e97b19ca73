import { catalog } from '../../queue/catalog.ts';
import type { Deps } from '../../deps.ts';

/**
 * Puts one delivery attempt on the 'webhooks' queue. The task id is deterministic per event and
 * attempt, so the post-commit hook, the retry scheduler and the sweep may all enqueue the same
 * attempt: BullMQ keeps one. A task of that id that failed (its worker hit a database outage
 * more times than its own retries allow) would swallow every later enqueue, so it is revived.
 */
export async function enqueueAttempt(
  deps: Pick<Deps, 'queues'>,
  p: { jobId: string; eventId: string; attempt: number },
  delayMs?: number,
): Promise<void> {
  const payload = { jobId: p.jobId, eventId: p.eventId, attempt: p.attempt };
  const { queues } = deps;
  const existing = await queues.queue('webhooks').getJob(catalog['deliver-webhook'].jobId(payload));
  if (existing && (await existing.isFailed())) {
    await existing.retry('failed');
    return;
  }
  await queues.enqueue('deliver-webhook', payload, delayMs ? { delay: delayMs } : undefined);
}
