import { describe, expect, it } from 'vitest';
import { mxZones, startDnsServer } from '../../support/dns-server.ts';
import { api, useHarness } from '../../support/harness.ts';
import { useResource } from '../../support/use-resource.ts';
import { dropCounters, stateOf } from '../../support/limits.ts';

// Live keys resolve for real, against this server only: gone.test does not exist.
const dns = useResource(() =>
  startDnsServer({
    ...mxZones({ 'example.com': '127.0.0.2' }),
    'gone.test': { nxdomain: true },
  }),
);
const h = useHarness(() => ({ DNS_SERVERS: dns.address }), { beforeClose: dropCounters });

const RESULT_KEYS = [
  'checks',
  'did_you_mean',
  'duplicate_of',
  'duration_ms',
  'email',
  'index',
  'normalized',
  'reason',
  'status',
];
const ledgerOf = (accountId: string) =>
  h.deps.db.prisma.creditLedger
    .findMany({ where: { accountId }, orderBy: { id: 'asc' } })
    .then((lines) => lines.map((l) => [l.kind, l.amount]));

describe('POST /v1/validate', () => {
  it('when a live key validates an address, then 200 gives the job result shape and the balance after the charge', async () => {
    const acct = await h.account('growth', 5);
    const res = await api(h.url, acct.live)('POST', '/v1/validate', {
      email: ' someone@Example.COM',
      quick_mode: true,
    });
    expect(res.status).toBe(200);
    expect(Object.keys(res.json).sort()).toEqual(['remaining_credits', 'result']);
    expect(Object.keys(res.json.result).sort()).toEqual(RESULT_KEYS);
    expect(res.json.result).toMatchObject({
      index: 0,
      email: ' someone@Example.COM',
      normalized: 'someone@example.com',
      duplicate_of: null,
    });
    expect(res.json.result.checks).toMatchObject({ syntax: true, domain: 'example.com' });
    expect(res.json.result.checks.smtp).toBeNull();

    // growth has no SMTP probe: example.com has MX here, so the address is deliverable.
    expect(res.json.result).toMatchObject({ status: 'deliverable', reason: 'accepted_email' });
    expect(res.json.remaining_credits).toBe(4);
    expect(await stateOf(h, acct.id)).toMatchObject({
      balance: 4,
      ledgerSum: 4,
      quotaMonth: 1,
      emailsToday: 1,
    });
    expect((await api(h.url, acct.live)('GET', '/v1/account')).json.usage).toMatchObject({
      today: 1,
      month: 1,
    });
  });

  it('when the address is not valid syntax, then it is undeliverable / invalid_syntax and costs nothing', async () => {
    const acct = await h.account('growth', 5);
    const res = await api(h.url, acct.live)('POST', '/v1/validate', { email: 'not an address' });
    expect(res.status).toBe(200);
    expect(res.json.result).toMatchObject({
      status: 'undeliverable',
      reason: 'invalid_syntax',
      normalized: null,
    });
    expect(res.json.remaining_credits).toBe(5);
    expect(await ledgerOf(acct.id)).toEqual([['topup', 5]]);
  });

  it('when a test key validates, then the verdict is simulated and no credit, quota or ledger line is used', async () => {
    const acct = await h.account('free', 2);
    const call = api(h.url, acct.test);
    for (const [local, status] of [
      ['deliverable', 'deliverable'],
      ['undeliverable', 'undeliverable'],
      ['risky', 'risky'],
      ['unknown', 'unknown'],
    ]) {
      const res = await call('POST', '/v1/validate', { email: `${local}@anything.example` });
      expect({
        status: res.status,
        verdict: res.json.result.status,
        credits: res.json.remaining_credits,
      }).toEqual({ status: 200, verdict: status, credits: 2 });
    }
    expect(await ledgerOf(acct.id)).toEqual([['topup', 2]]);
    expect((await call('GET', '/v1/account')).json.usage).toMatchObject({
      month: 0,
      test_today: 4,
    });
  });
});

describe('POST /v1/validate/batch', () => {
  it('when a batch holds duplicates, invalid syntax and unknowns, then only unique valid non-unknown addresses stay charged', async () => {
    const acct = await h.account('growth', 10);
    const emails = ['a@example.com', 'b@gone.test', ' a@EXAMPLE.com', 'nope', 'c@example.com'];
    const res = await api(h.url, acct.live)('POST', '/v1/validate/batch', {
      emails,
      quick_mode: true,
    });
    expect(res.status).toBe(200);
    expect(Object.keys(res.json).sort()).toEqual(['remaining_credits', 'results']);
    const results = res.json.results as {
      index: number;
      email: string;
      status: string;
      reason: string;
      duplicate_of: number | null;
      duration_ms: number;
    }[];
    expect(results.map((r) => [r.index, r.email, r.duplicate_of])).toEqual([
      [0, 'a@example.com', null],
      [1, 'b@gone.test', null],
      [2, ' a@EXAMPLE.com', 0],
      [3, 'nope', null],
      [4, 'c@example.com', null],
    ]);
    for (const r of results) expect(Object.keys(r).sort()).toEqual(RESULT_KEYS);
    expect(results[1]).toMatchObject({ status: 'undeliverable', reason: 'invalid_domain' });
    expect(results[2]).toMatchObject({
      status: results[0]!.status,
      reason: results[0]!.reason,
      duration_ms: 0,
    });
    expect(results[3]).toMatchObject({ status: 'undeliverable', reason: 'invalid_syntax' });

    // 3 unique valid addresses charged up front, none unknown here (ledger.test.ts and
    // sync-refund-failure.test.ts have the refund of unknown verdicts).
    expect([results[0]!.status, results[4]!.status]).toEqual(['deliverable', 'deliverable']);
    expect(res.json.remaining_credits).toBe(7);
    expect(await ledgerOf(acct.id)).toEqual([
      ['topup', 10],
      ['charge', -3],
    ]);
    expect((await api(h.url, acct.live)('GET', '/v1/account')).json.usage.month).toBe(3);
  });
});

describe('GET /v1/account', () => {
  it('describes the account, its wallet, its usage and the presented key', async () => {
    const acct = await h.account('hobby', 42);
    const res = await api(h.url, acct.test)('GET', '/v1/account');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      id: acct.id,
      name: expect.any(String),
      plan: 'hobby',
      remaining_credits: 42,
      usage: {
        today: 0,
        month: 0,
        monthly_quota: 1_000,
        requests_today: 1,
        requests_per_day: 10_000,
        test_today: 0,
        test_daily_limit: 100,
      },
      key: {
        id: expect.stringMatching(/^key_/),
        mode: 'test',
        scopes: ['validate:read', 'validate:write'],
        expires_at: null,
      },
      features: { smtp: false },
    });
  });
});

describe('GET /v1/enrichment', () => {
  it('when the address was never validated, then 200 not_found and nothing is charged', async () => {
    const acct = await h.account('growth', 7);
    const res = await api(h.url, acct.live)('GET', '/v1/enrichment?email=never@example.com');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      success: true,
      status: 'not_found',
      message: 'Email not found',
      remaining_credits: 7,
    });
    expect(await ledgerOf(acct.id)).toEqual([['topup', 7]]);
  });

  it('when the address was validated, then its latest verdict and the domain facts come back, free, for this account and mode only', async () => {
    const acct = await h.account('growth', 7);
    const call = api(h.url, acct.live);
    await call('POST', '/v1/validate/batch', {
      emails: ['known@example.com', 'other@example.com'],
      quick_mode: true,
    });
    const balance = (await stateOf(h, acct.id)).balance;

    const res = await call(
      'GET',
      `/v1/enrichment?email=${encodeURIComponent(' known@EXAMPLE.com')}`,
    );
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      success: true,
      status: 'found',
      email: 'known@example.com',
      result: { source: 'validate', checks: { domain: 'example.com' } },
      domain: { name: 'example.com' },
      remaining_credits: balance,
    });
    const counts = res.json.domain.known_addresses as Record<string, number>;
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(2);
    expect((await stateOf(h, acct.id)).balance).toBe(balance);

    // Another account, and this account's test key, know nothing of it.
    const stranger = await h.account('growth', 1);
    expect(
      (await api(h.url, stranger.live)('GET', '/v1/enrichment?email=known@example.com')).json
        .status,
    ).toBe('not_found');
    expect(
      (await api(h.url, acct.test)('GET', '/v1/enrichment?email=known@example.com')).json.status,
    ).toBe('not_found');
  });
});
