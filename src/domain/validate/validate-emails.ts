import { upsertEmailFacts } from '../../data/email-facts.repository.ts';
import type { Deps } from '../../deps.ts';
import { withDeadline } from '../../lib/deadline.ts';
import { countSyncCredits, countVerdicts } from '../../lib/work-metrics.ts';
import { parseAddress } from '../../validation/syntax.ts';
import type { Verdict, Verifier, VerifyOptions } from '../../validation/types.ts';
import { factOf } from '../../validation/verdict.ts';
import type { AuthContext } from '../accounts/authenticate.ts';
import { smtpFor } from '../billing/features.ts';
import { balanceOf, chargeCredits, refundCredits } from '../billing/wallet.ts';
import { DomainError } from '../errors.ts';
import { takeEmailUsage } from '../limits/email-usage.ts';

export type ValidateDeps = Pick<Deps, 'db' | 'redis' | 'config' | 'verifier' | 'logger'>;

export interface ValidateInput {
  emails: string[];
  /** undefined: the plan's default. */
  smtp: boolean | undefined;
  quickMode: boolean;
}

export interface SyncResult {
  index: number;
  email: string;
  normalized: string | null;
  duplicateOf: number | null;
  verdict: Verdict;
}

/** Domains verified at once; each may hold an SMTP session (as a job chunk does). */
const GROUP_CONCURRENCY = 8;

interface Entry {
  index: number;
  email: string;
  normalized: string | null;
  domain: string | null;
  duplicateOf: number | null;
}

function plan(emails: string[]): { entries: Entry[]; billable: number } {
  const firstSeen = new Map<string, number>();
  let billable = 0;
  const entries = emails.map((email, index): Entry => {
    const p = parseAddress(email);
    let duplicateOf: number | null = null;
    if (p.normalized !== null) {
      const first = firstSeen.get(p.normalized);
      if (first === undefined) {
        firstSeen.set(p.normalized, index);
        billable++;
      } else duplicateOf = first;
    }
    return { index, email, normalized: p.normalized, domain: p.domain, duplicateOf };
  });
  return { entries, billable };
}

/** First occurrences, grouped by domain (invalid syntax alone), verified a few groups at a time. */
async function verifyUnique(verifier: Verifier, entries: Entry[], options: VerifyOptions) {
  const groups = new Map<string, Entry[]>();
  const work: Entry[][] = [];
  for (const e of entries) {
    if (e.duplicateOf !== null) continue;
    if (e.domain === null) work.push([e]);
    else if (groups.has(e.domain)) groups.get(e.domain)!.push(e);
    else groups.set(e.domain, [e]);
  }
  work.push(...groups.values());
  const verdicts = new Map<number, Verdict>();
  let next = 0;
  const lane = async () => {
    while (next < work.length) {
      const group = work[next++]!;
      const out =
        group.length === 1
          ? [await verifier.verify(group[0]!.email, options)]
          : await verifier.verifyDomainGroup(
              group[0]!.domain!,
              group.map((g) => g.email),
              options,
            );
      group.forEach((g, i) => verdicts.set(g.index, out[i]!));
    }
  };
  await Promise.all(Array.from({ length: Math.min(GROUP_CONCURRENCY, work.length) }, lane));
  return verdicts;
}

/** Races the work against the request's hard deadline. The engine has no cancel: late work is dropped. */
function withinRequestDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  return withDeadline(work, ms, () => {
    throw new DomainError(
      'VALIDATION_TIMEOUT',
      `The validation did not finish within ${Math.round(ms / 1000)} s; retry with quick_mode: true.`,
    );
  });
}

/**
 * Synchronous validation of one address or a batch. Charged like a job: one credit per unique
 * address of valid syntax, taken (with the monthly quota, or a test key's daily allowance)
 * before any verification, and `unknown` verdicts refunded before answering. When the deadline
 * passes or anything after the charge fails, everything taken is given back (giveBack). The
 * latest verdicts are kept for GET /v1/enrichment.
 */
export async function validateEmails(
  deps: ValidateDeps,
  auth: AuthContext,
  input: ValidateInput,
  requestId: string,
) {
  const smtp = smtpFor(auth.plan, input.smtp);
  const { entries, billable } = plan(input.emails);
  const charged = auth.mode === 'live' ? billable : 0;
  const note = `validate ${requestId}`;

  const usage = await takeEmailUsage(deps, auth, billable);
  /** Credits taken from the wallet and not given back yet (only a confirmed move changes it). */
  let held = 0;
  /** Credits the charge took (the metrics count what became of them). */
  let taken = 0;

  /**
   * The request fails: gives back the credits still held and the quota or allowance. Each
   * give-back is tried whatever became of the other; a failed one is logged (the client is
   * owed it) and the request's own error is what the client gets.
   */
  const giveBack = async () => {
    try {
      if (held > 0) {
        await refundCredits(deps, auth.accountId, held, `${note} failed`);
        held = 0;
      }
    } catch (err) {
      deps.logger.error(
        { err, requestId, accountId: auth.accountId, credits: held },
        'could not refund a failed validation: the account is owed these credits',
      );
    } finally {
      await usage.release().catch((err: unknown) => {
        deps.logger.error(
          { err, requestId, accountId: auth.accountId, emails: billable },
          'could not give back the email usage of a failed validation',
        );
      });
    }
  };

  let balance: number | null = null;
  let results: SyncResult[];
  let firsts: SyncResult[];
  try {
    if (charged > 0) {
      balance = await chargeCredits(deps, auth.accountId, charged, note);
      held = charged;
      taken = charged;
    }

    const options: VerifyOptions = { mode: auth.mode, smtp, quickMode: input.quickMode };
    const verdicts = await withinRequestDeadline(
      verifyUnique(deps.verifier, entries, options),
      deps.config.limits.validationDeadlineMs,
    );

    results = entries.map((e) => ({
      index: e.index,
      email: e.email,
      normalized: e.normalized,
      duplicateOf: e.duplicateOf,
      verdict: verdicts.get(e.duplicateOf ?? e.index)!,
    }));
    firsts = results.filter((r) => r.duplicateOf === null && r.normalized !== null);
    const unknown = firsts.filter((r) => r.verdict.status === 'unknown').length;
    if (charged > 0 && unknown > 0) {
      // One statement: when it throws it moved nothing, and giveBack refunds the whole charge.
      balance = await refundCredits(deps, auth.accountId, unknown, `${note} unknown`);
      held -= unknown;
    }
    balance ??= await balanceOf(deps, auth.accountId);
  } catch (err) {
    // Nothing is delivered: give back the credits and the allowance, then answer the error.
    await giveBack();
    countSyncCredits(taken, taken - held);
    throw err;
  }

  countSyncCredits(taken, taken - held);
  countVerdicts(
    'sync',
    auth.mode,
    results.filter((r) => r.duplicateOf === null),
  );
  await upsertEmailFacts(
    deps.db.prisma,
    { accountId: auth.accountId, mode: auth.mode, source: 'validate' },
    firsts.flatMap((r) => factOf(r.verdict) ?? []),
  ).catch((err: unknown) => {
    // The client has paid for these verdicts: a failure to remember them must not fail the reply.
    deps.logger.error({ err, requestId }, 'could not store validation facts for enrichment');
  });

  return { results, remainingCredits: balance };
}
