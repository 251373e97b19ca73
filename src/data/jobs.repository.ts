import type { Job } from '../generated/prisma/client.ts';
import type { Database, Db } from './db.ts';
import { unpackChecks, unpackFields } from './stored-forms.ts';
import { clientOf, queryPlannedWithout, type Sql } from './transaction.ts';

/**
 * The shape of every job id (`newId('job')`: `job_` and 24 base62 characters). Anything else
 * names no job, and is not sent to Postgres, which refuses some strings (NUL) outright.
 */
const JOB_ID = /^job_[0-9A-Za-z]{24}$/;
export const isJobId = (id: string): boolean => JOB_ID.test(id);

export async function findJob(db: Db, id: string) {
  return db.job.findUnique({ where: { id } });
}

/** Not past its expires_at (docs/retention.md): an expired job is gone before it is purged. */
const notExpired = () => ({ OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }] });

/**
 * A job as its account sees it: another account's job, a deleted one and an expired one are all
 * absent.
 */
export async function findOwnJob(db: Db, accountId: string, id: string) {
  if (!isJobId(id)) return null;
  return db.job.findFirst({ where: { id, accountId, deletedAt: null, ...notExpired() } });
}

export async function findJobByIdempotencyKey(db: Db, accountId: string, key: string) {
  return db.job.findFirst({ where: { accountId, idempotencyKey: key, deletedAt: null } });
}

export async function listOwnJobs(
  db: Db,
  accountId: string,
  limit: number,
  startingAfter: string | null,
) {
  let cursor: { createdAt: Date; id: string } | null = null;
  if (startingAfter) {
    if (!isJobId(startingAfter)) return null;
    cursor = await db.job.findFirst({
      where: { id: startingAfter, accountId, deletedAt: null },
      select: { createdAt: true, id: true },
    });
    if (!cursor) return null;
  }
  const rows = await db.job.findMany({
    where: {
      accountId,
      deletedAt: null,
      AND: [
        notExpired(),
        cursor
          ? {
              OR: [
                { createdAt: { lt: cursor.createdAt } },
                { createdAt: cursor.createdAt, id: { lt: cursor.id } },
              ],
            }
          : {},
      ],
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit + 1,
  });
  return { data: rows.slice(0, limit), hasMore: rows.length > limit };
}

export interface ResultRow {
  idx: number;
  email: string;
  normalized: string | null;
  /** The input row's fields (null for a list of addresses). */
  fields: string[] | null;
  duplicate_of: number | null;
  status: string | null;
  reason: string | null;
  did_you_mean: string | null;
  checks: unknown;
  duration_ms: number | null;
}

/**
 * One page of a job's rows in input order, each with the result of its first occurrence.
 * `onlyDone` leaves out rows without a result yet (the JSON listing is partial while running).
 *
 * The result is a LATERAL lookup (`OFFSET 0` keeps it one): for a job the statistics do not know
 * yet (bulk-loaded, not analysed: "1 row"), a plain join was planned as a nested loop whose inner
 * side read every result of the job for each row of the page (issue 13). This is one primary-key
 * lookup per row, whatever the statistics say.
 */
export async function pageResults(
  db: Db,
  jobId: string,
  o: { afterIdx: number; limit: number; statuses: string[] | null; onlyDone: boolean },
): Promise<ResultRow[]> {
  const statuses = o.statuses && o.statuses.length > 0 ? o.statuses : null;
  const rows = await db.$queryRaw<(Omit<ResultRow, 'fields'> & { fields: string | null })[]>`
    SELECT j.idx, j.email, j.fields, j.duplicate_of,
           -- stored null when it is the address as written (src/data/stored-forms.ts)
           CASE WHEN j.syntax_valid THEN COALESCE(j.normalized, j.email) END AS normalized,
           r.status, r.reason, r.did_you_mean, r.checks, r.duration_ms
      FROM job_rows j
      LEFT JOIN LATERAL (
        SELECT r.status, r.reason, r.did_you_mean, r.checks, r.duration_ms FROM results r
         WHERE r.job_seq = j.job_seq AND r.idx = COALESCE(j.duplicate_of, j.idx) OFFSET 0) r ON true
     WHERE j.job_seq = (SELECT seq FROM jobs WHERE id = ${jobId}) AND j.idx > ${o.afterIdx}
       AND (${statuses}::text[] IS NULL OR r.status = ANY(${statuses}::text[]))
       AND (NOT ${o.onlyDone} OR r.status IS NOT NULL)
     ORDER BY j.idx
     LIMIT ${o.limit}`;
  return rows.map((row) => ({
    ...row,
    fields: unpackFields(row.fields, row.email),
    checks: unpackChecks(row.checks, row.normalized),
  }));
}

/**
 * Rows per (status, reason) so far, each duplicate counted with its first occurrence's verdict.
 *
 * A whole-job aggregate: a hash join is always the right plan, and nested loops are turned off
 * for it, because for a job the statistics do not know yet ("1 row") the planner chose one whose
 * inner side read every result of the job for each of its rows (1M × 1M; issue 13).
 */
export async function countReasons(db: Database, jobId: string) {
  return queryPlannedWithout<{ status: string; reason: string; count: number }>(
    db,
    ['nestloop'],
    `SELECT r.status, r.reason, count(*)::int AS count
         FROM job_rows j
         JOIN results r ON r.job_seq = j.job_seq AND r.idx = COALESCE(j.duplicate_of, j.idx)
        WHERE j.job_seq = (SELECT seq FROM jobs WHERE id = $1)
        GROUP BY r.status, r.reason
        ORDER BY r.status, count DESC, r.reason`,
    [jobId],
  );
}

/** Adds warnings to a job, each code once (a re-run chunk adds nothing new). */
export async function addJobWarnings(
  db: Db,
  jobId: string,
  warnings: { code: string; message: string }[],
): Promise<void> {
  for (const w of warnings) {
    await db.$executeRaw`
      UPDATE jobs SET warnings = warnings || ${JSON.stringify([w])}::jsonb
      WHERE id = ${jobId} AND NOT warnings @> ${JSON.stringify([{ code: w.code }])}::jsonb`;
  }
}

export interface NewJob {
  id: string;
  accountId: string;
  name: string | null;
  source: string;
  mode: string;
  total: number;
  uniqueCount: number;
  creditsReserved: number;
  webhookUrl: string | null;
  smtp: boolean;
  quickMode: boolean;
  idempotencyKey: string | null;
  requestHash: string | null;
  columns: string[] | null;
  delimiter: string | null;
  emailColumn: number | null;
  /** Days the job is kept after it ends (docs/retention.md). */
  retentionDays: number;
}

/** Inserts a queued job; a live job with the same Idempotency-Key is a unique violation. */
export async function insertJob(sql: Sql, j: NewJob): Promise<void> {
  await clientOf(sql).query(
    `INSERT INTO jobs (id, account_id, name, source, status, mode, total, unique_count,
                       credits_reserved, webhook_url, smtp, quick_mode, idempotency_key,
                       request_hash, columns, delimiter, email_column, retention_days)
     VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15, $16,
             $17)`,
    [
      j.id,
      j.accountId,
      j.name,
      j.source,
      j.mode,
      j.total,
      j.uniqueCount,
      j.creditsReserved,
      j.webhookUrl,
      j.smtp,
      j.quickMode,
      j.idempotencyKey,
      j.requestHash,
      JSON.stringify(j.columns),
      j.delimiter,
      j.emailColumn,
      j.retentionDays,
    ],
  );
}

/**
 * Moves a live job (queued, processing) to its end state; null when it had already ended. Only
 * one caller gets the row back, so only one settles the job's wallet.
 */
export async function endJobRow(
  sql: Sql,
  jobId: string,
  ending: 'completed' | 'failed' | 'cancelled',
  o: { reason?: string; deleted?: boolean } = {},
): Promise<{ accountId: string; mode: string; creditsReserved: number; createdAt: Date } | null> {
  const { rows } = await clientOf(sql).query<{
    account_id: string;
    mode: string;
    credits_reserved: number;
    created_at: Date;
  }>(
    `UPDATE jobs SET status = $2, completed_at = now(), failure_reason = $3,
            expires_at = now() + make_interval(days => retention_days),
            deleted_at = CASE WHEN $4::boolean THEN now() ELSE deleted_at END
      WHERE id = $1 AND status IN ('queued', 'processing')
      RETURNING account_id, mode, credits_reserved, created_at`,
    [jobId, ending, o.reason ?? null, o.deleted ?? false],
  );
  const job = rows[0];
  return job
    ? {
        accountId: job.account_id,
        mode: job.mode,
        creditsReserved: job.credits_reserved,
        createdAt: job.created_at,
      }
    : null;
}

export async function setCreditsCharged(sql: Sql, jobId: string, charged: number): Promise<void> {
  await clientOf(sql).query('UPDATE jobs SET credits_charged = $2 WHERE id = $1', [jobId, charged]);
}

/** Marks an (ended) job deleted: from now on it is 404 and its data awaits the purge. */
export async function markJobDeleted(sql: Sql, jobId: string): Promise<void> {
  await clientOf(sql).query('UPDATE jobs SET deleted_at = now() WHERE id = $1', [jobId]);
}

/** What the job resource (and a webhook event, which carries it) is made of. */
export type JobView = Pick<
  Job,
  | 'id'
  | 'accountId'
  | 'name'
  | 'source'
  | 'status'
  | 'mode'
  | 'total'
  | 'uniqueCount'
  | 'processed'
  | 'deliverable'
  | 'undeliverable'
  | 'risky'
  | 'unknown'
  | 'creditsReserved'
  | 'creditsCharged'
  | 'webhookUrl'
  | 'smtp'
  | 'quickMode'
  | 'createdAt'
  | 'startedAt'
  | 'completedAt'
  | 'expiresAt'
  | 'warnings'
>;

/** A job as it stands in `sql` (inside a transaction: with that transaction's own changes). */
export async function readJobView(sql: Sql, jobId: string): Promise<JobView | null> {
  const { rows } = await clientOf(sql).query<JobView>(
    `SELECT id, account_id AS "accountId", name, source, status, mode, total,
            unique_count AS "uniqueCount", processed, deliverable, undeliverable, risky, unknown,
            credits_reserved AS "creditsReserved", credits_charged AS "creditsCharged",
            webhook_url AS "webhookUrl", smtp, quick_mode AS "quickMode",
            created_at AS "createdAt", started_at AS "startedAt",
            completed_at AS "completedAt", expires_at AS "expiresAt", warnings
       FROM jobs WHERE id = $1`,
    [jobId],
  );
  return rows[0] ?? null;
}

/** Jobs committed more than `graceSeconds` ago and never ingested (their enqueue did not happen). */
export async function listUnstartedJobs(
  db: Db,
  o: { graceSeconds: number; accountId?: string; limit: number },
): Promise<string[]> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT id FROM jobs
     WHERE status = 'queued' AND ingested_at IS NULL AND deleted_at IS NULL
       AND created_at < now() - make_interval(secs => ${o.graceSeconds})
       AND (${o.accountId ?? null}::text IS NULL OR account_id = ${o.accountId ?? null})
     ORDER BY created_at LIMIT ${o.limit}`;
  return rows.map((r) => r.id);
}
