import { describe, expect, it } from 'vitest';
import { sweepUnstartedJobs } from '../../../src/domain/jobs/sweep-jobs.ts';
import { api, jobWhen, useHarness } from '../../support/harness.ts';

// No workers at first: nothing can take the ingest task before the test has removed it, so the
// job really is committed and not enqueued (as when Redis was away right after the commit).

const h = useHarness({}, { workers: false });

describe('the sweep of committed jobs that never reached the queue', () => {
  it('when a committed job was never enqueued (Redis away), then the sweep enqueues it once its grace is over, and it runs', async () => {
    const acct = await h.account('business', 100);
    const call = api(h.url, acct.test);
    const created = await call('POST', '/v1/jobs', {
      emails: ['s1@example.com', 's2@example.com'],
    });
    expect(created.status).toBe(201);
    const jobId: string = created.json.id;
    const jobs = h.deps.queues.queue('jobs');
    const taskId = `ingest-${jobId}`;
    expect(await jobs.getJobState(taskId)).toBe('waiting');

    // As if the enqueue after the commit had failed: take the task away again.
    await h.deps.queues.remove('ingest-job', [taskId]);
    expect(await jobs.getJob(taskId)).toBeUndefined();
    const stored = () => h.deps.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(await stored()).toMatchObject({ status: 'queued', ingestedAt: null, deletedAt: null });

    // Within the grace period (default 30 s) the job is left alone: its enqueue may be under way.
    expect(await sweepUnstartedJobs(h.deps, { accountId: acct.id })).toBe(0);
    expect(await jobs.getJob(taskId)).toBeUndefined();

    // Past it, the sweep hands the job to the queue: the same deterministic task id.
    expect(await sweepUnstartedJobs(h.deps, { graceSeconds: 0, accountId: acct.id })).toBe(1);
    expect(await jobs.getJobState(taskId)).toBe('waiting');
    expect(await stored()).toMatchObject({ status: 'queued', ingestedAt: null });

    h.startWorkers();
    const done = await jobWhen(call, jobId);
    expect(done).toMatchObject({ total: 2, processed: 2 });
    expect((await stored()).ingestedAt).not.toBeNull();
    // An ingested job is never swept again.
    expect(await sweepUnstartedJobs(h.deps, { graceSeconds: 0, accountId: acct.id })).toBe(0);
  });
});
