import type { AuthContext } from '../../domain/accounts/authenticate.ts';
import type { UsageReport } from '../../domain/limits/email-usage.ts';
import type { Enrichment } from '../../domain/validate/enrich-email.ts';
import type { SyncResult } from '../../domain/validate/validate-emails.ts';
import { toResult } from './jobs.mappers.ts';
import type { Result } from './jobs.responses.ts';
import type { AccountResponse, EnrichmentResponse } from './validate.responses.ts';

/** A synchronous result has exactly the shape of a job's result (API.md). */
export function toSyncResult(r: SyncResult): Result {
  return toResult({
    idx: r.index,
    email: r.email,
    normalized: r.normalized,
    fields: null,
    duplicate_of: r.duplicateOf,
    status: r.verdict.status,
    reason: r.verdict.reason,
    did_you_mean: r.verdict.didYouMean,
    checks: r.verdict.checks,
    duration_ms: Math.round(r.verdict.durationMs),
  });
}

export function toAccount(a: {
  auth: AuthContext;
  remainingCredits: number;
  usage: UsageReport;
}): AccountResponse {
  return {
    id: a.auth.accountId,
    name: a.auth.accountName,
    plan: a.auth.plan.name,
    remaining_credits: a.remainingCredits,
    usage: {
      today: a.usage.today,
      month: a.usage.month,
      monthly_quota: a.usage.monthlyQuota,
      requests_today: a.usage.requestsToday,
      requests_per_day: a.usage.requestsPerDay,
      test_today: a.usage.testToday,
      test_daily_limit: a.usage.testDailyLimit,
    },
    key: {
      id: a.auth.keyId,
      mode: a.auth.mode,
      scopes: a.auth.scopes,
      expires_at: a.auth.expiresAt ? a.auth.expiresAt.toISOString() : null,
    },
    // What the plan includes, so clients (the web page) need not know the plan table.
    features: { smtp: a.auth.plan.smtpProbe },
  };
}

export function toEnrichment(e: Enrichment): EnrichmentResponse {
  if (!e.found) {
    return {
      success: true,
      status: 'not_found' as const,
      message: 'Email not found',
      remaining_credits: e.remainingCredits,
    };
  }
  const c = e.checks;
  return {
    success: true,
    status: 'found',
    email: e.normalized,
    result: {
      // Stored from the engine's verdict, whose status and reason are these enums.
      status: e.status as Result['status'],
      reason: e.reason as Result['reason'],
      did_you_mean: e.didYouMean,
      checks: c,
      source: e.source,
      validated_at: e.validatedAt.toISOString(),
    },
    domain: {
      name: e.domain.name,
      mx_found: c.mx_found,
      mx_host: c.mx_host,
      disposable: c.disposable,
      free: c.free,
      catch_all: c.catch_all,
      known_addresses: e.domain.counts,
      last_validated_at: e.domain.lastValidatedAt.toISOString(),
    },
    remaining_credits: e.remainingCredits,
  };
}
