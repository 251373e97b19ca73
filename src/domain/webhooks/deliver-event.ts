import {
  accountSecrets,
  claimAttempt,
  recordAttempt,
  type EventStatus,
} from '../../data/webhooks.repository.ts';
import type { Deps } from '../../deps.ts';
import { countWebhookAttempt } from '../../lib/work-metrics.ts';
import { newId } from '../accounts/keys.ts';
import { enqueueAttempt } from './enqueue-attempt.ts';
import { decideAfterAttempt, type Decision } from './retry-policy.ts';
import { sendWebhook, type SendOutcome } from './send-webhook.ts';
import { signingSecrets, webhookHeaders } from './signature.ts';

export type DeliverDeps = Pick<Deps, 'db' | 'queues' | 'config' | 'logger'>;

/** How long past its timeout a claimed attempt may run before the sweep may start the next one. */
const LEASE_MARGIN_MS = 60_000;

function errorOf(outcome: SendOutcome, decision: Decision): string | null {
  if (outcome.kind === 'error') return outcome.error;
  const code = outcome.statusCode;
  if (code >= 300 && code < 400) return 'redirect not followed';
  if (decision.kind === 'give-up' && decision.reason === 'gone') return 'gone: no more retries';
  return null;
}

function statusOf(decision: Decision): EventStatus {
  switch (decision.kind) {
    case 'delivered':
      return 'delivered';
    case 'give-up':
      return 'failed';
    case 'retry':
      return 'pending';
  }
}

export type DeliverResult =
  | { outcome: 'skipped' }
  | { outcome: EventStatus; attempt: number; statusCode: number | null; nextRetryAt: Date | null };

/**
 * Makes attempt `attempt` of a webhook event, records it, and schedules the next one if any.
 * The attempt is claimed in SQL first, so a duplicate task (the sweep, a stalled worker) does
 * nothing. A crash after the send and before the record leaves the claim's lease to expire: the
 * next attempt then resends, and receivers dedupe on `webhook-id` (at-least-once delivery).
 */
export async function deliverWebhookEvent(
  deps: DeliverDeps,
  p: { eventId: string; attempt: number },
): Promise<DeliverResult> {
  const { prisma } = deps.db;
  const settings = deps.config.webhooks;
  const lease = new Date(Date.now() + settings.timeoutMs + LEASE_MARGIN_MS);
  const event = await claimAttempt(prisma, p.eventId, p.attempt, lease);
  if (!event) return { outcome: 'skipped' };
  // Read at each attempt, so a rotation during the retries takes effect at once.
  const secrets = await accountSecrets(prisma, event.account_id);
  if (!secrets) return { outcome: 'skipped' }; // the account is gone (its events cascade away)

  const attemptedAt = new Date();
  const body = Buffer.from(event.payload, 'utf8');
  const headers = webhookHeaders(signingSecrets(secrets, attemptedAt), event.id, body, attemptedAt);
  const outcome = await sendWebhook(event.url, body, headers, {
    timeoutMs: settings.timeoutMs,
    allowPrivate: settings.allowPrivate,
  });
  const decision = decideAfterAttempt(
    outcome,
    p.attempt,
    { maxAttempts: settings.maxAttempts, baseMs: settings.backoffBaseMs },
    new Date(),
  );
  const nextRetryAt = decision.kind === 'retry' ? new Date(Date.now() + decision.delayMs) : null;
  const statusCode = outcome.kind === 'response' ? outcome.statusCode : null;
  const status = statusOf(decision);
  await recordAttempt(
    prisma,
    {
      id: newId('wha'),
      eventId: event.id,
      jobId: event.job_id,
      attempt: p.attempt,
      url: event.url,
      attemptedAt,
      statusCode,
      error: errorOf(outcome, decision),
      durationMs: outcome.durationMs,
      nextRetryAt,
      success: decision.kind === 'delivered',
    },
    status,
  );
  countWebhookAttempt({ status, statusCode, durationMs: outcome.durationMs });
  deps.logger.info(
    {
      eventId: event.id,
      jobId: event.job_id,
      attempt: p.attempt,
      statusCode,
      decision: decision.kind,
    },
    'webhook attempt',
  );

  if (decision.kind === 'retry') {
    const next = { jobId: event.job_id, eventId: event.id, attempt: p.attempt + 1 };
    await enqueueAttempt(deps, next, decision.delayMs).catch((err: unknown) => {
      // The event row says when the next attempt is due; the sweep enqueues it if this did not.
      deps.logger.warn({ err, ...next }, 'could not schedule a webhook retry; the sweep will');
    });
  }
  return { outcome: status, attempt: p.attempt, statusCode, nextRetryAt };
}
