import type { Deps } from '../../deps.ts';
import { findAccount, listAccounts, listApiKeys } from '../../data/accounts.repository.ts';
import { validationError, notFound } from '../errors.ts';
import { planOf } from '../billing/plans.ts';

/** One page of accounts for an operator (`GET /admin/accounts`, `cli list-accounts`). */
export async function listAccountsPage(
  deps: Pick<Deps, 'db'>,
  opts: { limit: number; startingAfter?: string },
) {
  const db = deps.db.prisma;
  if (opts.startingAfter && !(await findAccount(db, opts.startingAfter))) {
    throw validationError({ starting_after: ['No such account.'] });
  }
  const rows = await listAccounts(db, {
    limit: opts.limit + 1,
    ...(opts.startingAfter ? { after: opts.startingAfter } : {}),
  });
  return {
    object: 'list' as const,
    data: rows.slice(0, opts.limit).map((a) => ({
      id: a.id,
      name: a.name,
      plan: a.plan,
      credit_balance: a.creditBalance,
      monthly_quota: planOf(a.plan, a.monthlyQuota).monthlyQuota,
      custom_quota: a.monthlyQuota !== null,
      test_daily_limit: a.testDailyLimit,
      results_retention_days: a.resultsRetentionDays,
      created_at: a.createdAt.toISOString(),
    })),
    has_more: rows.length > opts.limit,
  };
}

/** An account's keys with their ids (`GET /admin/accounts/{id}/keys`, `cli list-keys`). */
export async function listAccountKeys(deps: Pick<Deps, 'db'>, accountId: string) {
  const db = deps.db.prisma;
  if (!(await findAccount(db, accountId))) throw notFound('Account');
  const now = Date.now();
  return {
    object: 'list' as const,
    data: (await listApiKeys(db, accountId)).map((k) => ({
      id: k.id,
      mode: k.mode as 'live' | 'test',
      prefix: k.prefix,
      scopes: k.scopes,
      ip_allowlist: k.ipAllowlist,
      expires_at: k.expiresAt?.toISOString() ?? null,
      disabled: k.disabledAt !== null,
      expired: k.expiresAt !== null && k.expiresAt.getTime() <= now,
      created_at: k.createdAt.toISOString(),
    })),
  };
}
