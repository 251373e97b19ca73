import type { SendOutcome } from './send-webhook.ts';

/**
 * The retry schedule of webhook deliveries. Pure. Delays grow 4x per attempt from the base and
 * stop growing at 8 h; with the defaults (base 5 s, 10 attempts) the tenth attempt comes about
 * 23.6 h after the first: 5 s, 20 s, 80 s, 5.3 min, 21 min, 85 min, 5.7 h, 8 h, 8 h.
 */
export const BACKOFF_FACTOR = 4;
export const MAX_DELAY_MS = 8 * 3600 * 1000;
/** A delay may land 20 % either side, so receivers that failed together are not retried together. */
export const JITTER = 0.2;

/** The delay after failed attempt `attempt` (1-based), with jitter from `random` in [0, 1). */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  random: () => number = Math.random,
): number {
  const raw = Math.min(baseMs * BACKOFF_FACTOR ** (attempt - 1), MAX_DELAY_MS);
  return Math.round(raw * (1 - JITTER + 2 * JITTER * random()));
}

/** RFC 9110 10.2.3: `Retry-After` is delay-seconds or an HTTP-date. Null when unreadable. */
export function parseRetryAfter(value: string | null, now: Date): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // An HTTP-date names a weekday or month; without letters, Date.parse would read '1.5' as a date.
  if (!/[a-z]/i.test(v)) return null;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now.getTime());
}

export type Decision =
  | { kind: 'delivered' }
  | { kind: 'retry'; delayMs: number }
  | { kind: 'give-up'; reason: 'gone' | 'refused' | 'exhausted' };

export interface RetrySettings {
  maxAttempts: number;
  baseMs: number;
}

/**
 * What follows an attempt. 2xx delivers; 410 Gone and a refused destination stop for good; the
 * rest (3xx included: redirects are not followed) is retried until attempts run out. On 429 and
 * 503 a readable `Retry-After` sets the delay: never sooner than asked or than the base delay,
 * never later than MAX_DELAY_MS.
 */
export function decideAfterAttempt(
  outcome: SendOutcome,
  attempt: number,
  s: RetrySettings,
  now: Date,
  random: () => number = Math.random,
): Decision {
  if (outcome.kind === 'response') {
    const code = outcome.statusCode;
    if (code >= 200 && code < 300) return { kind: 'delivered' };
    if (code === 410) return { kind: 'give-up', reason: 'gone' };
  } else if (outcome.permanent) {
    return { kind: 'give-up', reason: 'refused' };
  }
  if (attempt >= s.maxAttempts) return { kind: 'give-up', reason: 'exhausted' };
  if (outcome.kind === 'response' && (outcome.statusCode === 429 || outcome.statusCode === 503)) {
    const asked = parseRetryAfter(outcome.retryAfter, now);
    if (asked !== null)
      return { kind: 'retry', delayMs: Math.min(Math.max(asked, s.baseMs), MAX_DELAY_MS) };
  }
  return { kind: 'retry', delayMs: backoffDelay(attempt, s.baseMs, random) };
}
