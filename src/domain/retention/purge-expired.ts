import {
  deleteExpiredFacts,
  deleteJobData,
  deleteRetiredJob,
  expiredJobIds,
  retireExpiredJob,
} from '../../data/retention.repository.ts';
import type { Deps } from '../../deps.ts';

/** Jobs looked up at a time; each is then purged whole before the next. */
const JOBS_PER_LOOKUP = 20;
/** Rows a delete statement removes at most: each statement is a short transaction of its own. */
export const PURGE_BATCH_ROWS = 10_000;
/** A run stops after this long; the next scheduled run goes on where it stopped. */
const RUN_BUDGET_MS = 5 * 60_000;

export interface PurgeReport {
  /** Expired jobs removed (their rows, results, stored input, webhook log and the job itself). */
  jobs: number;
  /** Rows deleted from job_uploads, results and job_rows. */
  rows: number;
  /** Email facts past their account's retention deleted. */
  facts: number;
  /** Delete statements run, none of more than `batch` rows. */
  statements: number;
  /** False when the run stopped early (its budget, a shutdown): the next one goes on. */
  complete: boolean;
}

/**
 * The `purge-expired` task (docs/retention.md): removes every job past its expires_at, and every
 * email fact older than its account's retention, in statements of at most `batch` rows. Each
 * step can run twice (a crash, two runs at once): a job is first marked deleted, then emptied,
 * then its row goes; a running job has no expires_at and is never touched.
 */
export async function purgeExpired(
  deps: Pick<Deps, 'db' | 'config' | 'logger'>,
  o: { batch?: number; budgetMs?: number; signal?: AbortSignal } = {},
): Promise<PurgeReport> {
  const { db } = deps;
  const batch = o.batch ?? PURGE_BATCH_ROWS;
  const deadline = Date.now() + (o.budgetMs ?? RUN_BUDGET_MS);
  const stop = () => o.signal?.aborted === true || Date.now() > deadline;
  const report: PurgeReport = { jobs: 0, rows: 0, facts: 0, statements: 0, complete: false };

  jobs: for (;;) {
    const ids = await expiredJobIds(db, JOBS_PER_LOOKUP);
    for (const id of ids) {
      if (stop()) break jobs;
      await retireExpiredJob(db, id);
      const deleted = await deleteJobData(db, id, batch);
      report.rows += deleted.rows;
      report.statements += deleted.statements + 2;
      if (await deleteRetiredJob(db, id)) report.jobs += 1;
    }
    if (ids.length < JOBS_PER_LOOKUP) break;
  }
  while (!stop()) {
    const n = await deleteExpiredFacts(db, deps.config.retention.days, batch);
    report.facts += n;
    report.statements += 1;
    if (n < batch) {
      report.complete = true;
      break;
    }
  }
  if (report.jobs > 0 || report.facts > 0 || !report.complete) {
    deps.logger.info({ ...report }, 'expired jobs and facts purged');
  }
  return report;
}
