import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startHarness, type Harness, type TestAccount } from '../../support/harness.ts';
import { startReceiver, type Receiver } from '../../support/webhook-receiver.ts';
import { attemptsWhen, createJobWithWebhook, FAST_WEBHOOKS, settled } from './helpers.ts';

let h: Harness;
let acct: TestAccount;
let r: Receiver;

beforeAll(async () => {
  h = await startHarness({ ...FAST_WEBHOOKS, WEBHOOK_ALLOW_PRIVATE: 'false' }, { workers: true });
  acct = await h.account('business', 10);
  r = await startReceiver();
});
afterAll(async () => {
  await r?.close();
  await h?.close();
});

describe('webhooks to private addresses (WEBHOOK_ALLOW_PRIVATE=false)', () => {
  it.each([
    [
      '127.0.0.1',
      (port: number) => `http://127.0.0.1:${port}/hook`,
      /^destination not allowed: loopback address$/,
    ],
    [
      '127.1',
      (port: number) => `http://127.1:${port}/hook`,
      /^destination not allowed: loopback address$/,
    ],
    [
      '0x7f000001',
      (port: number) => `http://0x7f000001:${port}/hook`,
      /^destination not allowed: loopback address$/,
    ],
    [
      '2130706433',
      (port: number) => `http://2130706433:${port}/hook`,
      /^destination not allowed: loopback address$/,
    ],
    [
      '0177.0.0.1',
      (port: number) => `http://0177.0.0.1:${port}/hook`,
      /^destination not allowed: loopback address$/,
    ],
    [
      '[::ffff:127.0.0.1]',
      (port: number) => `http://[::ffff:127.0.0.1]:${port}/hook`,
      /^destination not allowed: ipv4-mapped loopback address$/,
    ],
    [
      '[::1]',
      (port: number) => `http://[::1]:${port}/hook`,
      /^destination not allowed: loopback address$/,
    ],
    [
      'localhost (by DNS)',
      (port: number) => `http://localhost:${port}/hook`,
      /^destination not allowed: host resolves to a loopback address$/,
    ],
  ])(
    'when the webhook points at %s, then the attempt is refused, recorded, not retried, and the receiver gets nothing',
    async (_name, urlFor, message) => {
      const call = api(h.url, acct.test);
      const jobId = await createJobWithWebhook(call, urlFor(r.port));
      const attempts = await attemptsWhen(call, jobId, settled, 'the refused attempt');
      expect(attempts).toHaveLength(1);
      expect(attempts[0]).toMatchObject({
        attempt: 1,
        status_code: null,
        success: false,
        next_retry_at: null,
      });
      expect(attempts[0].error).toMatch(message);
      const event = await h.deps.db.prisma.webhookEvent.findUniqueOrThrow({ where: { jobId } });
      expect(event.status).toBe('failed');
      expect(r.requests).toHaveLength(0);
    },
  );
});
