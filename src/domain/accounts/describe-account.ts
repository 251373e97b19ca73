import type { RedisClient } from '../../lib/redis-client.ts';
import type { Config } from '../../config/env.ts';
import type { Db } from '../../data/db.ts';
import { balanceOf } from '../billing/wallet.ts';
import { emailUsageDeps, readUsage } from '../limits/email-usage.ts';
import type { AuthContext } from './authenticate.ts';

/** The account behind the presented key, its wallet and its usage against the plan's limits. */
export async function describeAccount(
  deps: { db: Db; redis: RedisClient; config: Config },
  auth: AuthContext,
) {
  const [remainingCredits, usage] = await Promise.all([
    balanceOf(deps.db, auth.accountId),
    readUsage(emailUsageDeps(deps), auth),
  ]);
  return { auth, remainingCredits, usage };
}
