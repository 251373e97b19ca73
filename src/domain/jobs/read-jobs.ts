import type { Deps } from '../../deps.ts';
import { countReasons, findOwnJob, listOwnJobs, pageResults } from '../../data/jobs.repository.ts';
import type { AuthContext } from '../accounts/authenticate.ts';
import { notFound } from '../errors.ts';

type ReadDeps = Pick<Deps, 'db'>;

export { isJobId } from '../../data/jobs.repository.ts';

/** Another account's job is exactly as absent as one that never existed. */
export async function getJob(deps: ReadDeps, auth: AuthContext, jobId: string) {
  const job = await findOwnJob(deps.db.prisma, auth.accountId, jobId);
  if (!job) throw notFound();
  return job;
}

export async function listJobs(
  deps: ReadDeps,
  auth: AuthContext,
  q: { limit: number; starting_after?: string | undefined },
) {
  const page = await listOwnJobs(deps.db.prisma, auth.accountId, q.limit, q.starting_after ?? null);
  if (!page) throw notFound();
  return page;
}

/** A page of results in input order; partial while the job runs. The cursor is the last index. */
export async function listResults(
  deps: ReadDeps,
  auth: AuthContext,
  jobId: string,
  q: { limit: number; cursor?: number | undefined; status?: string[] | undefined },
) {
  await getJob(deps, auth, jobId);
  const rows = await pageResults(deps.db.prisma, jobId, {
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
export async function summarizeJob(deps: ReadDeps, auth: AuthContext, jobId: string) {
  const job = await getJob(deps, auth, jobId);
  return { job, reasons: await countReasons(deps.db, jobId) };
}
