import { findOwnJob, markJobDeleted } from '../../data/jobs.repository.ts';
import { deleteJobData } from '../../data/retention.repository.ts';
import { withTransaction } from '../../data/transaction.ts';
import type { Deps } from '../../deps.ts';
import { catalog } from '../../queue/catalog.ts';
import type { AuthContext } from '../accounts/authenticate.ts';
import { notFound } from '../errors.ts';
import { PURGE_BATCH_ROWS } from '../retention/purge-expired.ts';
import { chunkSizeOf } from './plan-job.ts';
import { endJob } from './settle-job.ts';

/**
 * Deletes a job: a running one is cancelled (in-flight chunks stop at their next write) and
 * refunded for what was not processed; from now on the job is 404; its rows and results are
 * purged in the background.
 */
export async function deleteJob(
  deps: Pick<Deps, 'db' | 'queues' | 'logger' | 'config'>,
  auth: AuthContext,
  jobId: string,
): Promise<void> {
  const { prisma } = deps.db;
  const job = await findOwnJob(prisma, auth.accountId, jobId);
  if (!job) throw notFound();
  await withTransaction(deps.db, async (tx) => {
    const cancelled = await endJob(tx, jobId, 'cancelled', { deleted: true });
    if (!cancelled) await markJobDeleted(tx, jobId);
  });
  const chunks = Math.ceil(job.uniqueCount / chunkSizeOf(deps.config.jobs, job));
  const ids = Array.from({ length: chunks }, (_, chunk) =>
    catalog['validate-chunk'].jobId({ jobId, chunk }),
  );
  try {
    await deps.queues.remove('validate-chunk', ids);
    await deps.queues.enqueue('purge-job', { jobId });
  } catch (err) {
    deps.logger.warn({ err, jobId }, 'queue unreachable; purging the deleted job inline');
    await deleteJobData(deps.db, jobId, PURGE_BATCH_ROWS);
  }
}

/**
 * The background half of a deletion (the `purge-job` task): the job's upload, results and rows
 * go, in statements of at most PURGE_BATCH_ROWS rows, as the retention purge removes them.
 */
export async function purgeDeletedJob(deps: Pick<Deps, 'db'>, jobId: string): Promise<void> {
  await deleteJobData(deps.db, jobId, PURGE_BATCH_ROWS);
}
