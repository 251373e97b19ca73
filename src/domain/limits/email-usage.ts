import {
  consumeCounters,
  limitKeys,
  readCounters,
  releaseCounters,
} from '../../data/limits.store.ts';
import type { Deps } from '../../deps.ts';
import type { AuthContext } from '../accounts/authenticate.ts';
import {
  dailyLimitError,
  monthlyQuotaError,
  quotaStop,
  testAllowanceTooSmallError,
} from '../billing/quota.ts';
import type { DomainError } from '../errors.ts';
import { dayStamp, monthStamp, nextMidnightUtc, nextMonthUtc, ttlUntil } from './calendar.ts';

/**
 * Emails counted against the account's allowance: the monthly quota for live keys, the daily
 * test allowance for test keys (the account's own `testDailyLimit`, else TEST_DAILY_LIMIT). An email counts when it would be charged a credit: a unique
 * address of valid syntax (jobs: counted at creation; sync validation: per request).
 */

/** The counters live in Redis under config.redis.queuePrefix. */
export type EmailUsageDeps = Pick<Deps, 'redis' | 'config'>;

export interface EmailUsageTaken {
  /** Gives the emails back (the request failed after taking them). Safe to call twice. */
  release(): Promise<void>;
}

/** The account's daily allowance of test-key emails. */
export function testDailyLimitOf(deps: EmailUsageDeps, auth: AuthContext): number {
  return auth.testDailyLimit ?? deps.config.limits.testDailyLimit;
}

function allowanceOf(deps: EmailUsageDeps, auth: AuthContext, now: Date) {
  const keys = limitKeys(deps.config.redis.queuePrefix, auth.accountId);
  const day = dayStamp(now);
  const dayTtl = ttlUntil(nextMidnightUtc(now), now);
  if (auth.mode === 'test') {
    const limit = testDailyLimitOf(deps, auth);
    return {
      counters: [{ key: keys.testEmailsOfDay(day), ttl: dayTtl }],
      stop: limit,
      refusal: (used: number, n: number, known: boolean): DomainError =>
        known && n > limit
          ? testAllowanceTooSmallError(limit, n)
          : dailyLimitError('test-key emails', limit, used, now, known ? n : null),
    };
  }
  return {
    counters: [
      { key: keys.emailsOfMonth(monthStamp(now)), ttl: ttlUntil(nextMonthUtc(now), now) },
      { key: keys.emailsOfDay(day), ttl: dayTtl },
    ],
    stop: quotaStop(auth.plan),
    refusal: (used: number, n: number, known: boolean): DomainError =>
      monthlyQuotaError(auth.plan, used, n, now, known)!,
  };
}

/**
 * Refuses at once when not even one more email fits, so a large upload is turned away before
 * it is read. The exact check is takeEmailUsage, once the request's size is known.
 */
export async function assertEmailUsageOpen(
  deps: EmailUsageDeps,
  auth: AuthContext,
  now = new Date(),
) {
  const a = allowanceOf(deps, auth, now);
  const [used = 0] = await readCounters(deps.redis, [a.counters[0]!.key]);
  if (used + 1 > a.stop) throw a.refusal(used, 1, false);
}

/** Takes `n` emails of the allowance atomically, or throws the 429 (nothing taken). */
export async function takeEmailUsage(
  deps: EmailUsageDeps,
  auth: AuthContext,
  n: number,
  now = new Date(),
): Promise<EmailUsageTaken> {
  if (n <= 0) return { release: async () => undefined };
  const a = allowanceOf(deps, auth, now);
  const { ok, used } = await consumeCounters(deps.redis, a.counters, n, a.stop);
  if (!ok) throw a.refusal(used, n, true);
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      await releaseCounters(
        deps.redis,
        a.counters.map((c) => c.key),
        n,
      );
    },
  };
}

export interface UsageReport {
  /** Live emails today and this month (the monthly quota counts the latter). */
  today: number;
  month: number;
  monthlyQuota: number;
  requestsToday: number;
  requestsPerDay: number | null;
  testToday: number;
  testDailyLimit: number;
}

export async function readUsage(
  deps: EmailUsageDeps,
  auth: AuthContext,
  now = new Date(),
): Promise<UsageReport> {
  const keys = limitKeys(deps.config.redis.queuePrefix, auth.accountId);
  const day = dayStamp(now);
  const [today = 0, month = 0, requestsToday = 0, testToday = 0] = await readCounters(deps.redis, [
    keys.emailsOfDay(day),
    keys.emailsOfMonth(monthStamp(now)),
    keys.requestsOfDay(day),
    keys.testEmailsOfDay(day),
  ]);
  return {
    today,
    month,
    monthlyQuota: auth.plan.monthlyQuota,
    requestsToday,
    requestsPerDay: auth.plan.requestsPerDay,
    testToday,
    testDailyLimit: testDailyLimitOf(deps, auth),
  };
}
