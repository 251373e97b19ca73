import type { Db, Prisma } from './db.ts';
import { clientOf, type Sql } from './transaction.ts';

export type EventStatus = 'pending' | 'delivered' | 'failed';

export interface NewEvent {
  id: string;
  jobId: string;
  accountId: string;
  type: string;
  url: string;
  payload: string;
  createdAt: Date;
}

/**
 * Writes an event into the outbox; `db` is the transaction that ends the job. At most one event
 * per job (unique job_id): a second insert is a no-op and returns false.
 */
export async function insertEvent(sql: Sql, e: NewEvent): Promise<boolean> {
  const { rowCount } = await clientOf(sql).query(
    `INSERT INTO webhook_events (id, job_id, account_id, type, url, payload, status, attempts,
                                 next_attempt_at, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7, $7)
     ON CONFLICT (job_id) DO NOTHING`,
    [e.id, e.jobId, e.accountId, e.type, e.url, e.payload, e.createdAt],
  );
  return rowCount === 1;
}

export interface DueEvent {
  id: string;
  job_id: string;
  attempts: number;
}

/** The pending event of a job, if any (what the post-commit hook enqueues). */
export async function pendingEventOfJob(db: Db, jobId: string): Promise<DueEvent | null> {
  const [row] = await db.$queryRaw<DueEvent[]>`
    SELECT id, job_id, attempts FROM webhook_events WHERE job_id = ${jobId} AND status = 'pending'`;
  return row ?? null;
}

/**
 * Pending events whose next attempt was due before `cutoff`: never enqueued, lost from the queue,
 * or a lease ran out.
 */
export async function overdueEvents(db: Db, cutoff: Date, limit: number): Promise<DueEvent[]> {
  return db.$queryRaw<DueEvent[]>`
    SELECT id, job_id, attempts FROM webhook_events
     WHERE status = 'pending' AND next_attempt_at <= ${cutoff}
     ORDER BY next_attempt_at
     LIMIT ${limit}`;
}

/** Gives up on overdue events that have used every attempt (a worker died during the last one). */
export async function failExhaustedEvents(
  db: Db,
  maxAttempts: number,
  cutoff: Date,
): Promise<number> {
  return db.$executeRaw`
    UPDATE webhook_events SET status = 'failed', next_attempt_at = NULL, updated_at = now()
     WHERE status = 'pending' AND attempts >= ${maxAttempts} AND next_attempt_at <= ${cutoff}`;
}

export interface ClaimedEvent {
  id: string;
  job_id: string;
  account_id: string;
  type: string;
  url: string;
  payload: string;
}

/**
 * Claims attempt `attempt` of a pending event: succeeds for one caller only, and only when it is
 * the next attempt. `leaseUntil` becomes next_attempt_at, so if this worker dies mid-attempt the
 * sweep schedules the following attempt once the lease runs out.
 */
export async function claimAttempt(
  db: Db,
  eventId: string,
  attempt: number,
  leaseUntil: Date,
): Promise<ClaimedEvent | null> {
  const [row] = await db.$queryRaw<ClaimedEvent[]>`
    UPDATE webhook_events SET attempts = ${attempt}, next_attempt_at = ${leaseUntil}, updated_at = now()
     WHERE id = ${eventId} AND status = 'pending' AND attempts = ${attempt - 1}
     RETURNING id, job_id, account_id, type, url, payload`;
  return row ?? null;
}

export interface AttemptRecord {
  id: string;
  eventId: string;
  jobId: string;
  attempt: number;
  url: string;
  attemptedAt: Date;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  nextRetryAt: Date | null;
  success: boolean;
}

/** Records an attempt and moves its event on (delivered, failed, or pending until nextRetryAt). */
export async function recordAttempt(
  prisma: Prisma,
  a: AttemptRecord,
  status: EventStatus,
): Promise<void> {
  await prisma.$transaction(async (tx) => {
    await tx.$executeRaw`
      INSERT INTO webhook_attempts (id, event_id, job_id, attempt, url, attempted_at, status_code,
                                    error, duration_ms, next_retry_at, success)
      VALUES (${a.id}, ${a.eventId}, ${a.jobId}, ${a.attempt}, ${a.url}, ${a.attemptedAt},
              ${a.statusCode}, ${a.error}, ${a.durationMs}, ${a.nextRetryAt}, ${a.success})
      ON CONFLICT (event_id, attempt) DO NOTHING`;
    await tx.$executeRaw`
      UPDATE webhook_events SET status = ${status}, next_attempt_at = ${a.nextRetryAt}, updated_at = now()
       WHERE id = ${a.eventId} AND attempts = ${a.attempt} AND status = 'pending'`;
  });
}

export async function attemptsOfJob(db: Db, jobId: string) {
  return db.webhookAttempt.findMany({
    where: { jobId },
    include: { event: { select: { type: true } } },
    orderBy: [{ attempt: 'asc' }],
  });
}

export async function accountSecrets(db: Db, accountId: string) {
  return db.account.findUnique({
    where: { id: accountId },
    select: { webhookSecret: true, webhookSecretPrevious: true, webhookSecretRotatedAt: true },
  });
}

/** The current secret becomes the previous one; returns null when there is no such account. */
export async function replaceSecret(db: Db, accountId: string, secret: string, at: Date) {
  const [row] = await db.$queryRaw<{ webhook_secret: string }[]>`
    UPDATE accounts SET webhook_secret_previous = webhook_secret, webhook_secret = ${secret},
                        webhook_secret_rotated_at = ${at}
     WHERE id = ${accountId}
     RETURNING webhook_secret`;
  return row ?? null;
}
