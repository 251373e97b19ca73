import { expect } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { api, waitFor } from './harness.ts';
import type { ReceivedRequest } from './webhook-receiver.ts';

/** Fast retries so a schedule of several attempts runs in a second or two. */
export const FAST_WEBHOOKS = {
  WEBHOOK_ALLOW_PRIVATE: 'true',
  WEBHOOK_BACKOFF_BASE_MS: '100',
  WEBHOOK_MAX_ATTEMPTS: '4',
  WEBHOOK_TIMEOUT_MS: '700',
  TEST_DAILY_LIMIT: '1000000',
};

type Call = ReturnType<typeof api>;

/** Creates a job (test key: simulated verdicts, done in moments) that calls `webhookUrl` when it ends. */
export async function createJobWithWebhook(
  call: Call,
  webhookUrl: string,
  emails = ['deliverable@example.com'],
) {
  const created = await call('POST', '/v1/jobs', { emails, webhook_url: webhookUrl });
  expect(created.status, created.text).toBe(201);
  return created.json.id as string;
}

/** Polls GET /v1/jobs/{id}/webhooks until `done(attempts)` holds. */
export async function attemptsWhen(
  call: Call,
  jobId: string,
  done: (a: any[]) => boolean,
  what: string,
) {
  return waitFor(
    async () => {
      const r = await call('GET', `/v1/jobs/${jobId}/webhooks`);
      expect(r.status).toBe(200);
      return done(r.json.data) ? (r.json.data as any[]) : null;
    },
    { what, timeoutMs: 40_000 },
  );
}

export const delivered = (a: any[]) => a.some((x) => x.success);
export const settled = (a: any[]) => a.length > 0 && a[a.length - 1].next_retry_at === null;

/** Verifies a received request with the standardwebhooks package and returns the parsed event. */
export function verifyWith(secret: string, req: ReceivedRequest): any {
  return new Webhook(secret).verify(
    req.body.toString('utf8'),
    req.headers as Record<string, string>,
  );
}
