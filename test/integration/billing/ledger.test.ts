import { describe, expect, it } from 'vitest';
import { mxZones, startDnsServer } from '../../support/dns-server.ts';
import { api, waitFor, useHarness } from '../../support/harness.ts';
import { useResource } from '../../support/use-resource.ts';
import { admin, dropCounters } from '../../support/limits.ts';

const dns = useResource(() =>
  startDnsServer({
    ...mxZones({ 'example.com': '127.0.0.2' }),
    'gone.test': { nxdomain: true },
    // SERVFAIL: a live verdict of `unknown`, for real.
    'broken.test': { servfail: true },
  }),
);
// Workers start later in the test, so a job can be deleted before any of it is processed.
// A SERVFAIL is temporary: no retry, so the job ends with its unknown at once.
const h = useHarness(() => ({ DNS_SERVERS: dns.address, SMTP_RETRY_ATTEMPTS: '0' }), {
  beforeClose: dropCounters,
});

describe('the credit ledger', () => {
  it('when credits move every way there is (top-up, reserve, refund, charge), then the ledger explains the balance line by line', async () => {
    const acct = await h.account('growth', 20);
    const call = api(h.url, acct.live);

    // A job deleted before any work: its whole reservation comes back.
    const dropped = await call('POST', '/v1/jobs', {
      emails: ['x@example.com', 'y@example.com', 'z@example.com'],
    });
    expect(dropped.status).toBe(201);
    expect((await call('DELETE', `/v1/jobs/${dropped.json.id}`)).status).toBe(204);

    // A job that runs to the end: unknown verdicts are refunded when it settles. growth has no
    // SMTP probe: example.com is deliverable, gone.test undeliverable, broken.test unknown.
    h.startWorkers();
    const job = await call('POST', '/v1/jobs', {
      emails: [
        'a@example.com',
        'b@gone.test',
        'c@example.com',
        'a@example.com',
        'bad',
        'd@broken.test',
      ],
    });
    expect(job.json.credits_reserved).toBe(4);
    const done = await waitFor(
      async () => {
        const r = await call('GET', `/v1/jobs/${job.json.id}`);
        return r.json.status === 'completed' ? r.json : null;
      },
      { what: 'the job to complete' },
    );
    // Counts cover every row: the duplicate of a@ and the invalid 'bad' (never reserved) too.
    expect(done.counts).toEqual({ deliverable: 3, undeliverable: 2, risky: 0, unknown: 1 });
    expect(done.credits_charged).toBe(3);

    // Synchronous validation: charged up front, unknowns refunded.
    const sync = await call('POST', '/v1/validate/batch', {
      emails: ['d@example.com', 'e@gone.test', 'f@broken.test'],
      quick_mode: true,
    });
    expect(sync.status).toBe(200);
    expect((sync.json.results as { status: string }[]).map((r) => r.status)).toEqual([
      'deliverable',
      'undeliverable',
      'unknown',
    ]);
    expect(sync.json.remaining_credits).toBe(15);

    // An operator top-up.
    expect(
      (await admin(h)('POST', `/admin/accounts/${acct.id}/credits`, { amount: 5 })).json,
    ).toEqual({ balance: 20 });

    const prisma = h.deps.db.prisma;
    const account = await prisma.account.findUniqueOrThrow({ where: { id: acct.id } });
    expect(account.creditBalance).toBe(20);
    const lines = await prisma.creditLedger.findMany({
      where: { accountId: acct.id },
      orderBy: { id: 'asc' },
    });
    const jobOf = (id: string | null) =>
      id === null ? null : id === dropped.json.id ? 'dropped' : id === job.json.id ? 'job' : id;
    expect(lines.map((l) => [l.kind, l.amount, jobOf(l.jobId), l.balanceAfter])).toEqual([
      ['topup', 20, null, 20],
      ['reserve', -3, 'dropped', 17],
      ['refund', 3, 'dropped', 20],
      ['reserve', -4, 'job', 16],
      ['refund', 1, 'job', 17], // the unknown d@broken.test
      ['charge', -3, null, 14],
      ['refund', 1, null, 15], // the unknown f@broken.test
      ['topup', 5, null, 20],
    ]);
  });
});
