import { DomainError } from '../errors.ts';
import { nextMidnightUtc, nextMonthUtc } from '../limits/calendar.ts';
import type { Plan } from './plans.ts';

/**
 * The monthly quota rules of API.md's plan table, pure so they are unit-tested without Redis.
 * A request is refused when it would take usage past the plan's stop point, not only once
 * usage already sits there: like the wallet, a quota either covers the whole request or none.
 */

/** Emails a plan may validate in a month before requests stop (the quota, or its 120 % grace). */
export function quotaStop(plan: Plan): number {
  return Math.floor(plan.monthlyQuota * plan.graceRatio);
}

const quotaOwner = (plan: Plan) =>
  plan.customQuota ? `this account (custom quota, ${plan.name} plan)` : `the ${plan.name} plan`;

function percentage(used: number, limit: number): number {
  return limit > 0 ? Math.round((used * 10_000) / limit) / 100 : 100;
}

const secondsUntil = (end: Date, now: Date) =>
  Math.max(1, Math.ceil((end.getTime() - now.getTime()) / 1000));

/**
 * null when `requested` more emails fit this month; else the 429 to answer with. `requested` is
 * reported in the details only when the caller knows the request's size (not in a pre-check).
 */
export function monthlyQuotaError(
  plan: Plan,
  used: number,
  requested: number,
  now: Date,
  sizeKnown = true,
): DomainError | null {
  const stop = quotaStop(plan);
  if (used + requested <= stop) return null;
  const resetsAt = nextMonthUtc(now);
  const retryAfter = secondsUntil(resetsAt, now);
  const common = {
    limit: plan.monthlyQuota,
    used,
    percentage: percentage(used, plan.monthlyQuota),
    ...(sizeKnown ? { requested } : {}),
  };
  if (plan.graceRatio <= 1) {
    return new DomainError(
      'QUOTA_EXCEEDED',
      `The monthly quota of ${quotaOwner(plan)} (${plan.monthlyQuota} emails) cannot cover this request.`,
      { ...common, tier: plan.name, resetsAt: resetsAt.toISOString() },
      retryAfter,
    );
  }
  return new DomainError(
    'GRACE_PERIOD_EXCEEDED',
    `This request would go past the grace period of the ${plan.name} plan (${stop} emails this month).`,
    { ...common, hardLimit: stop, resetsAt: resetsAt.toISOString() },
    retryAfter,
  );
}

/**
 * The 429 of a daily cap (a test key's emails, or a plan's requests): what was asked, what is
 * left today, and `resetsAt` (next midnight UTC). `requested` is left out when the request's size
 * is not known yet (an upload refused before it is read, because nothing at all is left).
 */
export function dailyLimitError(
  what: string,
  limit: number,
  used: number,
  now: Date,
  requested: number | null = 1,
): DomainError {
  const resetsAt = nextMidnightUtc(now);
  const remaining = Math.max(0, limit - used);
  const asked =
    requested === null
      ? `No ${what} are left today (${used} of ${limit} used)`
      : `This request needs ${requested} ${what}; ${remaining} of today's ${limit} are left`;
  return new DomainError(
    'DAILY_LIMIT_EXCEEDED',
    `${asked}. The daily limit resets at midnight UTC.`,
    {
      limit,
      used,
      ...(requested === null ? {} : { requested }),
      remaining,
      resetsAt: resetsAt.toISOString(),
    },
    secondsUntil(resetsAt, now),
  );
}

/**
 * A test-key request larger than the whole daily allowance can never fit, on any day: it is
 * 413 PAYLOAD_TOO_LARGE (`maximum`: the allowance), not a 429 that would tell the client to
 * retry at midnight. The message says how to get through: smaller parts, or a larger allowance.
 */
export function testAllowanceTooSmallError(limit: number, requested: number): DomainError {
  return new DomainError(
    'PAYLOAD_TOO_LARGE',
    `This request has ${requested} test-key emails, more than the whole daily allowance of ${limit}: ` +
      `send at most ${limit} a day with the test key, or ask the operator for a larger allowance ` +
      `(TEST_DAILY_LIMIT, or the account's own test_daily_limit).`,
    { maximum: limit, requested, limit },
  );
}
