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

/** The 429 of a daily cap (a test key's emails, or a plan's requests); `resetsAt` is next midnight UTC. */
export function dailyLimitError(what: string, limit: number, used: number, now: Date): DomainError {
  const resetsAt = nextMidnightUtc(now);
  return new DomainError(
    'DAILY_LIMIT_EXCEEDED',
    `The daily limit of ${limit} ${what} is reached; it resets at midnight UTC.`,
    { limit, used, resetsAt: resetsAt.toISOString() },
    secondsUntil(resetsAt, now),
  );
}
