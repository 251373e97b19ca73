import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api, useAccount, useHarness } from '../../support/harness.ts';
import { startReceiver, type Receiver, type Reply } from '../../support/webhook-receiver.ts';
import {
  attemptsWhen,
  createJobWithWebhook,
  delivered,
  FAST_WEBHOOKS,
  settled,
  verifyWith,
} from '../../support/webhooks.ts';

const h = useHarness(FAST_WEBHOOKS, { workers: true });
const acct = useAccount(h, 'business', 1000);
const receivers: Receiver[] = [];

async function receiver(script?: (n: number) => Reply) {
  const r = await startReceiver(script);
  receivers.push(r);
  return r;
}

let call: ReturnType<typeof api>;
beforeAll(() => {
  call = api(h.url, acct.test);
});

afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

describe('webhook delivery when a job ends', () => {
  it('when the receiver answers 500 twice, then the third attempt delivers, all three are listed, and every request is the same signed event', async () => {
    const r = await receiver((n) => ({ status: n < 2 ? 500 : 200 }));
    const jobId = await createJobWithWebhook(call, `${r.url}/hooks/mailsift?src=test`);

    const attempts = await attemptsWhen(call, jobId, delivered, 'delivery on the third attempt');
    expect(attempts.map((a) => [a.attempt, a.status_code, a.success, a.error])).toEqual([
      [1, 500, false, null],
      [2, 500, false, null],
      [3, 200, true, null],
    ]);
    const eventId = attempts[0].event_id;
    for (const a of attempts) {
      expect(a).toMatchObject({
        object: 'webhook_attempt',
        event_id: eventId,
        event_type: 'job.completed',
        url: `${r.url}/hooks/mailsift?src=test`,
      });
      expect(a.id).toMatch(/^wha_/);
      expect(a.duration_ms).toBeGreaterThanOrEqual(0);
      expect(Date.parse(a.attempted_at)).not.toBeNaN();
    }
    expect(attempts[0].next_retry_at).not.toBeNull();
    expect(Date.parse(attempts[0].next_retry_at)).toBeGreaterThan(
      Date.parse(attempts[0].attempted_at),
    );
    expect(attempts[2].next_retry_at).toBeNull();

    const requests = await r.waitForRequests(3);
    expect(r.requests).toHaveLength(3);
    expect(new Set(requests.map((q) => q.headers['webhook-id']))).toEqual(new Set([eventId]));
    expect(new Set(requests.map((q) => q.body.toString('hex'))).size).toBe(1);
    for (const q of requests) {
      expect(q.method).toBe('POST');
      expect(q.path).toBe('/hooks/mailsift?src=test');
      expect(q.headers['content-type']).toBe('application/json');
      expect(Number(q.headers['webhook-timestamp'])).toBeCloseTo(Date.now() / 1000, -2);
      verifyWith(acct.webhookSecret, q);
    }
    const event = verifyWith(acct.webhookSecret, requests[2]!);
    const job = await call('GET', `/v1/jobs/${jobId}`);
    expect(event).toEqual({
      id: eventId,
      type: 'job.completed',
      created_at: expect.any(String),
      data: job.json,
    });
    expect(event.id).toMatch(/^evt_/);
    expect(event.data).toMatchObject({ id: jobId, status: 'completed', processed: 1 });
  });

  it('when the receiver is down (port closed) and comes back, then a later attempt delivers', async () => {
    const r = await receiver();
    await r.stop();
    const jobId = await createJobWithWebhook(call, `${r.url}/cb`);
    const first = await attemptsWhen(call, jobId, (a) => a.length >= 1, 'a refused connection');
    expect(first[0]).toMatchObject({ attempt: 1, status_code: null, success: false });
    expect(first[0].error).toMatch(/^connection refused/);
    expect(first[0].error).not.toContain('127.0.0.1');

    await r.start();
    const attempts = await attemptsWhen(
      call,
      jobId,
      delivered,
      'delivery once the receiver is back',
    );
    expect(attempts.at(-1)).toMatchObject({ status_code: 200, success: true, next_retry_at: null });
    expect(r.requests).toHaveLength(1);
  });

  it('when the receiver hangs, then the attempt is recorded as a timeout and the next one delivers', async () => {
    const r = await receiver((n) => (n === 0 ? 'hang' : { status: 204 }));
    const jobId = await createJobWithWebhook(call, `${r.url}/slow`);
    const attempts = await attemptsWhen(call, jobId, delivered, 'delivery after a timeout');
    expect(attempts[0]).toMatchObject({
      attempt: 1,
      status_code: null,
      success: false,
      error: 'timeout after 700 ms',
    });
    expect(attempts[0].duration_ms).toBeGreaterThanOrEqual(650);
    expect(attempts[0].duration_ms).toBeLessThan(5000);
    expect(attempts[1]).toMatchObject({ attempt: 2, status_code: 204, success: true });
  });

  it('when the receiver redirects, then the 3xx counts as a failure and the redirect is never followed', async () => {
    const elsewhere = await receiver();
    const r = await receiver((n) =>
      n === 0 ? { status: 302, headers: { location: `${elsewhere.url}/stolen` } } : { status: 200 },
    );
    const jobId = await createJobWithWebhook(call, `${r.url}/cb`);
    const attempts = await attemptsWhen(call, jobId, delivered, 'delivery after a redirect');
    expect(attempts.map((a) => [a.status_code, a.success, a.error])).toEqual([
      [302, false, 'redirect not followed'],
      [200, true, null],
    ]);
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('when the receiver answers 410 Gone, then retries stop after that attempt', async () => {
    const r = await receiver(() => ({ status: 410 }));
    const jobId = await createJobWithWebhook(call, `${r.url}/gone`);
    const attempts = await attemptsWhen(call, jobId, settled, 'the 410 to settle the event');
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({
      status_code: 410,
      success: false,
      error: 'gone: no more retries',
      next_retry_at: null,
    });
    const event = await h.deps.db.prisma.webhookEvent.findUniqueOrThrow({ where: { jobId } });
    expect(event).toMatchObject({ status: 'failed', attempts: 1, nextAttemptAt: null });
    const queued = await h.deps.queues
      .queue('webhooks')
      .getJobCounts('waiting', 'delayed', 'active', 'prioritized');
    expect(Object.values(queued).every((n) => n === 0)).toBe(true);
    expect(r.requests).toHaveLength(1);
  });

  it('when every attempt fails, then it stops after WEBHOOK_MAX_ATTEMPTS and the event is failed', async () => {
    const r = await receiver(() => ({ status: 502 }));
    const jobId = await createJobWithWebhook(call, `${r.url}/down`);
    const attempts = await attemptsWhen(call, jobId, settled, 'the attempts to run out');
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
    expect(attempts.map((a) => a.next_retry_at === null)).toEqual([false, false, false, true]);
    const event = await h.deps.db.prisma.webhookEvent.findUniqueOrThrow({ where: { jobId } });
    expect(event.status).toBe('failed');
    // Exponential: each gap is longer than the one before (base 100 ms, x4, jitter 20 %).
    const at = attempts.map((a) => Date.parse(a.attempted_at));
    expect(at[3]! - at[2]!).toBeGreaterThan(at[2]! - at[1]!);
    expect(at[2]! - at[1]!).toBeGreaterThan(at[1]! - at[0]!);
  });

  it('when the receiver answers 429 with Retry-After, then the next attempt waits that long', async () => {
    const r = await receiver((n) =>
      n === 0 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 },
    );
    const jobId = await createJobWithWebhook(call, `${r.url}/busy`);
    const attempts = await attemptsWhen(call, jobId, delivered, 'delivery after Retry-After');
    expect(attempts.map((a) => [a.status_code, a.success])).toEqual([
      [429, false],
      [200, true],
    ]);
    const planned = Date.parse(attempts[0].next_retry_at) - Date.parse(attempts[0].attempted_at);
    expect(planned).toBeGreaterThanOrEqual(2000);
    expect(planned).toBeLessThan(2000 + 1000);
    const [first, second] = await r.waitForRequests(2);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(2000);
  });

  it('when a job has no webhook_url, then nothing is sent and the list is empty', async () => {
    const created = await call('POST', '/v1/jobs', { emails: ['deliverable@example.com'] });
    const job = await attemptsWhen(call, created.json.id, () => true, 'the list');
    expect(job).toEqual([]);
  });
});

describe('GET /v1/jobs/{id}/webhooks', () => {
  it("when the job is another account's, then it is 404 exactly like a missing one", async () => {
    const r = await receiver();
    const jobId = await createJobWithWebhook(call, `${r.url}/cb`);
    await attemptsWhen(call, jobId, delivered, 'delivery');
    const other = await h.account('business', 10);
    const theirs = await api(h.url, other.live)('GET', `/v1/jobs/${jobId}/webhooks`);
    const missing = await api(h.url, other.live)(
      'GET',
      '/v1/jobs/job_doesnotexist00000000000/webhooks',
    );
    expect(theirs.status).toBe(404);
    expect(missing.status).toBe(404);
    // The same answer but for the request id, which is each response's own.
    expect({ ...theirs.json.error, request_id: 'x' }).toEqual({
      ...missing.json.error,
      request_id: 'x',
    });
  });

  it('when the key lacks validate:read, then it is 403 INSUFFICIENT_SCOPE', async () => {
    const key = await api(h.url)(
      'POST',
      `/admin/accounts/${acct.id}/keys`,
      { mode: 'test', scopes: ['validate:write'] },
      {
        authorization: 'Bearer test-admin-token-0123456789',
      },
    );
    expect(key.status).toBe(201);
    const r = await api(h.url, key.json.key)('GET', '/v1/jobs/job_x/webhooks');
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe('INSUFFICIENT_SCOPE');
  });
});
