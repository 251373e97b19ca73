import { once } from 'node:events';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { limitKeys } from '../../../src/data/limits.store.ts';
import { monthStamp } from '../../../src/domain/limits/calendar.ts';
import { mxZones, startDnsServer } from '../../support/dns-server.ts';
import { api, csvForm, useHarness } from '../../support/harness.ts';
import { useResource } from '../../support/use-resource.ts';
import { dropCounters, expectError, stateOf } from '../../support/limits.ts';

// Live keys resolve for real: a local DNS server keeps sync validation off the network.
const dns = useResource(() => startDnsServer(mxZones({ 'example.com': '127.0.0.2' })));
const h = useHarness(() => ({ DNS_SERVERS: dns.address }), { beforeClose: dropCounters });

const emails = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => `${tag}${i}@example.com`);
const nextMonth = () => {
  const d = new Date();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString();
};
/**
 * Starts a multipart upload and never finishes it: resolves with the answer the API gives while
 * the body is still open, or fails if none comes (the API would be waiting for the whole file).
 */
async function answerToUnfinishedUpload(key: string): Promise<{ status: number; body: any }> {
  const boundary = 'mailsift-test-boundary';
  const req = http.request(`${h.url}/v1/jobs`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'transfer-encoding': 'chunked',
    },
  });
  req.on('error', () => undefined); // the server may close the socket after answering
  req.write(
    `--${boundary}\r\nContent-Disposition: form-data; name="csv_file"; filename="big.csv"\r\n` +
      `Content-Type: text/csv\r\n\r\nemail\n${'row@example.com\n'.repeat(1000)}`,
  );
  try {
    const [res] = (await Promise.race([
      once(req, 'response'),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('no answer before the upload ended')), 10_000),
      ),
    ])) as [http.IncomingMessage];
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    return { status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) };
  } finally {
    req.destroy();
  }
}

const usageOf = async (key: string) => (await api(h.url, key)('GET', '/v1/account')).json.usage;

describe('a free plan stops at 100 % of its monthly quota (100 emails)', () => {
  it('when jobs use the quota up mid-month, then the job that would pass it gets QUOTA_EXCEEDED and is not charged', async () => {
    const acct = await h.account('free', 1_000);
    const call = api(h.url, acct.live);
    // Duplicates and invalid syntax are not counted, like they are not charged.
    const first = await call('POST', '/v1/jobs', {
      emails: [...emails(60, 'a'), 'a0@example.com', 'not-an-address'],
    });
    expect(first.status).toBe(201);
    expect(await usageOf(acct.live)).toMatchObject({ month: 60, today: 60, monthly_quota: 100 });

    const before = await stateOf(h, acct.id);
    const over = await call('POST', '/v1/jobs', { emails: emails(41, 'b') });
    expectError(over, 429, 'QUOTA_EXCEEDED', {
      limit: 100,
      used: 60,
      percentage: 60,
      requested: 41,
      tier: 'free',
      resetsAt: nextMonth(),
    });
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await stateOf(h, acct.id)).toEqual(before);
    expect((await usageOf(acct.live)).month).toBe(60);

    expect((await call('POST', '/v1/jobs', { emails: emails(40, 'c') })).status).toBe(201);
    expect((await usageOf(acct.live)).month).toBe(100);
    expect((await stateOf(h, acct.id)).balance).toBe(900);

    const full = { limit: 100, used: 100, percentage: 100, tier: 'free', resetsAt: nextMonth() };
    expectError(
      await call('POST', '/v1/validate', { email: 'd@example.com', quick_mode: true }),
      429,
      'QUOTA_EXCEEDED',
      {
        ...full,
        requested: 1,
      },
    );
    // An upload is refused before it is read: its size is not known yet.
    expectError(
      await call('POST', '/v1/jobs', csvForm('email\ne@example.com\n')),
      429,
      'QUOTA_EXCEEDED',
      full,
    );
    // Even while the file is still arriving: the answer comes before the body ends.
    const early = await answerToUnfinishedUpload(acct.live);
    expect(early.status).toBe(429);
    expect(early.body.error).toMatchObject({ code: 'QUOTA_EXCEEDED', details: full });
    expect((await stateOf(h, acct.id)).balance).toBe(900);

    // Test keys are not counted against the quota, nor held back by it.
    expect(
      (await api(h.url, acct.test)('POST', '/v1/validate', { email: 'f@example.com' })).status,
    ).toBe(200);
  });
});

describe('a growth plan continues into a grace period up to 120 % (12,000 of 10,000)', () => {
  it('when usage passes 100 %, then requests still pass; past 120 % they get GRACE_PERIOD_EXCEEDED', async () => {
    const acct = await h.account('growth', 1_000);
    const call = api(h.url, acct.live);
    // 9,990 emails already validated this month.
    await h.deps.redis.set(
      limitKeys(h.config.redis.queuePrefix, acct.id).emailsOfMonth(monthStamp(new Date())),
      9_990,
    );

    expect((await call('POST', '/v1/jobs', { emails: emails(20, 'g') })).status).toBe(201);
    expect((await usageOf(acct.live)).month).toBe(10_010);

    await h.deps.redis.set(
      limitKeys(h.config.redis.queuePrefix, acct.id).emailsOfMonth(monthStamp(new Date())),
      11_995,
    );
    const batch = await call('POST', '/v1/validate/batch', {
      emails: emails(5, 'h'),
      quick_mode: true,
    });
    expect(batch.status).toBe(200);
    expect((await usageOf(acct.live)).month).toBe(12_000);

    const before = await stateOf(h, acct.id);
    const res = await call('POST', '/v1/validate', { email: 'i@example.com', quick_mode: true });
    expectError(res, 429, 'GRACE_PERIOD_EXCEEDED', {
      limit: 10_000,
      used: 12_000,
      percentage: 120,
      requested: 1,
      hardLimit: 12_000,
      resetsAt: nextMonth(),
    });
    expectError(
      await call('POST', '/v1/jobs', { emails: ['j@example.com'] }),
      429,
      'GRACE_PERIOD_EXCEEDED',
      {
        limit: 10_000,
        used: 12_000,
        percentage: 120,
        hardLimit: 12_000,
        resetsAt: nextMonth(),
      },
    );
    expect(await stateOf(h, acct.id)).toEqual(before);
  });

  it('when 20 jobs race for the last 10 emails of the grace, then 10 pass and usage stops at the hard limit', async () => {
    const acct = await h.account('growth', 1_000);
    await h.deps.redis.set(
      limitKeys(h.config.redis.queuePrefix, acct.id).emailsOfMonth(monthStamp(new Date())),
      11_990,
    );
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api(h.url, acct.live)('POST', '/v1/jobs', { emails: [`race${i}@example.com`] }),
      ),
    );
    expect(replies.filter((r) => r.status === 201)).toHaveLength(10);
    expect(replies.filter((r) => r.status === 429).map((r) => r.json.error.code)).toEqual(
      Array(10).fill('GRACE_PERIOD_EXCEEDED'),
    );
    expect((await usageOf(acct.live)).month).toBe(12_000);
    expect((await stateOf(h, acct.id)).balance).toBe(990);
  });
});
