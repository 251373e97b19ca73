import { Counter, Histogram } from 'prom-client';
import { codeClass, registry } from './metrics.ts';

/**
 * What the service does for its users, counted where it happens (docs/operations.md lists every
 * series). Each process counts its own work; Prometheus adds the processes up. Labels stay few
 * and bounded: `mode` (live / test), `source` (job / sync), the verdict's status and reason,
 * an outcome word. Never an account, a job id or an address.
 */

type Mode = 'live' | 'test';
/** Where a verdict or a credit movement comes from: a bulk job or POST /v1/validate(/batch). */
type Source = 'job' | 'sync';

const modeOf = (mode: string): Mode => (mode === 'test' ? 'test' : 'live');

export const verdicts = new Counter({
  name: 'mailsift_verdicts_total',
  help: 'Verdicts kept for unique addresses (a job row written, or a synchronous answer), by source, mode, status and reason',
  labelNames: ['source', 'mode', 'status', 'reason'] as const,
  registers: [registry],
});

const jobsCreated = new Counter({
  name: 'mailsift_jobs_created_total',
  help: 'Bulk jobs created, by mode',
  labelNames: ['mode'] as const,
  registers: [registry],
});

const jobDuration = new Histogram({
  name: 'mailsift_job_duration_seconds',
  help: 'Time from a job’s creation to its end, by mode and final status (completed, failed, cancelled)',
  labelNames: ['mode', 'status'] as const,
  buckets: [1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 14_400, 43_200, 86_400],
  registers: [registry],
});

const chunkDuration = new Histogram({
  name: 'mailsift_chunk_duration_seconds',
  help: 'Time a worker spent on one validate-chunk task, by mode and outcome (ok, error)',
  labelNames: ['mode', 'outcome'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
  registers: [registry],
});

// Credits: reserved when work is accepted (a job's reservation; a synchronous request's charge
// taken before verifying), then each reserved credit is either charged (a verdict earned it) or
// refunded. Once everything has settled, reserved = charged + refunded. Test keys move no credits.
const creditsReserved = new Counter({
  name: 'mailsift_credits_reserved_total',
  help: 'Credits taken from balances when work was accepted, by source (job, sync)',
  labelNames: ['source'] as const,
  registers: [registry],
});
const creditsCharged = new Counter({
  name: 'mailsift_credits_charged_total',
  help: 'Reserved credits kept for verdicts that earned them, by source (job, sync)',
  labelNames: ['source'] as const,
  registers: [registry],
});
const creditsRefunded = new Counter({
  name: 'mailsift_credits_refunded_total',
  help: 'Reserved credits given back (unknown verdicts, failed or cancelled work), by source (job, sync)',
  labelNames: ['source'] as const,
  registers: [registry],
});

const webhookAttempts = new Counter({
  name: 'mailsift_webhook_attempts_total',
  help: 'Webhook delivery attempts by outcome (delivered, retry: another attempt is scheduled, failed: given up) and response class (2xx..5xx, error)',
  labelNames: ['outcome', 'response'] as const,
  registers: [registry],
});
const webhookDuration = new Histogram({
  name: 'mailsift_webhook_attempt_duration_seconds',
  help: 'Time of one webhook delivery attempt, until the receiver answered or the attempt failed',
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

/** Verdicts kept (one per unique address). */
export function countVerdicts(
  source: Source,
  mode: string,
  list: readonly { verdict: { status: string; reason: string } }[],
): void {
  // One inc per (status, reason) of the batch: prom-client hashes the labels on every call, which
  // per verdict was 2 % of a quick-mode worker's time (480 ms of a 1M job's chunks).
  const counts = new Map<string, { status: string; reason: string; n: number }>();
  for (const { verdict: v } of list) {
    const key = `${v.status}\t${v.reason}`;
    const c = counts.get(key);
    if (c) c.n += 1;
    else counts.set(key, { status: v.status, reason: v.reason, n: 1 });
  }
  for (const c of counts.values())
    verdicts.inc({ source, mode: modeOf(mode), status: c.status, reason: c.reason }, c.n);
}

/** A job committed, with the credits it reserved. */
export function countJobCreated(mode: string, reserved: number): void {
  jobsCreated.inc({ mode: modeOf(mode) });
  if (reserved > 0) creditsReserved.inc({ source: 'job' }, reserved);
}

/** A job ended and settled its reservation: `charged` kept, the rest refunded. */
export function countJobEnded(
  mode: string,
  status: string,
  job: { createdAt: Date; reserved: number; charged: number },
): void {
  jobDuration.observe(
    { mode: modeOf(mode), status },
    Math.max(0, (Date.now() - job.createdAt.getTime()) / 1000),
  );
  if (job.charged > 0) creditsCharged.inc({ source: 'job' }, job.charged);
  if (job.reserved > job.charged)
    creditsRefunded.inc({ source: 'job' }, job.reserved - job.charged);
}

/** A synchronous validation settled: `taken` credits charged up front, `refunded` given back. */
export function countSyncCredits(taken: number, refunded: number): void {
  if (taken <= 0) return;
  creditsReserved.inc({ source: 'sync' }, taken);
  if (taken > refunded) creditsCharged.inc({ source: 'sync' }, taken - refunded);
  if (refunded > 0) creditsRefunded.inc({ source: 'sync' }, refunded);
}

/** Times one chunk task; the outcome is `error` when it threw (it runs again). */
export async function observeChunk<T>(mode: string, work: () => Promise<T>): Promise<T> {
  const end = chunkDuration.startTimer({ mode: modeOf(mode) });
  try {
    const result = await work();
    end({ outcome: 'ok' });
    return result;
  } catch (err) {
    end({ outcome: 'error' });
    throw err;
  }
}

/** One webhook attempt: what became of its event, and what the receiver answered. */
export function countWebhookAttempt(a: {
  status: 'delivered' | 'pending' | 'failed';
  statusCode: number | null;
  durationMs: number;
}): void {
  const outcome = a.status === 'pending' ? 'retry' : a.status;
  const response = a.statusCode === null ? 'error' : codeClass(a.statusCode);
  webhookAttempts.inc({ outcome, response });
  webhookDuration.observe(a.durationMs / 1000);
}
