import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMailWorld } from '../../support/mail-world.ts';
import { api, jobWhen, useAccount, useHarness, waitFor } from '../../support/harness.ts';
import { useResource } from '../../support/use-resource.ts';
import { spawnWorker, stopProcess } from '../../support/processes.ts';

// Workers as separate processes, one killed with SIGKILL mid-job: another takes over the
// stalled chunks and the job still ends with exactly one result per input row.
let env: Record<string, string>;
const children: ChildProcess[] = [];

// Every reply waits 40 ms: slow enough that the job is still running when its worker dies.
const mail = useResource(() =>
  startMailWorld(
    [
      { host: '127.0.0.71', behaviour: { acceptAll: true, latencyMs: 40 } },
      { host: '127.0.0.72', behaviour: { acceptAll: true, latencyMs: 300 } },
    ],
    { 'slow.test': '127.0.0.71', 'slower.test': '127.0.0.72' },
  ),
);
const settings = () => ({
  ...mail.env,
  SMTP_MAX_CONNECTIONS_PER_HOST: '20',
  CHUNK_SIZE: '10',
  WORKER_CONCURRENCY: '2',
  WORKER_LOCK_DURATION_MS: '2000',
  WORKER_STALLED_INTERVAL_MS: '1000',
});
const h = useHarness(settings);
const acct = useAccount(h, 'business', 1000);
beforeAll(() => {
  env = h.processEnv(settings());
});
afterAll(async () => {
  for (const c of children) await stopProcess(c, 'SIGKILL');
});

describe('a worker process killed while a job runs', () => {
  it('when the worker is SIGKILLed mid-job and another starts, then the job completes with one result per row', async () => {
    const call = api(h.url, acct.live);
    const emails = Array.from({ length: 120 }, (_, i) => `user${i % 100}@slow.test`); // 20 duplicates
    const created = await call('POST', '/v1/jobs', { emails, smtp: true });
    expect(created.status).toBe(201);
    const jobId = created.json.id as string;

    const first = spawnWorker(env);
    children.push(first);
    await waitFor(
      async () => {
        const job = (await call('GET', `/v1/jobs/${jobId}`)).json;
        return job.processed > 0;
      },
      { what: 'the first results', intervalMs: 20 },
    );
    await stopProcess(first, 'SIGKILL');
    const atKill = (await call('GET', `/v1/jobs/${jobId}`)).json;
    expect(atKill.status).toBe('processing');
    expect(atKill.processed).toBeLessThan(120);

    const second = spawnWorker(env);
    children.push(second);
    const done = await jobWhen(call, jobId, 'completed', 60_000);

    expect(done).toMatchObject({ total: 120, unique: 100, processed: 120, progress: 100 });
    expect(done.counts).toEqual({ deliverable: 0, undeliverable: 0, risky: 120, unknown: 0 }); // catch-all
    expect(await h.deps.db.prisma.result.count({ where: { job: { id: jobId } } })).toBe(100);
    const page = await call('GET', `/v1/jobs/${jobId}/results?limit=1000`);
    expect(page.json.data.map((r: any) => r.index)).toEqual(
      Array.from({ length: 120 }, (_, i) => i),
    );
    expect(done.credits_charged).toBe(100);

    expect(await stopProcess(second, 'SIGTERM')).toBe(0);
  });

  it('when a worker gets SIGTERM mid-job, then it exits cleanly within the deadline and the job still completes', async () => {
    const call = api(h.url, acct.live);
    const emails = Array.from({ length: 80 }, (_, i) => `term${i}@slow.test`);
    const jobId = (await call('POST', '/v1/jobs', { emails, smtp: true })).json.id as string;
    const worker = spawnWorker({ ...env, SHUTDOWN_TIMEOUT_MS: '8000' });
    children.push(worker);
    await waitFor(async () => (await call('GET', `/v1/jobs/${jobId}`)).json.processed > 0, {
      what: 'the first results',
      intervalMs: 20,
    });
    const started = Date.now();
    expect(await stopProcess(worker, 'SIGTERM')).toBe(0);
    expect(Date.now() - started).toBeLessThan(8000);

    const next = spawnWorker(env);
    children.push(next);
    const done = await jobWhen(call, jobId, 'completed', 60_000);
    expect(done.processed).toBe(80);
    expect(await h.deps.db.prisma.result.count({ where: { job: { id: jobId } } })).toBe(80);
  });

  it('when SIGTERM’s deadline cuts chunks short, then they go back to the queue without using up an attempt', async () => {
    for (const c of children) await stopProcess(c, 'SIGKILL'); // this worker alone
    const call = api(h.url, acct.live);
    // 300 ms a reply: a chunk of 10 takes seconds, far past a 1 s grace for running chunks.
    const emails = Array.from({ length: 40 }, (_, i) => `cut${i}@slower.test`);
    const jobId = (await call('POST', '/v1/jobs', { emails, smtp: true })).json.id as string;
    const chunks = h.deps.queues.queue('chunks');
    const worker = spawnWorker({ ...env, SHUTDOWN_TIMEOUT_MS: '3000' });
    children.push(worker);
    const running = async () =>
      (await chunks.getJobs(['active'])).filter((t) => t.data.jobId === jobId).length;
    await waitFor(async () => (await running()) > 0, { what: 'chunks running', intervalMs: 20 });
    expect(await stopProcess(worker, 'SIGTERM')).toBe(0);

    const tasks = (await chunks.getJobs(['wait', 'active', 'delayed', 'failed'])).filter(
      (t) => t.data.jobId === jobId,
    );
    expect(tasks.length).toBeGreaterThan(0);
    for (const t of tasks) {
      expect(await t.getState()).toBe('waiting');
      expect(t.attemptsMade).toBe(0);
    }
    const next = spawnWorker(env);
    children.push(next);
    const done = await jobWhen(call, jobId, 'completed', 60_000);
    expect(done.processed).toBe(40);
  });
});
