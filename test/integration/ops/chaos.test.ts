import { beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { waitFor } from '../../support/harness.ts';
import { useResource } from '../../support/use-resource.ts';
import { jobRow, outageFigures, startOutageWorld } from '../../support/outage-world.ts';
import { stopProcess } from '../../support/processes.ts';

/**
 * Chaos on a schedule, against a Redis and a Postgres of this test's own (never the shared
 * ones): while one live job runs, a worker is SIGKILLed, then Redis and then Postgres are down
 * for longer than a chunk's whole retry window. With the catalog's retries (5 attempts,
 * exponential backoff from 2 s) that window is 2 + 4 + 8 + 16 = 30 s; each outage lasts 45 s.
 * Takes about three minutes, most of it the two outages. Without the outage guard
 * (workers/outage-guard.ts) chunks fail attempt after attempt meanwhile: measured, 46 chunks
 * with failed attempts and one on its 5th and last.
 */
const RETRY_WINDOW_MS = 2000 + 4000 + 8000 + 16000;
// A clear margin past the window: a busy machine runs the delayed retries late.
const OUTAGE_MS = RETRY_WINDOW_MS + 15_000;
const UNIQUE = 800;
const DUPLICATES = 50;

// 40 ms a reply and chunks of 10: the job needs tens of seconds of work, so every fault of
// the schedule lands while it runs (each step checks that it does).
const w = useResource(
  () =>
    startOutageWorld({
      domains: 8,
      smtpLatencyMs: 40,
      env: { CHUNK_SIZE: '10', WORKER_CONCURRENCY: '2', WEBHOOK_BACKOFF_BASE_MS: '500' },
    }),
  { timeout: 300_000 },
);
beforeAll(async () => {
  await Promise.all([w.spawnWorker(), w.spawnWorker()]);
}, 300_000);

const progress = async (jobId: string) => (await jobRow(w.h, jobId))?.processed ?? 0;

/** Keeps `service` down for OUTAGE_MS; every worker must say it is paused, throughout. */
async function outage(service: 'redis' | 'postgres', jobId: string) {
  const before = await jobRow(w.h, jobId);
  expect(before?.status).toBe('processing');
  expect(before!.processed).toBeLessThan(before!.total);
  await w[service].stop();
  const stoppedAt = Date.now();
  await waitFor(
    async () => {
      const all = await Promise.all(w.workers.map((x) => x.health()));
      return all.every((x) => x.status === 'paused' && x.dependencies[service] === 'down');
    },
    { what: `every worker to pause for ${service}`, timeoutMs: 20_000, intervalMs: 200 },
  );
  const metrics = await w.workers[0]!.metrics();
  expect(metrics).toContain('mailsift_workers_paused 1');
  expect(metrics).toContain(`mailsift_dependency_up{dependency="${service}"} 0`);
  // Held past the retry window, sampling what the workers report all along.
  await waitFor(
    async () => {
      for (const x of w.workers) expect((await x.health()).status).toBe('paused');
      return Date.now() - stoppedAt >= OUTAGE_MS;
    },
    { what: `${OUTAGE_MS} ms of outage`, timeoutMs: OUTAGE_MS + 30_000, intervalMs: 1000 },
  );
  await w[service].start();
  await waitFor(
    async () =>
      (await Promise.all(w.workers.map((x) => x.health()))).every((x) => x.status === 'ok'),
    { what: `the workers to resume after ${service}`, timeoutMs: 30_000, intervalMs: 200 },
  );
  for (const x of w.workers) {
    expect(x.logs.some((l) => l.includes(`${service} is unreachable`))).toBe(true);
    expect(x.logs.some((l) => l.includes(`${service} is reachable again`))).toBe(true);
  }
}

describe('chaos: a worker killed, Redis and then Postgres down past the retry window', () => {
  it('when all of it happens during one job, then the job completes with one result per row, the ledger exact and the webhook delivered once', async () => {
    const emails = w.emails(UNIQUE);
    const rows = [...emails, ...emails.slice(0, DUPLICATES).map((e) => ` ${e}`)];
    const hookPath = '/chaos';
    const created = await w.call('POST', '/v1/jobs', {
      emails: rows,
      smtp: true,
      webhook_url: `${w.receiver.url}${hookPath}`,
    });
    expect(created.status, created.text).toBe(201);
    const jobId = created.json.id as string;

    // 1. A worker dies mid-chunk; a new one takes its place.
    await waitFor(async () => (await progress(jobId)) > 0, {
      what: 'the first results',
      timeoutMs: 60_000,
    });
    const victim = w.workers.shift()!;
    await stopProcess(victim.child, 'SIGKILL');
    await w.spawnWorker();

    // 2. Redis away for longer than the retry window.
    await waitFor(async () => (await progress(jobId)) >= 0.2 * rows.length, {
      what: '20 % of the job',
      timeoutMs: 60_000,
    });
    await outage('redis', jobId);

    // 3. Then Postgres.
    await waitFor(async () => (await progress(jobId)) >= 0.4 * rows.length, {
      what: '40 % of the job',
      timeoutMs: 60_000,
    });
    await outage('postgres', jobId);

    // The end: completed, one result per unique row, charged exactly what was verified.
    await waitFor(async () => (await jobRow(w.h, jobId))?.status !== 'processing', {
      what: 'the job to end',
      timeoutMs: 120_000,
      intervalMs: 250,
    });
    const [delivery] = await w.receiver.waitForRequests(1, 60_000);
    const figures = await outageFigures(w, jobId);
    expect(figures).toMatchObject({
      status: 'completed',
      total: rows.length,
      processed: rows.length,
      uniqueRows: UNIQUE,
      results: UNIQUE,
      duplicatedResults: 0,
      creditsReserved: UNIQUE,
      creditsCharged: UNIQUE, // catch-all servers: every verdict is `risky`, none `unknown`
      earned: UNIQUE,
      balance: 1_000_000 - UNIQUE,
      ledgerSum: 1_000_000 - UNIQUE,
      chunksFailed: 0,
      maxAttemptsMade: 1, // no chunk used up an attempt on an outage
    });
    expect(figures.ledgerLines).toEqual(['topup 1000000', `reserve -${UNIQUE}`]);

    // The webhook: once, signed, job.completed; nothing more is pending to be sent.
    const event = new Webhook(w.account.webhookSecret).verify(
      delivery!.body.toString('utf8'),
      delivery!.headers as Record<string, string>,
    ) as { type: string; data: { id: string } };
    expect(delivery!.path).toBe(hookPath);
    expect(event.type).toBe('job.completed');
    expect(event.data.id).toBe(jobId);
    const hooks = w.h.deps.queues.queue('webhooks');
    await waitFor(
      async () => {
        const c = await hooks.getJobCounts('active', 'waiting', 'delayed');
        return (c.active ?? 0) + (c.waiting ?? 0) + (c.delayed ?? 0) === 0;
      },
      { what: 'no webhook task pending' },
    );
    expect(
      await w.h.deps.db.prisma.webhookEvent.count({ where: { jobId, status: 'pending' } }),
    ).toBe(0);
    expect(w.receiver.requests.length).toBe(1);
  }, 480_000);
});
