import type { Db } from './db.ts';

/**
 * The shape of every job id (`newId('job')`: `job_` and 24 base62 characters). Anything else
 * names no job, and is not sent to Postgres, which refuses some strings (NUL) outright.
 */
const JOB_ID = /^job_[0-9A-Za-z]{24}$/;
export const isJobId = (id: string): boolean => JOB_ID.test(id);

export async function findJob(db: Db, id: string) {
  return db.job.findUnique({ where: { id } });
}

/** A job as its account sees it: another account's job and a deleted one are both absent. */
export async function findOwnJob(db: Db, accountId: string, id: string) {
  if (!isJobId(id)) return null;
  return db.job.findFirst({ where: { id, accountId, deletedAt: null } });
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
      ...(cursor
        ? {
            OR: [
              { createdAt: { lt: cursor.createdAt } },
              { createdAt: cursor.createdAt, id: { lt: cursor.id } },
            ],
          }
        : {}),
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
  fields: string | null;
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
 */
export async function pageResults(
  db: Db,
  jobId: string,
  o: { afterIdx: number; limit: number; statuses: string[] | null; onlyDone: boolean },
): Promise<ResultRow[]> {
  const statuses = o.statuses && o.statuses.length > 0 ? o.statuses : null;
  return db.$queryRaw<ResultRow[]>`
    SELECT j.idx, j.email, j.normalized, j.fields, j.duplicate_of,
           r.status, r.reason, r.did_you_mean, r.checks, r.duration_ms
      FROM job_rows j
      LEFT JOIN results r ON r.job_id = j.job_id AND r.idx = COALESCE(j.duplicate_of, j.idx)
     WHERE j.job_id = ${jobId} AND j.idx > ${o.afterIdx}
       AND (${statuses}::text[] IS NULL OR r.status = ANY(${statuses}::text[]))
       AND (NOT ${o.onlyDone} OR r.status IS NOT NULL)
     ORDER BY j.idx
     LIMIT ${o.limit}`;
}

/** Rows per (status, reason) so far, each duplicate counted with its first occurrence's verdict. */
export async function countReasons(db: Db, jobId: string) {
  return db.$queryRaw<{ status: string; reason: string; count: number }[]>`
    SELECT r.status, r.reason, count(*)::int AS count
      FROM job_rows j
      JOIN results r ON r.job_id = j.job_id AND r.idx = COALESCE(j.duplicate_of, j.idx)
     WHERE j.job_id = ${jobId}
     GROUP BY r.status, r.reason
     ORDER BY r.status, count DESC, r.reason`;
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
