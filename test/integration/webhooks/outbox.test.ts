import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/data/migrate.ts';
import { createDeps } from '../../../src/deps.ts';
import { failJob } from '../../../src/domain/jobs/settle-job.ts';
import { SWEEP_GRACE_MS } from '../../../src/domain/webhooks/sweep-events.ts';
import { createLogger } from '../../../src/lib/logger.ts';
import { startWorkers } from '../../../workers/start-workers.ts';
import { api, useAccount, useHarness, waitFor } from '../../support/harness.ts';
import { startReceiver, type Receiver } from '../../support/webhook-receiver.ts';
import {
  attemptsWhen,
  createJobWithWebhook,
  delivered,
  FAST_WEBHOOKS,
  verifyWith,
} from '../../support/webhooks.ts';

let r: Receiver;
type WorkerSet = ReturnType<typeof startWorkers> & { close2(): Promise<void> };
let sets: WorkerSet[] = [];

/** A worker set of our own (the harness keeps one), sweeping every 100 ms. */
function workerSet(): WorkerSet {
  const deps = createDeps(h.config, 'worker', createLogger(h.config.log.level));
  const running = startWorkers(deps, { webhookSweepMs: 100 });
  const set = Object.assign(running, {
    async close2() {
      await running.close(5000);
      await deps.close();
    },
  });
  sets.push(set);
  return set;
}

/** Waits until `set` has swept `n` more times: any duplicate it could enqueue would be out by then. */
async function sweepsPass(set: WorkerSet, n = 3) {
  const until = set.webhookSweeper.runs + n;
  await waitFor(async () => set.webhookSweeper.runs >= until, { what: `${n} more sweeps` });
}

async function webhookQueueIdle() {
  const counts = await h.deps.queues
    .queue('webhooks')
    .getJobCounts('waiting', 'delayed', 'active', 'prioritized');
  return Object.values(counts).every((n) => n === 0);
}

// A database of its own: the sweep reads every pending event in its database, and this file
// strands events on purpose; another file's harness (other settings) must not sweep them.
const ownDb = new URL(process.env.DATABASE_URL!);
ownDb.pathname = `${ownDb.pathname}_outbox_${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  await migrate(ownDb.toString());
});
afterAll(async () => {
  const admin = new URL(ownDb);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "${ownDb.pathname.slice(1)}" WITH (FORCE)`);
  await client.end();
});
const h = useHarness({
  ...FAST_WEBHOOKS,
  DATABASE_URL: ownDb.toString(),
  CHUNK_SIZE: '1',
  WORKER_CONCURRENCY: '16',
});
const acct = useAccount(h, 'business', 10);
afterEach(async () => {
  await Promise.all(sets.map((s) => s.close2()));
  sets = [];
  await r?.close();
});

describe('one webhook event per job (the outbox)', () => {
  it('when many chunks finish at once on two worker sets, then exactly one event is recorded and delivered once', async () => {
    r = await startReceiver();
    const a = workerSet();
    workerSet();
    const call = api(h.url, acct.test);
    const emails = Array.from({ length: 60 }, (_, i) => `deliverable+${i}@example.com`);
    const jobId = await createJobWithWebhook(call, `${r.url}/once`, emails);

    await attemptsWhen(call, jobId, delivered, 'delivery');
    const job = await call('GET', `/v1/jobs/${jobId}`);
    expect(job.json).toMatchObject({ status: 'completed', processed: 60 });
    await sweepsPass(a);
    await waitFor(webhookQueueIdle, { what: 'the webhook queue to drain' });

    expect(await h.deps.db.prisma.webhookEvent.count({ where: { jobId } })).toBe(1);
    expect(await h.deps.db.prisma.webhookAttempt.count({ where: { jobId } })).toBe(1);
    expect(r.requests).toHaveLength(1);
    expect(verifyWith(acct.webhookSecret, r.requests[0]!).data).toMatchObject({
      id: jobId,
      status: 'completed',
      processed: 60,
    });
  });

  it('when the worker dies between the job ending and the enqueue, then the sweep delivers the event exactly once', async () => {
    r = await startReceiver();
    const call = api(h.url, acct.test);
    const jobId = await createJobWithWebhook(call, `${r.url}/recovered`);
    // The crash: the transaction that ends the job (and writes its event) commits, and nothing
    // is enqueued after it. failJob is exactly that: it ends the job and enqueues nothing.
    expect(await failJob(h.deps, jobId, 'simulated crash')).toBe(true);
    const pending = await h.deps.db.prisma.webhookEvent.findUniqueOrThrow({ where: { jobId } });
    expect(pending).toMatchObject({ status: 'pending', attempts: 0, type: 'job.failed' });
    expect(await webhookQueueIdle()).toBe(true);
    // The worker stays dead for a while: longer than the sweep's grace.
    await h.deps.db.prisma.webhookEvent.update({
      where: { id: pending.id },
      data: { nextAttemptAt: new Date(Date.now() - SWEEP_GRACE_MS - 1000) },
    });

    const set = workerSet(); // a worker comes back; its first sweep finds the event
    await r.waitForRequests(1);
    await attemptsWhen(call, jobId, delivered, 'the recorded delivery');
    await sweepsPass(set);
    workerSet(); // and another worker starting later sweeps again: still nothing more
    await sweepsPass(set);

    expect(r.requests).toHaveLength(1);
    const event = verifyWith(acct.webhookSecret, r.requests[0]!);
    expect(event).toMatchObject({
      id: pending.id,
      type: 'job.failed',
      data: { id: jobId, status: 'failed' },
    });
    expect(await h.deps.db.prisma.webhookAttempt.count({ where: { jobId } })).toBe(1);
  });

  it('when a job is deleted (cancelled), then no event is written', async () => {
    r = await startReceiver();
    const call = api(h.url, acct.test);
    const jobId = await createJobWithWebhook(call, `${r.url}/cancelled`);
    expect((await call('DELETE', `/v1/jobs/${jobId}`)).status).toBe(204);
    expect(await h.deps.db.prisma.webhookEvent.count({ where: { jobId } })).toBe(0);
  });
});
