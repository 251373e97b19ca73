import { randomUUID } from 'node:crypto';
import { admitRequest, limitKeys } from '../../data/limits.store.ts';
import type { Deps } from '../../deps.ts';
import type { AuthContext } from '../accounts/authenticate.ts';
import { dailyLimitError } from '../billing/quota.ts';
import { DomainError } from '../errors.ts';
import { dayStamp, nextMidnightUtc, ttlUntil } from './calendar.ts';

export const RATE_WINDOW_SECONDS = 60;

/** What X-RateLimit-* report: the key's per-minute limit. */
export interface RateState {
  limit: number;
  remaining: number;
  /** Unix seconds when the oldest request in the window leaves it, freeing a slot. */
  resetAt: number;
}

export interface Admission {
  rate: RateState;
  /** Set when the request is refused: the 429 to answer with (after the headers). */
  error: DomainError | null;
}

/**
 * Counts one /v1 request against the key's per-minute limit and the account's daily request
 * limit (both of its plan), atomically across every API process. A refused request is not
 * counted. Throws only when Redis is unreachable (the caller answers 503).
 */
export async function admitApiRequest(
  deps: Pick<Deps, 'redis' | 'config'>,
  auth: AuthContext,
  now = new Date(),
): Promise<Admission> {
  const keys = limitKeys(deps.config.redis.queuePrefix, auth.accountId);
  const { plan } = auth;
  const windowMs = RATE_WINDOW_SECONDS * 1000;
  const r = await admitRequest(deps.redis, {
    minuteKey: keys.perMinute(auth.keyId),
    dayKey: keys.requestsOfDay(dayStamp(now)),
    perMinute: plan.requestsPerMinute,
    windowMs,
    perDay: plan.requestsPerDay,
    dayTtl: ttlUntil(nextMidnightUtc(now), now),
    // Our own id, never the client's X-Request-Id: equal members would count as one request.
    member: randomUUID(),
  });
  const freesAtMs = r.oldestMs + windowMs;
  const rate: RateState = {
    limit: plan.requestsPerMinute,
    remaining: Math.max(0, plan.requestsPerMinute - r.inWindow),
    resetAt: Math.ceil(freesAtMs / 1000),
  };
  if (r.refused === 'minute') {
    const retryAfter = Math.max(1, Math.ceil((freesAtMs - r.nowMs) / 1000));
    return {
      rate,
      error: new DomainError(
        'RATE_LIMIT_EXCEEDED',
        `Too many requests: this key may make ${plan.requestsPerMinute} requests a minute.`,
        { limit: plan.requestsPerMinute, window: RATE_WINDOW_SECONDS, retryAfter },
        retryAfter,
      ),
    };
  }
  if (r.refused === 'day') {
    return { rate, error: dailyLimitError('requests', plan.requestsPerDay!, r.dayUsed, now) };
  }
  return { rate, error: null };
}
