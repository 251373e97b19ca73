import { describe, expect, it } from 'vitest';
import { ensureDemoAccount } from '../../../src/domain/accounts/demo-account.ts';
import { api, csvForm, jobWhen, useHarness } from '../../support/harness.ts';
import { dropCounters, expectError } from '../../support/limits.ts';

// Issue 12 point 1: a new user's first realistic upload with the printed test key.

// The defaults of a fresh install: TEST_DAILY_LIMIT 100, DEMO_TEST_DAILY_LIMIT 100000.
const h = useHarness(
  { TEST_DAILY_LIMIT: '100', DEMO_TEST_DAILY_LIMIT: '100000' },
  { workers: true, beforeClose: dropCounters },
);

/** A list as people export it: a name, a company, the address; `n` distinct rows. */
function realList(n: number): string {
  const lines = ['First name,Company,Email'];
  for (let i = 0; i < n; i++)
    lines.push(`Person ${i},Firm ${i % 37},person${i}@example${i % 50}.com`);
  return lines.join('\r\n') + '\r\n';
}

const nextMidnight = () => {
  const d = new Date();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)).toISOString();
};

describe('the test allowance of an account on the defaults (TEST_DAILY_LIMIT 100)', () => {
  it('when 4 emails are used and a 5,000-row file is uploaded, then 413 says it can never fit, with no retry time', async () => {
    const acct = await h.account('free', 0);
    const call = api(h.url, acct.test);
    const batch = await call('POST', '/v1/validate/batch', {
      emails: ['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com'],
    });
    expect(batch.status).toBe(200);

    const res = await call('POST', '/v1/jobs', csvForm(realList(5_000)));
    expectError(res, 413, 'PAYLOAD_TOO_LARGE', { maximum: 100, requested: 5_000, limit: 100 });
    expect(res.headers.get('retry-after')).toBeNull();
    expect(res.json.error.message).toMatch(/5000 test-key emails/);
    expect(res.json.error.message).not.toMatch(/midnight/i);
    expect((await call('GET', '/v1/jobs')).json.data).toEqual([]);
    // Nothing was taken from the allowance.
    expect((await call('GET', '/v1/account')).json.usage).toMatchObject({
      test_today: 4,
      test_daily_limit: 100,
    });
  });

  it('when a file fits the allowance but not what is left today, then 429 names requested and remaining', async () => {
    const acct = await h.account('free', 0);
    const call = api(h.url, acct.test);
    expect((await call('POST', '/v1/jobs', csvForm(realList(4)))).status).toBe(201);

    const res = await call('POST', '/v1/jobs', csvForm(realList(97)));
    expectError(res, 429, 'DAILY_LIMIT_EXCEEDED', {
      limit: 100,
      used: 4,
      requested: 97,
      remaining: 96,
      resetsAt: nextMidnight(),
    });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(res.json.error.message).toMatch(/needs 97 test-key emails; 96 of today's 100 are left/);
    expect((await call('POST', '/v1/jobs', csvForm(realList(96)))).status).toBe(201);
  });
});

describe('the demo account that npm start prints', () => {
  it('when its test key uploads a 5,000-row file, then the job is created and completes', async () => {
    const demo = await ensureDemoAccount(h.deps, h.config.limits.demoTestDailyLimit);
    expect(demo.testDailyLimit).toBe(100_000);
    const call = api(h.url, demo.keys.test);
    const account = (await call('GET', '/v1/account')).json;
    expect(account.usage).toMatchObject({ test_daily_limit: 100_000 });

    const res = await call('POST', '/v1/jobs', csvForm(realList(5_000), { name: 'first list' }));
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ total: 5_000, unique: 5_000, mode: 'test' });
    const done = await jobWhen(call, res.json.id, 'completed', 120_000);
    expect(done.counts.deliverable).toBe(5_000);
    expect((await call('GET', '/v1/account')).json.usage.test_today).toBe(5_000);
  });
});
