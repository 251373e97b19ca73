import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  decideAfterAttempt,
  MAX_DELAY_MS,
  parseRetryAfter,
} from '../../../../src/domain/webhooks/retry-policy.ts';
import type { SendOutcome } from '../../../../src/domain/webhooks/send-webhook.ts';

const middle = () => 0.5; // no jitter
const now = new Date('2026-03-01T12:00:00Z');
const settings = { maxAttempts: 10, baseMs: 5000 };
const response = (statusCode: number, retryAfter: string | null = null): SendOutcome => ({
  kind: 'response',
  statusCode,
  retryAfter,
  durationMs: 12,
});
const failure = (permanent: boolean): SendOutcome => ({
  kind: 'error',
  error: 'x',
  permanent,
  durationMs: 12,
});

describe('the webhook retry schedule', () => {
  it('when the defaults apply (base 5 s, 10 attempts), then the attempts span about a day', () => {
    const delays = Array.from({ length: 9 }, (_, i) => backoffDelay(i + 1, 5000, middle));
    expect(delays.slice(0, 4)).toEqual([5000, 20000, 80000, 320000]);
    expect(Math.max(...delays)).toBe(MAX_DELAY_MS);
    const hours = delays.reduce((a, b) => a + b, 0) / 3_600_000;
    expect(hours).toBeGreaterThan(20);
    expect(hours).toBeLessThan(28);
    // At least 8 attempts in that day: the 8th comes after 7 delays, well within it.
    expect(delays.slice(0, 7).reduce((a, b) => a + b, 0)).toBeLessThan(24 * 3_600_000);
  });

  it('when jitter applies, then a delay lands within 20 % of its nominal value', () => {
    expect(backoffDelay(3, 5000, () => 0)).toBe(64000);
    expect(backoffDelay(3, 5000, () => 0.999999)).toBeCloseTo(96000, -1);
  });

  it.each([
    ['120', 120_000],
    [' 0 ', 0],
    ['Sun, 01 Mar 2026 12:00:30 GMT', 30_000],
    ['Sun, 01 Mar 2026 11:00:00 GMT', 0],
    ['soon', null],
    ['-5', null],
    ['1.5', null],
  ])('when Retry-After is %j, then it reads as %j ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it.each([200, 201, 204, 299])(
    'when the receiver answers %i, then the event is delivered',
    (code) => {
      expect(decideAfterAttempt(response(code), 1, settings, now, middle)).toEqual({
        kind: 'delivered',
      });
    },
  );

  it.each([301, 302, 307, 308, 400, 401, 404, 500, 502])(
    'when the receiver answers %i, then it is retried with backoff',
    (code) => {
      expect(decideAfterAttempt(response(code), 2, settings, now, middle)).toEqual({
        kind: 'retry',
        delayMs: 20000,
      });
    },
  );

  it('when the receiver answers 410 Gone, then retries stop', () => {
    expect(decideAfterAttempt(response(410), 1, settings, now, middle)).toEqual({
      kind: 'give-up',
      reason: 'gone',
    });
  });

  it('when the destination is refused, then retries stop', () => {
    expect(decideAfterAttempt(failure(true), 1, settings, now, middle)).toEqual({
      kind: 'give-up',
      reason: 'refused',
    });
  });

  it('when a network error or timeout happens, then it is retried', () => {
    expect(decideAfterAttempt(failure(false), 1, settings, now, middle)).toEqual({
      kind: 'retry',
      delayMs: 5000,
    });
  });

  it('when the last attempt fails, then retries stop', () => {
    expect(decideAfterAttempt(response(500), 10, settings, now, middle)).toEqual({
      kind: 'give-up',
      reason: 'exhausted',
    });
    expect(decideAfterAttempt(response(429, '1'), 10, settings, now, middle)).toEqual({
      kind: 'give-up',
      reason: 'exhausted',
    });
  });

  it.each([
    [429, '60', 60_000],
    [503, '60', 60_000],
    [503, 'Sun, 01 Mar 2026 12:02:00 GMT', 120_000],
    [429, '1', 5000], // never sooner than the base delay
    [429, '999999', MAX_DELAY_MS], // never later than the cap
  ])(
    'when the receiver answers %i with Retry-After %j, then the next attempt waits %i ms',
    (code, value, ms) => {
      expect(decideAfterAttempt(response(code, value), 1, settings, now, middle)).toEqual({
        kind: 'retry',
        delayMs: ms,
      });
    },
  );

  it('when Retry-After comes with another status, or is unreadable, then backoff applies', () => {
    expect(decideAfterAttempt(response(500, '60'), 1, settings, now, middle)).toEqual({
      kind: 'retry',
      delayMs: 5000,
    });
    expect(decideAfterAttempt(response(429, 'later'), 1, settings, now, middle)).toEqual({
      kind: 'retry',
      delayMs: 5000,
    });
  });
});
