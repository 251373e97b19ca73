import type { Config } from '../../config/env.ts';

/** The retention in force for an account: its own days, else RESULTS_RETENTION_DAYS. */
export function retentionDaysOf(
  override: number | null,
  config: Pick<Config, 'retention'>,
): number {
  return override ?? config.retention.days;
}

/** True once a job is past its expires_at (null while it runs): it is 404 from then on. */
export function isExpired(job: { expiresAt: Date | null }, now = new Date()): boolean {
  return job.expiresAt !== null && job.expiresAt <= now;
}

/** The oldest validated_at a fact may have and still be shown (older ones are expired). */
export function factsNotBefore(days: number, now = new Date()): Date {
  return new Date(now.getTime() - days * 86_400_000);
}
