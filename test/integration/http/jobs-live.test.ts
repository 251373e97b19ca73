import { describe, expect, it } from 'vitest';
import { startMailWorld } from '../../support/mail-world.ts';
import { api, csvForm, jobWhen, useHarness, useAccount } from '../../support/harness.ts';
import { useResource } from '../../support/use-resource.ts';

// A live job end to end: real DNS and SMTP servers on loopback, real workers, real verdicts.

const mail = useResource(() =>
  startMailWorld(
    [
      { host: '127.0.0.61', behaviour: { knownUsers: ['alice', 'bob'] } },
      { host: '127.0.0.62', behaviour: { acceptAll: true } },
    ],
    { 'good.test': '127.0.0.61', 'catch.test': '127.0.0.62' },
    { 'gone.test': { nxdomain: true } },
  ),
);
const h = useHarness(() => ({ ...mail.env, SMTP_TIMEOUT_MS: '5000' }), { workers: true });
const acct = useAccount(h, 'business', 100);

describe('a live job against real mail servers', () => {
  it('when a CSV is verified for real, then each row gets the verdict its server gave, and unknowns are refunded', async () => {
    const call = api(h.url, acct.live);
    const csv = [
      'email,first',
      'alice@good.test,Alice',
      'carol@good.test,Carol',
      'anyone@catch.test,Any',
      'someone@gone.test,Some',
      'bob@GOOD.test,Bob',
      'Alice@good.test,Dup?',
      'alice@good.test,Dup',
      'bad address,Bad',
    ].join('\n');
    const created = await call('POST', '/v1/jobs', csvForm(csv, { smtp: 'true' }));
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ total: 8, unique: 7, credits_reserved: 6 });
    const done = await jobWhen(call, created.json.id, 'completed', 60_000);

    const results = (await call('GET', `/v1/jobs/${created.json.id}/results`)).json.data;
    const verdicts = results.map((r: any) => [r.email, r.status, r.reason]);
    expect(verdicts).toEqual([
      ['alice@good.test', 'deliverable', 'accepted_email'],
      ['carol@good.test', 'undeliverable', 'rejected_email'],
      ['anyone@catch.test', 'risky', 'catch_all'],
      ['someone@gone.test', 'undeliverable', 'invalid_domain'],
      ['bob@GOOD.test', 'deliverable', 'accepted_email'],
      // The local part keeps its case, so this is not a duplicate (RFC 5321 2.4); the server,
      // like most, matches mailboxes without regard to case.
      ['Alice@good.test', 'deliverable', 'accepted_email'],
      ['alice@good.test', 'deliverable', 'accepted_email'],
      ['bad address', 'undeliverable', 'invalid_syntax'],
    ]);
    expect(results[6].duplicate_of).toBe(0);
    expect(results[0].checks).toMatchObject({ syntax: true, domain: 'good.test', mx_found: true });
    expect(results[0].checks.smtp.code).toBe(250);
    expect(results[1].checks.smtp).toMatchObject({ code: 550, enhanced_code: '5.1.1' });
    expect(mail.smtp.servers[0]!.dataCommands).toBe(0);

    expect(done.counts).toEqual({ deliverable: 4, undeliverable: 3, risky: 1, unknown: 0 });
    expect(done.credits_charged).toBe(6);
    const account = await h.deps.db.prisma.account.findUniqueOrThrow({ where: { id: acct.id } });
    expect(account.creditBalance).toBe(100 - 6);
  });
});
