import type { attemptsOfJob } from '../../data/webhooks.repository.ts';
import type { WebhookAttempt } from './jobs.responses.ts';

type AttemptRow = Awaited<ReturnType<typeof attemptsOfJob>>[number];

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** One delivery attempt, as GET /v1/jobs/{id}/webhooks lists it (docs/webhooks.md). */
export function toWebhookAttempt(row: AttemptRow): WebhookAttempt {
  return {
    id: row.id,
    object: 'webhook_attempt',
    event_id: row.eventId,
    // Only these two events exist (domain/jobs/job-ended.ts).
    event_type: row.event.type as WebhookAttempt['event_type'],
    attempt: row.attempt,
    url: row.url,
    status_code: row.statusCode,
    error: row.error,
    duration_ms: row.durationMs,
    attempted_at: iso(row.attemptedAt),
    next_retry_at: iso(row.nextRetryAt),
    success: row.success,
  };
}
