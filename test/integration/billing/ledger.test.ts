import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mxZones, startDnsServer, type DnsServer } from '../../support/dns-server.ts';
import { api, startHarness, waitFor, type Harness } from '../../support/harness.ts';
import { admin, dropCounters } from '../limits/helpers.ts';

let h: Harness;
let dns: DnsServer;

beforeAll(async () => {
  dns = await startDnsServer({
    ...mxZones({ 'example.com': '127.0.0.2' }),
    'gone.test': { nxdomain: true },
  });
  // Workers start later in the test, so a job can be deleted before any of it is processed.
  h = await startHarness({ DNS_SERVERS: dns.address });
});
afterAll(async () => {
  if (h) await dropCounters(h);
  await h?.close();
  await dns?.close();
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

    // A job that runs to the end: unknown verdicts are refunded when it settles.
    h.startWorkers();
    const job = await call('POST', '/v1/jobs', {
      emails: ['a@example.com', 'b@gone.test', 'c@example.com', 'a@example.com', 'bad'],
    });
    expect(job.json.credits_reserved).toBe(3);
    const done = await waitFor(
      async () => {
        const r = await call('GET', `/v1/jobs/${job.json.id}`);
        return r.json.status === 'completed' ? r.json : null;
      },
      { what: 'the job to complete' },
    );
    expect(done.credits_charged).toBe(3 - done.counts.unknown);

    // Synchronous validation: charged up front, unknowns refunded.
    const sync = await call('POST', '/v1/validate/batch', {
      emails: ['d@example.com', 'e@gone.test'],
      quick_mode: true,
    });
    expect(sync.status).toBe(200);

    // An operator top-up.
    expect(
      (await admin(h)('POST', `/admin/accounts/${acct.id}/credits`, { amount: 5 })).json,
    ).toEqual({
      balance: sync.json.remaining_credits + 5,
    });

    const prisma = h.deps.db.prisma;
    const account = await prisma.account.findUniqueOrThrow({ where: { id: acct.id } });
    const lines = await prisma.creditLedger.findMany({
      where: { accountId: acct.id },
      orderBy: { id: 'asc' },
    });
    let running = 0;
    for (const line of lines) {
      running += line.amount;
      expect(line.balanceAfter).toBe(running);
    }
    expect(running).toBe(account.creditBalance);
    expect(new Set(lines.map((l) => l.kind))).toEqual(
      new Set(['topup', 'reserve', 'refund', 'charge']),
    );

    // Per job: what was reserved, less what was refunded, is what the job resource says it charged.
    for (const j of [
      { id: dropped.json.id as string, charged: 0 },
      { id: job.json.id as string, charged: done.credits_charged as number },
    ]) {
      const net = lines.filter((l) => l.jobId === j.id).reduce((sum, l) => sum + l.amount, 0);
      expect(net + j.charged).toBe(0);
    }
    const syncUnknown = (sync.json.results as { status: string }[]).filter(
      (r) => r.status === 'unknown',
    ).length;
    expect(lines.filter((l) => l.jobId === null).map((l) => [l.kind, l.amount])).toEqual([
      ['topup', 20],
      ['charge', -2],
      ...(syncUnknown ? [['refund', syncUnknown]] : []),
      ['topup', 5],
    ]);
  });
});
