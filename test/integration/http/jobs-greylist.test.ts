import { describe, expect, it } from 'vitest';
import { startMailWorld } from '../../support/mail-world.ts';
import { api, jobWhen, useHarness, useAccount } from '../../support/harness.ts';
import { useResource } from '../../support/use-resource.ts';

// 4xx answers in a job: the address is tried again later (SMTP_RETRY_ATTEMPTS after
// SMTP_RETRY_DELAY_MS each), and keeps a temporary verdict only if every try was temporary.

const mail = useResource(() =>
  startMailWorld(
    [
      { host: '127.0.0.81', behaviour: { greylist: true, knownUsers: ['ann', 'ben'] } },
      {
        host: '127.0.0.82',
        behaviour: {
          rcpt: () => ({ code: 450, message: '4.7.1 Greylisted, please try again later' }),
        },
      },
      // A catch-all that greylists every new recipient once, the catch-all probe's too.
      { host: '127.0.0.83', behaviour: { greylist: true, acceptAll: true } },
    ],
    { 'grey.test': '127.0.0.81', 'always.test': '127.0.0.82', 'greyall.test': '127.0.0.83' },
  ),
);
const h = useHarness(
  () => ({ ...mail.env, SMTP_RETRY_ATTEMPTS: '2', SMTP_RETRY_DELAY_MS: '300' }),
  { workers: true },
);
const acct = useAccount(h, 'business', 100);

describe('temporary answers in a job', () => {
  it('when a server greylists first tries, then the job tries again and keeps the final answer; a server that always defers ends unknown/greylisted', async () => {
    const call = api(h.url, acct.live);
    const emails = ['ann@grey.test', 'ben@grey.test', 'zed@grey.test', 'x@always.test'];
    const created = await call('POST', '/v1/jobs', { emails, smtp: true });
    expect(created.status).toBe(201);
    const done = await jobWhen(call, created.json.id, 'completed', 60_000);
    const results = (await call('GET', `/v1/jobs/${created.json.id}/results`)).json.data;
    expect(results.map((r: any) => [r.email, r.status, r.reason])).toEqual([
      ['ann@grey.test', 'deliverable', 'accepted_email'],
      ['ben@grey.test', 'deliverable', 'accepted_email'],
      ['zed@grey.test', 'undeliverable', 'rejected_email'],
      ['x@always.test', 'unknown', 'greylisted'],
    ]);
    // Once, then SMTP_RETRY_ATTEMPTS more times.
    expect(mail.smtp.servers[1]!.rcpts.filter((r) => r === 'x@always.test')).toHaveLength(3);
    expect(mail.smtp.servers[0]!.rcpts.filter((r) => r === 'ann@grey.test')).toHaveLength(2);
    // Unknown is refunded.
    expect(done.credits_charged).toBe(3);
  });

  it('when a catch-all server greylists every new recipient, then the later try still finds it catch-all', async () => {
    const call = api(h.url, acct.live);
    const created = await call('POST', '/v1/jobs', { emails: ['anyone@greyall.test'], smtp: true });
    expect(created.status).toBe(201);
    await jobWhen(call, created.json.id, 'completed', 60_000);
    const [result] = (await call('GET', `/v1/jobs/${created.json.id}/results`)).json.data;
    expect(result).toMatchObject({ status: 'risky', reason: 'catch_all' });
    expect(result.checks.catch_all).toBe(true);
    // The probe address was asked on both tries: the same one, so the greylist let it through.
    const probes = mail.smtp.servers[2]!.rcpts.filter((r) => r !== 'anyone@greyall.test');
    expect(probes).toHaveLength(2);
    expect(new Set(probes).size).toBe(1);
  });
});
