import type { Deps } from '../../deps.ts';
import { domainStatusCounts, findEmailFact } from '../../data/email-facts.repository.ts';
import { parseAddress } from '../../validation/syntax.ts';
import type { Checks } from '../../validation/types.ts';
import type { AuthContext } from '../accounts/authenticate.ts';
import { balanceOf } from '../billing/wallet.ts';
import { factsNotBefore, retentionDaysOf } from '../retention/retention-days.ts';

export type Enrichment =
  | { found: false; remainingCredits: number }
  | {
      found: true;
      remainingCredits: number;
      normalized: string;
      status: string;
      reason: string;
      didYouMean: string | null;
      checks: Checks;
      source: string;
      validatedAt: Date;
      domain: {
        name: string;
        counts: Record<'deliverable' | 'undeliverable' | 'risky' | 'unknown', number>;
        lastValidatedAt: Date;
      };
    };

/**
 * What this account already knows of an address, free of charge: the latest verdict it got for
 * it (synchronous validations, per key mode) and what it knows of the domain: the domain-level
 * checks of that verdict, and how the account's known addresses at that domain are spread over
 * the verdicts. An address never validated, or not valid syntax, is simply not found.
 */
export async function enrichEmail(
  deps: Pick<Deps, 'db' | 'config'>,
  auth: AuthContext,
  email: string,
): Promise<Enrichment> {
  const db = deps.db.prisma;
  // A fact older than the account's retention is forgotten, as its job is (docs/retention.md).
  const notBefore = factsNotBefore(retentionDaysOf(auth.resultsRetentionDays, deps.config));
  const { normalized } = parseAddress(email);
  const fact = normalized
    ? await findEmailFact(db, auth.accountId, auth.mode, normalized, notBefore)
    : null;
  const remainingCredits = await balanceOf(deps, auth.accountId);
  if (!fact) return { found: false, remainingCredits };
  const counts = { deliverable: 0, undeliverable: 0, risky: 0, unknown: 0 };
  let lastValidatedAt = fact.validatedAt;
  for (const row of await domainStatusCounts(
    db,
    auth.accountId,
    auth.mode,
    fact.domain,
    notBefore,
  )) {
    if (row.status in counts) counts[row.status as keyof typeof counts] = row.n;
    if (row.last > lastValidatedAt) lastValidatedAt = row.last;
  }
  return {
    found: true,
    remainingCredits,
    normalized: fact.normalized,
    status: fact.status,
    reason: fact.reason,
    didYouMean: fact.didYouMean,
    // Facts stored before providers were detected have neither field: null, as API.md's shape.
    checks: { provider: null, gateway: null, ...(fact.checks as object) } as Checks,
    source: fact.source,
    validatedAt: fact.validatedAt,
    domain: { name: fact.domain, counts, lastValidatedAt },
  };
}
