import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { api, type Harness, useHarness, useAccount } from '../../support/harness.ts';
import { useResource } from '../../support/use-resource.ts';
import { spawnWorker, stopProcess } from '../../support/processes.ts';
import { startReceiver } from '../../support/webhook-receiver.ts';
import {
  attemptsWhen,
  createJobWithWebhook,
  FAST_WEBHOOKS,
  settled,
} from '../../support/webhooks.ts';

// Literal IPs in every spelling; URL parsing folds the odd IPv4 ones to 127.0.0.1.
const LITERALS: [name: string, url: (port: number) => string, refusal: RegExp][] = [
  ['127.0.0.1', (p) => `http://127.0.0.1:${p}/hook`, /: loopback address$/],
  ['127.1', (p) => `http://127.1:${p}/hook`, /: loopback address$/],
  ['0x7f000001', (p) => `http://0x7f000001:${p}/hook`, /: loopback address$/],
  ['2130706433', (p) => `http://2130706433:${p}/hook`, /: loopback address$/],
  ['0177.0.0.1', (p) => `http://0177.0.0.1:${p}/hook`, /: loopback address$/],
  [
    '[::ffff:127.0.0.1]',
    (p) => `http://[::ffff:127.0.0.1]:${p}/hook`,
    /: ipv4-mapped loopback address$/,
  ],
  ['[::1]', (p) => `http://[::1]:${p}/hook`, /: loopback address$/],
];

const r = useResource(() => startReceiver());

/** The one refused attempt of a job: recorded, not retried, the event failed, nothing received. */
async function expectRefused(
  h: Harness,
  call: ReturnType<typeof api>,
  jobId: string,
  message: RegExp,
) {
  const attempts = await attemptsWhen(call, jobId, settled, 'the refused attempt');
  expect(attempts).toHaveLength(1);
  expect(attempts[0]).toMatchObject({
    attempt: 1,
    status_code: null,
    success: false,
    next_retry_at: null,
  });
  expect(attempts[0].error).toMatch(/^destination not allowed: /);
  expect(attempts[0].error).toMatch(message);
  const event = await h.deps.db.prisma.webhookEvent.findUniqueOrThrow({ where: { jobId } });
  expect(event.status).toBe('failed');
  expect(r.requests).toHaveLength(0);
}

describe('webhooks to private addresses (WEBHOOK_ALLOW_PRIVATE=false)', () => {
  const h = useHarness({ ...FAST_WEBHOOKS, WEBHOOK_ALLOW_PRIVATE: 'false' }, { workers: true });
  const acct = useAccount(h, 'business', 10);

  it.each(LITERALS)(
    'when a job names a webhook at %s, then it is refused at creation with 400 and nothing is stored',
    async (_name, urlFor) => {
      const call = api(h.url, acct.test);
      const jobsBefore = await h.deps.db.prisma.job.count({ where: { accountId: acct.id } });
      const res = await call('POST', '/v1/jobs', {
        emails: ['a@example.com'],
        webhook_url: urlFor(r.port),
      });
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe('VALIDATION_ERROR');
      expect(res.json.error.details.fields.webhook_url[0]).toMatch(/private, loopback/);
      expect(await h.deps.db.prisma.job.count({ where: { accountId: acct.id } })).toBe(jobsBefore);
    },
  );

  it('when the webhook host is a name that resolves to loopback, then the attempt is refused at send time, recorded, not retried', async () => {
    const call = api(h.url, acct.test);
    const jobId = await createJobWithWebhook(call, `http://localhost:${r.port}/hook`);
    await expectRefused(h, call, jobId, /: host resolves to a loopback address$/);
  });
});

describe('jobs created while private webhooks were allowed, sent by a worker that refuses them', () => {
  let worker: ChildProcess | undefined;
  // The API accepts loopback URLs; the worker (another deployment setting) does not.
  const h = useHarness({ ...FAST_WEBHOOKS, WEBHOOK_ALLOW_PRIVATE: 'true' });
  const acct = useAccount(h, 'business', 10);
  afterAll(async () => {
    if (worker) await stopProcess(worker, 'SIGKILL');
  });

  it('when the worker sends each literal spelling, then every attempt is refused at send time and the receiver gets nothing', async () => {
    const call = api(h.url, acct.test);
    const jobs: [string, RegExp][] = [];
    for (const [, urlFor, refusal] of LITERALS) {
      jobs.push([await createJobWithWebhook(call, urlFor(r.port)), refusal]);
    }
    worker = spawnWorker(h.processEnv({ ...FAST_WEBHOOKS, WEBHOOK_ALLOW_PRIVATE: 'false' }));
    for (const [jobId, refusal] of jobs) await expectRefused(h, call, jobId, refusal);
  });
});
