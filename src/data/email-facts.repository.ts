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

/**
 * Keeps the latest verdict of each address validated without a job (one statement for a whole
 * batch). A job's verdicts are not copied here: they are read from the job (findEmailFact).
 */
export async function upsertEmailFacts(
  db: Db,
  o: { accountId: string; mode: string; source: string },
  facts: EmailFactInput[],
): Promise<void> {
  if (facts.length === 0) return;
  // One lock order for every writer: concurrent upserts of the same addresses then wait for each
  // other instead of deadlocking.
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
           source = EXCLUDED.source, validated_at = EXCLUDED.validated_at`;
}

export interface EmailFact extends EmailFactInput {
  source: string;
  validatedAt: Date;
}

/*
 * A job's facts are its own rows and results, read where they are (issue 13: a copy of each in
 * email_facts was a third of a job's bytes and half of its chunk flush). They count while the
 * job is stored and live: not deleted, not expired; a job's verdicts are dated by its end
 * (`completed_at`; while it runs, now). Both readers below take the union of those and of
 * email_facts, and the latest verdict of each address wins.
 *
 * Every job part is written so that its plan cannot depend on the statistics (a job just
 * written is "1 row" to them; issue 13 met plans that read a whole job per row): the address
 * through job_rows_address_idx (its hashtext, then the address itself), a job's rows of one
 * domain through job_rows_work_order_idx by a LATERAL per job, and each row's result by a
 * LATERAL primary-key lookup (EXPLAIN ANALYZE with and without statistics: 0.1 and 1.2 ms on
 * two accounts of 300,000 addresses each). A live job:
 * `deleted_at IS NULL AND (expires_at IS NULL OR expires_at > now())`.
 */

/**
 * An address's fact, unless it was validated before `notBefore` (expired: docs/retention.md):
 * the latest of its synchronous validation and of the account's jobs that checked it.
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
      domain: string;
      status: string;
      reason: string;
      did_you_mean: string | null;
      checks: unknown;
      source: string;
      validated_at: Date;
    }[]
  >`
    SELECT * FROM (
       SELECT f.domain, f.status, f.reason, f.did_you_mean, f.checks, f.source, f.validated_at
         FROM email_facts f
        WHERE f.account_seq = (SELECT seq FROM accounts WHERE id = ${accountId}) AND f.mode = ${mode}
          AND f.normalized = ${normalized} AND f.validated_at >= ${notBefore}
       UNION ALL
       SELECT j.domain, r.status, r.reason, r.did_you_mean, r.checks, 'job',
              COALESCE(jb.completed_at, now())
         FROM job_rows j
         JOIN jobs jb ON jb.seq = j.job_seq
         CROSS JOIN LATERAL (
           SELECT r.status, r.reason, r.did_you_mean, r.checks FROM results r
            WHERE r.job_seq = j.job_seq AND r.idx = j.idx) r
        WHERE hashtext(COALESCE(j.normalized, j.email)) = hashtext(${normalized})
          AND COALESCE(j.normalized, j.email) = ${normalized} AND j.duplicate_of IS NULL AND j.syntax_valid
          AND jb.account_id = ${accountId} AND jb.mode = ${mode} AND jb.deleted_at IS NULL
          AND (jb.expires_at IS NULL OR jb.expires_at > now())
          AND COALESCE(jb.completed_at, now()) >= ${notBefore}) c
     ORDER BY validated_at DESC LIMIT 1`;
  if (!fact) return null;
  return {
    normalized,
    domain: fact.domain,
    status: fact.status,
    reason: fact.reason,
    didYouMean: fact.did_you_mean,
    checks: unpackChecks(fact.checks, normalized)!,
    source: fact.source,
    validatedAt: fact.validated_at,
  };
}

/**
 * How the account's known addresses of one domain, validated since `notBefore`, are spread over
 * the four statuses (each address once, by its latest verdict).
 */
export async function domainStatusCounts(
  db: Db,
  accountId: string,
  mode: string,
  domain: string,
  notBefore: Date,
) {
  return db.$queryRaw<{ status: string; n: number; last: Date }[]>`
    SELECT status, count(*)::int AS n, max(validated_at) AS last FROM (
       SELECT DISTINCT ON (normalized) normalized, status, validated_at FROM (
         SELECT f.normalized, f.status, f.validated_at FROM email_facts f
          WHERE f.account_seq = (SELECT seq FROM accounts WHERE id = ${accountId}) AND f.mode = ${mode}
            AND f.domain = ${domain} AND f.validated_at >= ${notBefore}
         UNION ALL
         SELECT x.normalized, x.status, COALESCE(jb.completed_at, now())
           FROM jobs jb
           CROSS JOIN LATERAL (
             SELECT COALESCE(j.normalized, j.email) AS normalized, r.status
               FROM job_rows j
               CROSS JOIN LATERAL (
                 SELECT r.status FROM results r WHERE r.job_seq = j.job_seq AND r.idx = j.idx) r
              WHERE j.job_seq = jb.seq AND hashtext(j.domain) = hashtext(${domain}) AND j.domain = ${domain}
                AND j.duplicate_of IS NULL AND j.syntax_valid) x
          WHERE jb.account_id = ${accountId} AND jb.mode = ${mode} AND jb.deleted_at IS NULL
            AND (jb.expires_at IS NULL OR jb.expires_at > now())
            AND COALESCE(jb.completed_at, now()) >= ${notBefore}) c
        ORDER BY normalized, validated_at DESC) latest
      GROUP BY status`;
}
