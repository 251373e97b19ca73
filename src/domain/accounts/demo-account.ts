import {
  findFirstAccountByName,
  setAccountTestDailyLimit,
} from '../../data/accounts.repository.ts';
import type { Deps } from '../../deps.ts';
import { balanceOf } from '../billing/wallet.ts';
import { createAccount, createApiKey } from './manage-accounts.ts';

export const DEMO_ACCOUNT_NAME = 'Demo account';

/**
 * The demo account `npm start` prints: created on the first start (business plan, so every
 * feature can be tried). Keys are stored hashed and cannot be shown again, so every later start
 * mints a fresh live/test pair for it; earlier keys stay valid. Its daily allowance of test-key
 * emails is its own (`testDailyLimit`, DEMO_TEST_DAILY_LIMIT), set at every start, so a new user
 * can try a real-sized list with the printed test key.
 */
export async function ensureDemoAccount(deps: Pick<Deps, 'db'>, testDailyLimit: number) {
  const { prisma } = deps.db;
  const existing = await findFirstAccountByName(prisma, DEMO_ACCOUNT_NAME);
  if (!existing) {
    const account = await createAccount(deps, {
      name: DEMO_ACCOUNT_NAME,
      plan: 'business',
      credits: 10_000,
    });
    await setAccountTestDailyLimit(prisma, account.id, testDailyLimit);
    return {
      created: true,
      testDailyLimit,
      id: account.id,
      balance: await balanceOf(deps, account.id),
      keys: account.keys,
      webhookSecret: account.webhook_secret,
    };
  }
  await setAccountTestDailyLimit(prisma, existing.id, testDailyLimit);
  const live = await createApiKey(deps, existing.id, { mode: 'live' });
  const test = await createApiKey(deps, existing.id, { mode: 'test' });
  return {
    created: false,
    testDailyLimit,
    id: existing.id,
    balance: await balanceOf(deps, existing.id),
    keys: { live: live.key, test: test.key },
    webhookSecret: existing.webhookSecret,
  };
}
