import { findAccount } from '../../data/accounts.repository.ts';
import { setAccountRetention as storeAccountRetention } from '../../data/retention.repository.ts';
import type { Deps } from '../../deps.ts';
import type { PlanName } from '../billing/plans.ts';
import { notFound } from '../errors.ts';
import { retentionDaysOf } from '../retention/retention-days.ts';
import { updateAccountPlanOrQuota } from './manage-accounts.ts';

/**
 * Gives an account its own results retention in days (null: back to RESULTS_RETENTION_DAYS). It
 * applies at once to every job of the account: an ended job's expires_at moves (a job already
 * past the new one becomes 404 now), a running job will get it when it ends.
 */
export async function setAccountRetention(
  deps: Pick<Deps, 'db' | 'config'>,
  accountId: string,
  days: number | null,
) {
  const inForce = retentionDaysOf(days, deps.config);
  const done = await storeAccountRetention(deps.db, accountId, days, inForce);
  if (!done) throw notFound('Account');
  return {
    id: accountId,
    results_retention_days: inForce,
    custom_retention: days !== null,
    jobs_updated: done.jobs,
  };
}

/**
 * PATCH /admin/accounts/{id}: the plan, the account's own monthly quota and its own retention,
 * each when given. The retention goes first: an unknown account is 404 before anything changes.
 */
export async function updateAccountSettings(
  deps: Pick<Deps, 'db' | 'config'>,
  accountId: string,
  change: { plan?: PlanName; monthlyQuota?: number | null; retentionDays?: number | null },
) {
  let retention;
  if (change.retentionDays !== undefined) {
    retention = await setAccountRetention(deps, accountId, change.retentionDays);
  } else {
    const account = await findAccount(deps.db.prisma, accountId);
    if (!account) throw notFound('Account');
    retention = {
      results_retention_days: retentionDaysOf(account.resultsRetentionDays, deps.config),
      custom_retention: account.resultsRetentionDays !== null,
    };
  }
  const plan = await updateAccountPlanOrQuota(deps, accountId, {
    ...(change.plan !== undefined ? { plan: change.plan } : {}),
    ...(change.monthlyQuota !== undefined ? { monthlyQuota: change.monthlyQuota } : {}),
  });
  return {
    ...plan,
    results_retention_days: retention.results_retention_days,
    custom_retention: retention.custom_retention,
  };
}
