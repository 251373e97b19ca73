import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { loadConfig } from '../../src/config/env.ts';
import { limitKeys } from '../../src/data/limits.store.ts';
import { dayStamp, monthStamp } from '../../src/domain/limits/calendar.ts';
import { api, ADMIN_TOKEN, type Harness } from './harness.ts';

type Reply = Awaited<ReturnType<ReturnType<typeof api>>>;

/**
 * Asserts API.md's error envelope exactly: `{ error: { code, message, details? }, timestamp }`,
 * JSON, with a request id, and `details` present only when expected.
 */
export function expectError(
  res: Reply,
  status: number,
  code: string,
  details?: Record<string, unknown>,
) {
  expect({ status: res.status, code: res.json?.error?.code }).toEqual({ status, code });
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.headers.get('x-request-id')).toBeTruthy();
  expect(Object.keys(res.json).sort()).toEqual(['error', 'timestamp']);
  expect(new Date(res.json.timestamp).toISOString()).toBe(res.json.timestamp);
  expect(typeof res.json.error.message).toBe('string');
  expect(res.json.error.message.length).toBeGreaterThan(0);
  // The request id to quote to support, as Stripe's `request_id`: the response's X-Request-Id.
  expect(res.json.error.request_id).toBe(res.headers.get('x-request-id'));
  if (details === undefined) {
    expect(Object.keys(res.json.error).sort()).toEqual(['code', 'message', 'request_id']);
  } else {
    expect(res.json.error.details).toEqual(details);
  }
  // Nothing internal leaks.
  expect(res.text).not.toMatch(/\bat .+\.ts:\d+|stack|SELECT |INSERT |prisma|127\.0\.0\.1:\d{4}/i);
}

/**
 * The account's email counters in Redis (src/data/limits.store.ts, src/domain/limits/calendar.ts):
 * the monthly quota and today's live emails, and today's test-key allowance. Read through the
 * harness's own connection; a harness whose Redis is unreachable (the outage tests) cannot have
 * counted anything, so its counters are read from the default Redis under its prefix instead.
 */
export async function countersOf(h: Harness, accountId: string, now = new Date()) {
  const keys = limitKeys(h.config.redis.queuePrefix, accountId);
  const names = [
    keys.emailsOfMonth(monthStamp(now)),
    keys.emailsOfDay(dayStamp(now)),
    keys.testEmailsOfDay(dayStamp(now)),
  ];
  let values: (string | null)[];
  if (h.deps.redis.status === 'ready') values = await h.deps.redis.mget(...names);
  else {
    const fallback = new Redis(loadConfig(process.env).redis.url, { lazyConnect: true });
    try {
      await fallback.connect();
      values = await fallback.mget(...names);
    } finally {
      fallback.disconnect();
    }
  }
  const [quotaMonth, emailsToday, testToday] = values.map((v) => Number(v ?? 0));
  return { quotaMonth: quotaMonth!, emailsToday: emailsToday!, testToday: testToday! };
}

/**
 * Everything a refused request must leave untouched: wallet, ledger, jobs, stored facts, and the
 * usage counters (monthly quota, today's live emails, the test-key allowance). The request
 * counters are left out: every authenticated request counts toward them, refused or not.
 */
export async function stateOf(h: Harness, accountId: string) {
  const prisma = h.deps.db.prisma;
  const [account, ledger, jobs, facts, counters] = await Promise.all([
    prisma.account.findUniqueOrThrow({ where: { id: accountId } }),
    prisma.creditLedger.aggregate({ where: { accountId }, _sum: { amount: true }, _count: true }),
    prisma.job.count({ where: { accountId } }),
    prisma.emailFact.count({ where: { account: { id: accountId } } }),
    countersOf(h, accountId),
  ]);
  return {
    balance: account.creditBalance,
    ledgerSum: ledger._sum.amount ?? 0,
    ledgerLines: ledger._count,
    jobs,
    facts,
    ...counters,
  };
}

/** The operator API: keys with scopes, allowlists, expiry; disabling; top-ups. */
/** Runs a request that must be refused, and checks the account is exactly as it was. */
export async function refused<T>(
  h: Harness,
  accountId: string,
  request: () => Promise<T>,
): Promise<T> {
  const before = await stateOf(h, accountId);
  const res = await request();
  expect(await stateOf(h, accountId)).toEqual(before);
  return res;
}

export function admin(h: Harness) {
  return api(h.url, ADMIN_TOKEN);
}

export async function newKey(
  h: Harness,
  accountId: string,
  body: {
    mode?: 'live' | 'test';
    scopes?: string[];
    ip_allowlist?: string[];
    expires_at?: string | null;
  },
): Promise<{ id: string; key: string }> {
  const res = await admin(h)('POST', `/admin/accounts/${accountId}/keys`, {
    mode: 'live',
    ...body,
  });
  expect(res.status).toBe(201);
  return res.json;
}

/** Removes the usage counters a harness left in Redis (they would expire, but not for a month). */
export async function dropCounters(h: Harness) {
  const redis = h.deps.redis;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(
      cursor,
      'MATCH',
      `${h.config.redis.queuePrefix}:limits:*`,
      'COUNT',
      500,
    );
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
