import type { Db } from '../../data/db.ts';
import { countReasons, findOwnJob, listOwnJobs, pageResults } from '../../data/jobs.repository.ts';
import type { AuthContext } from '../accounts/authenticate.ts';
import { notFound } from '../errors.ts';

export { isJobId } from '../../data/jobs.repository.ts';

/** Another account's job is exactly as absent as one that never existed. */
export async function getJob(db: Db, auth: AuthContext, jobId: string) {
  const job = await findOwnJob(db, auth.accountId, jobId);
  if (!job) throw notFound();
  return job;
}

export async function listJobs(
  db: Db,
  auth: AuthContext,
  q: { limit: number; starting_after?: string | undefined },
) {
  const page = await listOwnJobs(db, auth.accountId, q.limit, q.starting_after ?? null);
  if (!page) throw notFound();
  return page;
}

/** A page of results in input order; partial while the job runs. The cursor is the last index. */
export async function listResults(
  db: Db,
  auth: AuthContext,
  jobId: string,
  q: { limit: number; cursor?: number | undefined; status?: string[] | undefined },
) {
  await getJob(db, auth, jobId);
  const rows = await pageResults(db, jobId, {
    afterIdx: q.cursor ?? -1,
    limit: q.limit + 1,
    statuses: q.status ?? null,
    onlyDone: true,
  });
  const data = rows.slice(0, q.limit);
  const nextCursor = rows.length > q.limit ? String(data[data.length - 1]!.idx) : null;
  return { data, nextCursor };
}

/** A job's counts per status and per reason (the page's summary chart); partial while it runs. */
export async function summarizeJob(db: Db, auth: AuthContext, jobId: string) {
  const job = await getJob(db, auth, jobId);
  return { job, reasons: await countReasons(db, jobId) };
}
