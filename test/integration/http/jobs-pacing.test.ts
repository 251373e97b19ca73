import { describe, expect, it } from 'vitest';
import { namedMxZones } from '../../support/dns-server.ts';
import { startMailWorld } from '../../support/mail-world.ts';
import { api, jobWhen, useHarness, useAccount } from '../../support/harness.ts';
import { useResource } from '../../support/use-resource.ts';

// Pacing per provider in a job: Google answers the first probe with a throttling 421; every
// chunk of the job (and the retry of the throttled one) waits for the fleet-wide pause, spends
// no retry attempt on it, and then gets its real verdict.
const PAUSE_MS = 1500;
const rcptAt: { address: string; at: number; code: number }[] = [];

const mail = useResource(() =>
  startMailWorld(
    [
      {
        host: '127.0.0.67',
        behaviour: {
          rcpt: (address, ctx) => {
            const reply =
              ctx.session === 1
                ? {
                    code: 421,
                    message:
                      '4.7.28 Gmail has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail has been temporarily rate limited.',
                  }
                : /^(ann|bob|cat|dan)@/.test(address)
                  ? { code: 250, message: '2.1.5 OK' }
                  : {
                      code: 550,
                      message: '5.1.1 The email account that you tried to reach does not exist.',
                    };
            rcptAt.push({ address, at: Date.now(), code: reply.code });
            return reply;
          },
        },
      },
    ],
    {},
    namedMxZones({
      'pa.test': ['aspmx.l.google.com', '127.0.0.67'],
      'pb.test': ['alt1.aspmx.l.google.com', '127.0.0.67'],
      'pc.test': ['alt2.aspmx.l.google.com', '127.0.0.67'],
    }),
  ),
);
const h = useHarness(
  () => ({
    ...mail.env,
    SMTP_RETRY_ATTEMPTS: '1',
    SMTP_RETRY_DELAY_MS: '200',
    SMTP_PACING_BASE_MS: String(PAUSE_MS),
    CHUNK_SIZE: '2',
    // One chunk at a time: each later chunk finds the pause the first one caused.
    WORKER_CONCURRENCY: '1',
  }),
  { workers: true },
);
const acct = useAccount(h, 'business', 100);

describe('a provider that throttles a job', () => {
  it('when Google answers 421 4.7.28, then every chunk waits for the pause and no address is lost', async () => {
    const call = api(h.url, acct.live);
    const emails = ['ann@pa.test', 'zed@pa.test', 'bob@pb.test', 'cat@pc.test', 'dan@pc.test'];
    const created = await call('POST', '/v1/jobs', { emails, smtp: true });
    expect(created.status).toBe(201);
    const done = await jobWhen(call, created.json.id, 'completed', 60_000);
    const results = (await call('GET', `/v1/jobs/${created.json.id}/results`)).json.data;
    expect(results.map((r: any) => [r.email, r.status, r.reason, r.checks.provider])).toEqual([
      ['ann@pa.test', 'deliverable', 'accepted_email', 'google'],
      ['zed@pa.test', 'undeliverable', 'rejected_email', 'google'],
      ['bob@pb.test', 'deliverable', 'accepted_email', 'google'],
      ['cat@pc.test', 'deliverable', 'accepted_email', 'google'],
      ['dan@pc.test', 'deliverable', 'accepted_email', 'google'],
    ]);
    // Nothing refunded: every address got a real answer although retries were only 1.
    expect(done.credits_charged).toBe(5);

    // One throttling answer, then nobody knocked until the pause was over.
    const throttled = rcptAt.filter((r) => r.code === 421);
    expect(throttled).toHaveLength(1);
    const after = rcptAt.filter((r) => r.code !== 421);
    expect(after.length).toBeGreaterThanOrEqual(5);
    for (const r of after) expect(r.at - throttled[0]!.at).toBeGreaterThanOrEqual(PAUSE_MS - 20);
    // Each real address was asked once after the pause (ann also before it).
    for (const e of emails) expect(after.filter((r) => r.address === e).length, e).toBe(1);

    const csv = await fetch(`${h.url}/v1/jobs/${created.json.id}/results.csv`, {
      headers: { 'x-api-key': acct.live },
    });
    const [header, first] = (await csv.text()).trimEnd().split('\r\n');
    expect(header).toBe(
      'email,mailsift_status,mailsift_reason,mailsift_did_you_mean,mailsift_normalized,mailsift_duplicate_of,mailsift_provider,mailsift_gateway',
    );
    expect(first).toBe('ann@pa.test,deliverable,accepted_email,,ann@pa.test,,google,');
  });
});
