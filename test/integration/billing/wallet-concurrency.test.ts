import { describe, expect, it } from 'vitest';
import { mxZones, startDnsServer } from '../../support/dns-server.ts';
import { api, useHarness } from '../../support/harness.ts';
import { useResource } from '../../support/use-resource.ts';
import { dropCounters } from '../../support/limits.ts';

const dns = useResource(() => startDnsServer(mxZones({ 'example.com': '127.0.0.2' })));
const h = useHarness(() => ({ DNS_SERVERS: dns.address }), { beforeClose: dropCounters });

/** The ledger explains the balance: its lines sum to it, and each line's balance_after is the running sum. */
async function expectLedgerExplainsBalance(accountId: string) {
  const prisma = h.deps.db.prisma;
  const account = await prisma.account.findUniqueOrThrow({ where: { id: accountId } });
  const lines = await prisma.creditLedger.findMany({
    where: { accountId },
    orderBy: { id: 'asc' },
  });
  let running = 0;
  for (const line of lines) {
    running += line.amount;
    expect(line.balanceAfter).toBe(running);
    expect(line.balanceAfter).toBeGreaterThanOrEqual(0);
  }
  expect(running).toBe(account.creditBalance);
  return { balance: account.creditBalance, lines };
}

describe('the wallet under concurrency', () => {
  it('when 100 jobs are created at once with credits for 10, then exactly 10 get 201, 90 get 402, and the balance never goes negative', async () => {
    const acct = await h.account('growth', 30);
    // 3 billable addresses each (the duplicate is free).
    const body = (i: number) => ({
      emails: [`a${i}@example.com`, `b${i}@example.com`, `c${i}@example.com`, `a${i}@example.com`],
    });
    const replies = await Promise.all(
      Array.from({ length: 100 }, (_, i) => api(h.url, acct.live)('POST', '/v1/jobs', body(i))),
    );

    const created = replies.filter((r) => r.status === 201);
    const refused = replies.filter((r) => r.status === 402);
    expect({ created: created.length, refused: refused.length }).toEqual({
      created: 10,
      refused: 90,
    });
    for (const r of refused) {
      expect(r.json.error.code).toBe('INSUFFICIENT_CREDITS');
      expect(r.json.error.details.required).toBe(3);
      expect(r.json.error.details.balance).toBeGreaterThanOrEqual(0);
      expect(r.json.error.details.balance).toBeLessThan(3);
    }
    expect(created.every((r) => r.json.credits_reserved === 3)).toBe(true);

    const { balance, lines } = await expectLedgerExplainsBalance(acct.id);
    expect(balance).toBe(0);
    expect(lines.map((l) => l.kind).sort()).toEqual(['topup', ...Array(10).fill('reserve')].sort());
    expect(await h.deps.db.prisma.job.count({ where: { accountId: acct.id } })).toBe(10);
    // The quota counts only what the 10 jobs took: the 90 refused gave theirs back.
    expect((await api(h.url, acct.live)('GET', '/v1/account')).json.usage.month).toBe(30);
  });

  it('when 40 sync validations race for credits that cover 10, then exactly 10 are answered and the ledger explains the balance', async () => {
    const acct = await h.account('growth', 10);
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        api(h.url, acct.live)('POST', '/v1/validate', {
          email: `sync${i}@example.com`,
          quick_mode: true,
        }),
      ),
    );
    const answered = replies.filter((r) => r.status === 200);
    expect(answered).toHaveLength(10);
    expect(replies.filter((r) => r.status === 402)).toHaveLength(30);
    const { balance, lines } = await expectLedgerExplainsBalance(acct.id);
    // Unknown verdicts are refunded; everything else stays charged.
    const unknown = answered.filter((r) => r.json.result.status === 'unknown').length;
    expect(balance).toBe(unknown);
    expect(lines.filter((l) => l.kind === 'charge')).toHaveLength(10);
  });
});
