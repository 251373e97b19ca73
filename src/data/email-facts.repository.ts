import type { Checks } from '../validation/types.ts';
import { packChecks, unpackChecks } from './stored-forms.ts';
import type { Db } from './db.ts';

export interface EmailFactInput {
  normalized: string;
  domain: string;
  status: string;
  reason: string;
  didYouMean: string | null;
  checks: Checks;
}

/** Keeps the latest verdict of each address (one statement for a whole batch). */
export async function upsertEmailFacts(
  db: Db,
  o: { accountId: string; mode: string; source: string },
  facts: EmailFactInput[],
): Promise<void> {
  if (facts.length === 0) return;
  // One lock order for every writer (job chunks, sync validation): concurrent upserts of the
  // same addresses then wait for each other instead of deadlocking.
  facts = [...facts].sort((a, b) =>
    a.normalized < b.normalized ? -1 : a.normalized > b.normalized ? 1 : 0,
  );
  await db.$executeRaw`
    INSERT INTO email_facts (account_seq, mode, normalized, domain, status, reason, did_you_mean,
                             checks, source, validated_at)
    SELECT (SELECT seq FROM accounts WHERE id = ${o.accountId}), ${o.mode}, t.normalized, t.domain, t.status, t.reason, t.dym,
           t.checks::jsonb, ${o.source}, now()
      FROM unnest(${facts.map((f) => f.normalized)}::text[], ${facts.map((f) => f.domain)}::text[],
                  ${facts.map((f) => f.status)}::text[], ${facts.map((f) => f.reason)}::text[],
                  ${facts.map((f) => f.didYouMean)}::text[],
                  ${facts.map((f) => packChecks(f.checks, f.normalized))}::text[])
           AS t(normalized, domain, status, reason, dym, checks)
    ON CONFLICT (account_seq, mode, normalized) DO UPDATE
       SET domain = EXCLUDED.domain, status = EXCLUDED.status, reason = EXCLUDED.reason,
           did_you_mean = EXCLUDED.did_you_mean, checks = EXCLUDED.checks,
           source = EXCLUDED.source, job_seq = NULL, idx = NULL,
           validated_at = EXCLUDED.validated_at`;
}

export interface EmailFact extends EmailFactInput {
  source: string;
  validatedAt: Date;
}

/**
 * An address's fact, unless it was validated before `notBefore` (expired: docs/retention.md).
 * A job's fact refers to its result (job_seq, idx), which holds the verdict; a fact whose result
 * is gone (its job purged) is no fact. A synchronous validation's fact, and any fact written
 * before facts were references, holds its verdict itself.
 */
export async function findEmailFact(
  db: Db,
  accountId: string,
  mode: string,
  normalized: string,
  notBefore: Date,
): Promise<EmailFact | null> {
  const [fact] = await db.$queryRaw<
    {
      normalized: string;
      domain: string;
      status: string;
      reason: string | null;
      did_you_mean: string | null;
      checks: unknown;
      source: string;
      validated_at: Date;
    }[]
  >`
    SELECT f.normalized, f.domain, f.status, f.source, f.validated_at,
           COALESCE(f.reason, r.reason) AS reason,
           CASE WHEN f.checks IS NULL THEN r.did_you_mean ELSE f.did_you_mean END AS did_you_mean,
           COALESCE(f.checks, r.checks) AS checks
      FROM email_facts f
      LEFT JOIN LATERAL (
        SELECT r.reason, r.did_you_mean, r.checks FROM results r
         WHERE f.checks IS NULL AND r.job_seq = f.job_seq AND r.idx = f.idx) r ON true
     WHERE f.account_seq = (SELECT seq FROM accounts WHERE id = ${accountId}) AND f.mode = ${mode} AND f.normalized = ${normalized}
       AND f.validated_at >= ${notBefore}`;
  if (!fact || fact.checks === null || fact.reason === null) return null;
  return {
    normalized: fact.normalized,
    domain: fact.domain,
    status: fact.status,
    reason: fact.reason,
    didYouMean: fact.did_you_mean,
    checks: unpackChecks(fact.checks, fact.normalized)!,
    source: fact.source,
    validatedAt: fact.validated_at,
  };
}

/** How the account's known addresses of one domain, validated since `notBefore`, are spread over the four statuses. */
export async function domainStatusCounts(
  db: Db,
  accountId: string,
  mode: string,
  domain: string,
  notBefore: Date,
) {
  return db.$queryRaw<{ status: string; n: number; last: Date }[]>`
    SELECT status, count(*)::int AS n, max(validated_at) AS last FROM email_facts
     WHERE account_seq = (SELECT seq FROM accounts WHERE id = ${accountId}) AND mode = ${mode}
       AND domain = ${domain}
       AND validated_at >= ${notBefore}
     GROUP BY status`;
}
