import { describe, expect, it } from 'vitest';
import { plans } from '../../../../src/domain/billing/plans.ts';
import {
  dailyLimitError,
  monthlyQuotaError,
  quotaStop,
  testAllowanceTooSmallError,
} from '../../../../src/domain/billing/quota.ts';
import { smtpFor } from '../../../../src/domain/billing/features.ts';
import {
  dayStamp,
  monthStamp,
  nextMidnightUtc,
  nextMonthUtc,
} from '../../../../src/domain/limits/calendar.ts';

const now = new Date('2026-03-15T23:59:30.000Z');

describe('the plans of API.md', () => {
  it('have the table’s limits, defined once', () => {
    const table = Object.values(plans).map((p) => [
      p.name,
      p.requestsPerMinute,
      p.requestsPerDay,
      p.monthlyQuota,
      quotaStop(p),
      p.smtpProbe,
    ]);
    expect(table).toEqual([
      ['free', 60, 1_000, 100, 100, false],
      ['hobby', 100, 10_000, 1_000, 1_000, false],
      ['growth', 300, 50_000, 10_000, 12_000, false],
      ['business', 1_000, null, 100_000, 120_000, true],
    ]);
  });
});

describe('the monthly quota', () => {
  it('when free or hobby usage would pass 100 %, then QUOTA_EXCEEDED with limit, used, percentage and tier', () => {
    expect(monthlyQuotaError(plans.free, 99, 1, now)).toBeNull();
    const err = monthlyQuotaError(plans.free, 99, 2, now)!;
    expect(err.code).toBe('QUOTA_EXCEEDED');
    expect(err.details).toEqual({
      limit: 100,
      used: 99,
      percentage: 99,
      requested: 2,
      tier: 'free',
      resetsAt: '2026-04-01T00:00:00.000Z',
    });
    expect(monthlyQuotaError(plans.hobby, 1_000, 1, now)!.code).toBe('QUOTA_EXCEEDED');
  });

  it('when growth or business usage passes 100 %, then it continues in grace up to 120 %, then GRACE_PERIOD_EXCEEDED', () => {
    expect(monthlyQuotaError(plans.growth, 10_000, 1_999, now)).toBeNull();
    expect(monthlyQuotaError(plans.growth, 11_999, 1, now)).toBeNull();
    const err = monthlyQuotaError(plans.growth, 12_000, 1, now)!;
    expect(err.code).toBe('GRACE_PERIOD_EXCEEDED');
    expect(err.details).toEqual({
      limit: 10_000,
      used: 12_000,
      percentage: 120,
      requested: 1,
      hardLimit: 12_000,
      resetsAt: '2026-04-01T00:00:00.000Z',
    });
    expect(monthlyQuotaError(plans.business, 119_999, 2, now)!.code).toBe('GRACE_PERIOD_EXCEEDED');
  });

  it('when a pre-check refuses before the size is known, then the details leave requested out', () => {
    expect(monthlyQuotaError(plans.free, 100, 1, now, false)!.details).not.toHaveProperty(
      'requested',
    );
  });

  it('tells the client to retry when the month resets', () => {
    expect(monthlyQuotaError(plans.free, 100, 1, now)!.retryAfter).toBe(
      (Date.parse('2026-04-01T00:00:00Z') - now.getTime()) / 1000,
    );
  });
});

describe('daily caps and the UTC calendar', () => {
  it('when a daily cap is reached, then DAILY_LIMIT_EXCEEDED resets at the next midnight UTC', () => {
    const err = dailyLimitError('requests', 1_000, 1_000, now);
    expect(err.code).toBe('DAILY_LIMIT_EXCEEDED');
    expect(err.details).toEqual({
      limit: 1_000,
      used: 1_000,
      requested: 1,
      remaining: 0,
      resetsAt: '2026-03-16T00:00:00.000Z',
    });
    expect(err.retryAfter).toBe(30);
  });

  it('when a request needs more than is left today, then the 429 says what was asked and what is left', () => {
    const err = dailyLimitError('test-key emails', 100, 4, now, 120);
    expect(err.details).toEqual({
      limit: 100,
      used: 4,
      requested: 120,
      remaining: 96,
      resetsAt: '2026-03-16T00:00:00.000Z',
    });
    expect(err.message).toContain('needs 120 test-key emails; 96 of today');
    expect(dailyLimitError('test-key emails', 100, 100, now, null).details).not.toHaveProperty(
      'requested',
    );
  });

  it('when a test-key request is larger than the whole daily allowance, then it is 413 with no retry time', () => {
    const err = testAllowanceTooSmallError(100, 5_000);
    expect(err.code).toBe('PAYLOAD_TOO_LARGE');
    expect(err.details).toEqual({ maximum: 100, requested: 5_000, limit: 100 });
    expect(err.retryAfter).toBeUndefined();
    expect(err.message).not.toMatch(/midnight|retry/i);
  });

  it('names days and months in UTC, and rolls over at year end', () => {
    expect([dayStamp(now), monthStamp(now)]).toEqual(['2026-03-15', '2026-03']);
    const newYearsEve = new Date('2026-12-31T12:00:00Z');
    expect(nextMidnightUtc(newYearsEve).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(nextMonthUtc(newYearsEve).toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });
});

describe('feature gating', () => {
  it('when smtp: true is asked on a plan without the probe, then FEATURE_NOT_AVAILABLE names the tier that has it', () => {
    expect(() => smtpFor(plans.growth, true)).toThrow(
      expect.objectContaining({
        code: 'FEATURE_NOT_AVAILABLE',
        details: { feature: 'smtp', currentTier: 'growth', requiredTier: 'business' },
      }),
    );
  });

  it('when smtp is left out, then the plan decides; false is always allowed', () => {
    expect([
      smtpFor(plans.free, undefined),
      smtpFor(plans.business, undefined),
      smtpFor(plans.business, false),
    ]).toEqual([false, true, false]);
  });
});
