import type { ResultRow } from '../../data/jobs.repository.ts';
import type { Checks, JobSummary, Result } from './jobs.responses.ts';

import { toJobResource } from '../../domain/jobs/job-resource.ts';
import type { Job } from '../../generated/prisma/client.ts';

// The job resource lives in the domain: webhook events carry it too.
export { toJobResource };

/** Postgres's jsonb reorders keys; put them back in API.md's order. */
function orderedChecks(raw: unknown): Checks | null {
  if (!raw || typeof raw !== 'object') return null;
  const c = raw as Checks;
  const smtp = c.smtp && {
    code: c.smtp.code,
    enhanced_code: c.smtp.enhanced_code,
    message: c.smtp.message,
  };
  return {
    syntax: c.syntax,
    domain: c.domain,
    mx_found: c.mx_found,
    mx_host: c.mx_host,
    disposable: c.disposable,
    role: c.role,
    free: c.free,
    catch_all: c.catch_all,
    smtp,
    // Results written before providers were detected have neither field.
    provider: c.provider ?? null,
    gateway: c.gateway ?? null,
  };
}

/** The result resource of API.md (a duplicate carries its first occurrence's verdict). */
export function toResult(row: ResultRow): Result {
  return {
    index: row.idx,
    email: row.email,
    normalized: row.normalized,
    // Written by the engine, whose VerdictStatus / VerdictReason are these enums.
    status: row.status as Result['status'],
    reason: row.reason as Result['reason'],
    did_you_mean: row.did_you_mean,
    duplicate_of: row.duplicate_of,
    checks: orderedChecks(row.checks),
    duration_ms: row.duplicate_of === null ? (row.duration_ms ?? 0) : 0,
  };
}

/** GET /v1/jobs/{id}/summary: rows per status (the job's counts) and per reason. */
export function toJobSummary(
  job: Job,
  reasons: { status: string; reason: string; count: number }[],
): JobSummary {
  const resource = toJobResource(job);
  return {
    object: 'job_summary' as const,
    job_id: job.id,
    status: resource.status,
    total: resource.total,
    processed: resource.processed,
    counts: resource.counts,
    reasons: reasons.map((r) => ({
      status: r.status as JobSummary['reasons'][number]['status'],
      reason: r.reason as JobSummary['reasons'][number]['reason'],
      count: r.count,
    })),
  };
}
