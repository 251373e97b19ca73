import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, useAccount, useHarness, waitFor } from '../../support/harness.ts';
import { useResource } from '../../support/use-resource.ts';
import { spawnWorker, stopProcess } from '../../support/processes.ts';
import { startReceiver } from '../../support/webhook-receiver.ts';
import { FAST_WEBHOOKS, createJobWithWebhook } from '../../support/webhooks.ts';

// Real worker processes: the one that completed the job is SIGKILLed before it could deliver
// the event; the next worker delivers it, exactly once.
let env: Record<string, string>;
const children: ChildProcess[] = [];

const receiver = useResource(() => startReceiver());
const h = useHarness(FAST_WEBHOOKS);
const acct = useAccount(h, 'business', 10);
beforeAll(() => {
  env = h.processEnv(FAST_WEBHOOKS);
});
afterAll(async () => {
  for (const c of children) await stopProcess(c, 'SIGKILL');
});

describe('a worker killed between a job’s completion and its webhook delivery', () => {
  it('when the worker dies after completing the job, then another delivers job.completed once', async () => {
    // Deliveries wait (the queue is paused) so the worker is surely killed before sending.
    const webhooks = h.deps.queues.queue('webhooks');
    await webhooks.pause();
    const call = api(h.url, acct.test);
    const first = spawnWorker(env);
    children.push(first);
    const jobId = await createJobWithWebhook(call, receiver.url);
    await waitFor(
      async () => (await call('GET', `/v1/jobs/${jobId}`)).json.status === 'completed',
      {
        what: 'the job to complete',
      },
    );
    // The delivery task is enqueued just after the commit that completed the job: kill the worker
    // only once it is in the (paused) queue, so what is tested is a task outliving its worker.
    // A crash inside that short window leaves the event to the outbox sweep (outbox.test.ts).
    await waitFor(
      async () => {
        const counts = await webhooks.getJobCounts('wait', 'delayed', 'prioritized');
        return Object.values(counts).reduce((a, b) => a + b, 0) === 1;
      },
      { what: 'the delivery task to be queued' },
    );
    await stopProcess(first, 'SIGKILL');
    expect(receiver.requests).toHaveLength(0);

    await webhooks.resume();
    const second = spawnWorker(env);
    children.push(second);
    const [request] = await receiver.waitForRequests(1, 30_000);
    expect(JSON.parse(request!.body.toString())).toMatchObject({
      type: 'job.completed',
      data: { id: jobId, status: 'completed' },
    });
    // No second delivery of the same event comes later.
    await waitFor(
      async () => {
        const r = await call('GET', `/v1/jobs/${jobId}/webhooks`);
        return r.json.data.length === 1 && r.json.data[0].success === true;
      },
      { what: 'one successful attempt recorded' },
    );
    expect(receiver.requests).toHaveLength(1);
  });
});
