import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { limitKeys } from '../../../src/data/limits.store.ts';
import { dayStamp } from '../../../src/domain/limits/calendar.ts';
import { mxZones, startDnsServer } from '../../support/dns-server.ts';
import { api, useHarness } from '../../support/harness.ts';
import { useResource } from '../../support/use-resource.ts';
import { dropCounters, expectError, stateOf } from '../../support/limits.ts';

// Two API processes (two apps, each with its own Redis connection and Postgres pool) sharing
// one deployment prefix, so they share one set of limits, as separate servers would.
const shared = `t${randomBytes(5).toString('hex')}`;
const a = useHarness({ QUEUE_PREFIX: shared }, { beforeClose: dropCounters });
const b = useHarness({ QUEUE_PREFIX: shared });

const nextMidnight = () => {
  const d = new Date();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)).toISOString();
};

describe('the per-minute limit of a key (free plan: 60 a minute)', () => {
  it('when 61 requests are split across two API processes, then exactly 60 pass and one gets RATE_LIMIT_EXCEEDED', async () => {
    const acct = await a.account('free', 0);
    const calls = Array.from({ length: 61 }, (_, i) =>
      // One X-Request-Id for all: a client's id must not let requests count as one.
      api(i % 2 === 0 ? a.url : b.url, acct.live)('GET', '/v1/account', undefined, {
        'x-request-id': 'req-same-for-all',
      }),
    );
    const replies = await Promise.all(calls);
    const ok = replies.filter((r) => r.status === 200);
    const limited = replies.filter((r) => r.status === 429);
    expect({ ok: ok.length, limited: limited.length }).toEqual({ ok: 60, limited: 1 });

    const refused = limited[0]!;
    const retryAfter = refused.json.error.details.retryAfter as number;
    expectError(refused, 429, 'RATE_LIMIT_EXCEEDED', { limit: 60, window: 60, retryAfter });
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get('retry-after')).toBe(String(retryAfter));
    expect(refused.headers.get('x-ratelimit-limit')).toBe('60');
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');

    // Every answer reports the same shared window: remaining counts down 59..0 across both processes.
    const remaining = ok
      .map((r) => Number(r.headers.get('x-ratelimit-remaining')))
      .sort((x, y) => x - y);
    expect(remaining).toEqual(Array.from({ length: 60 }, (_, i) => i));
    const reset = Number(refused.headers.get('x-ratelimit-reset'));
    expect(reset * 1000).toBeGreaterThan(Date.now());
    expect(reset * 1000).toBeLessThanOrEqual(Date.now() + 61_000);
  });

  it('when one key is limited, then another key of the same account still has its own minute', async () => {
    const acct = await a.account('free', 0);
    await Promise.all(
      Array.from({ length: 60 }, () => api(a.url, acct.live)('GET', '/v1/account')),
    );
    expectError(
      await api(b.url, acct.live)('GET', '/v1/account'),
      429,
      'RATE_LIMIT_EXCEEDED',
      expect.anything() as never,
    );
    const other = await api(b.url, acct.test)('GET', '/v1/account');
    expect(other.status).toBe(200);
    expect(other.headers.get('x-ratelimit-remaining')).toBe('59');
  });

  it('every /v1 answer carries X-RateLimit-Limit, -Remaining and -Reset, errors included', async () => {
    const acct = await a.account('hobby', 0);
    const call = api(a.url, acct.live);
    for (const res of [
      await call('GET', '/v1/account'),
      await call('GET', '/v1/jobs/job_missing'),
      await call('POST', '/v1/validate', {}),
    ]) {
      expect(res.headers.get('x-ratelimit-limit')).toBe('100');
      expect(Number(res.headers.get('x-ratelimit-remaining'))).toBeLessThan(100);
      expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    }
  });
});

describe('the daily request limit of a plan (free: 1,000 a day)', () => {
  it('when the account has made 1,000 requests today, then the next gets DAILY_LIMIT_EXCEEDED until midnight UTC', async () => {
    const acct = await a.account('free', 0);
    // 998 requests made earlier today (by any key, on any process).
    await a.deps.redis.set(limitKeys(shared, acct.id).requestsOfDay(dayStamp(new Date())), 998);
    expect((await api(a.url, acct.live)('GET', '/v1/account')).json.usage.requests_today).toBe(999);
    expect((await api(b.url, acct.test)('GET', '/v1/account')).status).toBe(200);
    const res = await api(a.url, acct.live)('GET', '/v1/account');
    expectError(res, 429, 'DAILY_LIMIT_EXCEEDED', {
      limit: 1000,
      used: 1000,
      requested: 1,
      remaining: 0,
      resetsAt: nextMidnight(),
    });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('when the plan has no daily limit (business), then requests are only counted', async () => {
    const acct = await a.account('business', 0);
    await a.deps.redis.set(
      limitKeys(shared, acct.id).requestsOfDay(dayStamp(new Date())),
      5_000_000,
    );
    const res = await api(a.url, acct.live)('GET', '/v1/account');
    expect(res.status).toBe(200);
    expect(res.json.usage).toMatchObject({ requests_today: 5_000_001, requests_per_day: null });
  });
});

describe('the daily allowance of test keys (TEST_DAILY_LIMIT emails)', () => {
  // Live keys resolve for real: a local DNS server keeps them off the network.
  const dns = useResource(() => startDnsServer(mxZones({ 'example.com': '127.0.0.2' })));
  const t = useHarness(() => ({ TEST_DAILY_LIMIT: '5', DNS_SERVERS: dns.address }), {
    beforeClose: dropCounters,
  });

  it('when test keys have used the day’s emails, then sync validation and jobs get DAILY_LIMIT_EXCEEDED; no credits or quota used', async () => {
    const acct = await t.account('free', 3);
    const call = api(t.url, acct.test);
    const before = await stateOf(t, acct.id);
    const batch = await call('POST', '/v1/validate/batch', {
      emails: ['deliverable@example.com', 'risky@example.com', 'unknown@example.com'],
    });
    expect(batch.status).toBe(200);
    expect(batch.json.results.map((r: { status: string }) => r.status)).toEqual([
      'deliverable',
      'risky',
      'unknown',
    ]);
    expect(batch.json.remaining_credits).toBe(3);
    // Duplicates and invalid syntax do not count: 2 more unique addresses fit.
    const job = await call('POST', '/v1/jobs', {
      emails: ['a@example.com', ' a@EXAMPLE.COM', 'b@example.com', 'not-an-address'],
    });
    expect(job.status).toBe(201);

    const overJob = await call('POST', '/v1/jobs', { emails: ['c@example.com'] });
    // Refused before the body is read (nothing is left), so the request's size is not known.
    expectError(overJob, 429, 'DAILY_LIMIT_EXCEEDED', {
      limit: 5,
      used: 5,
      remaining: 0,
      resetsAt: nextMidnight(),
    });
    expectError(
      await call('POST', '/v1/validate', { email: 'c@example.com' }),
      429,
      'DAILY_LIMIT_EXCEEDED',
      {
        limit: 5,
        used: 5,
        requested: 1,
        remaining: 0,
        resetsAt: nextMidnight(),
      },
    );

    const after = await stateOf(t, acct.id);
    expect({ balance: after.balance, ledgerLines: after.ledgerLines, jobs: after.jobs }).toEqual({
      balance: before.balance,
      ledgerLines: before.ledgerLines,
      jobs: before.jobs + 1,
    });
    const usage = (await api(t.url, acct.live)('GET', '/v1/account')).json.usage;
    expect(usage).toMatchObject({ today: 0, month: 0, test_today: 5, test_daily_limit: 5 });
    // The live key of the same account is not held back by the test allowance.
    const live = await api(t.url, acct.live)('POST', '/v1/validate', {
      email: 'c@example.com',
      quick_mode: true,
    });
    expect(live.status).toBe(200);
    expect((await api(t.url, acct.live)('GET', '/v1/account')).json.usage).toMatchObject({
      today: 1,
      month: 1,
      test_today: 5,
    });
  });

  it('when a test batch would pass the allowance, then all of it is refused, not a part', async () => {
    const acct = await t.account('free', 0);
    const call = api(t.url, acct.test);
    expect(
      (await call('POST', '/v1/validate/batch', { emails: ['a@x.com', 'b@x.com', 'c@x.com'] }))
        .status,
    ).toBe(200);
    const res = await call('POST', '/v1/validate/batch', {
      emails: ['d@x.com', 'e@x.com', 'f@x.com'],
    });
    expectError(res, 429, 'DAILY_LIMIT_EXCEEDED', {
      limit: 5,
      used: 3,
      requested: 3,
      remaining: 2,
      resetsAt: nextMidnight(),
    });
    expect(
      (await call('POST', '/v1/validate/batch', { emails: ['d@x.com', 'e@x.com'] })).status,
    ).toBe(200);
  });
});
