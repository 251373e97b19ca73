import type { Deps } from '../../deps.ts';
import { balanceOf } from '../billing/wallet.ts';
import { readUsage } from '../limits/email-usage.ts';
import type { AuthContext } from './authenticate.ts';

/** The account behind the presented key, its wallet and its usage against the plan's limits. */
export async function describeAccount(
  deps: Pick<Deps, 'db' | 'redis' | 'config'>,
  auth: AuthContext,
) {
  const [remainingCredits, usage] = await Promise.all([
    balanceOf(deps, auth.accountId),
    readUsage(deps, auth),
  ]);
  return { auth, remainingCredits, usage };
}
