import type { Prisma } from '../../data/db.ts';
import { findFirstAccountByName } from '../../data/accounts.repository.ts';
import { createAccount, createApiKey } from './manage-accounts.ts';

export const DEMO_ACCOUNT_NAME = 'Demo account';

/**
 * The demo account `npm start` prints: created on the first start (business plan, so every
 * feature can be tried). Keys are stored hashed and cannot be shown again, so every later start
 * mints a fresh live/test pair for it; earlier keys stay valid.
 */
export async function ensureDemoAccount(prisma: Prisma) {
  const existing = await findFirstAccountByName(prisma, DEMO_ACCOUNT_NAME);
  if (!existing) {
    const account = await createAccount(prisma, {
      name: DEMO_ACCOUNT_NAME,
      plan: 'business',
      credits: 10_000,
    });
    return {
      created: true,
      id: account.id,
      keys: account.keys,
      webhookSecret: account.webhook_secret,
    };
  }
  const live = await createApiKey(prisma, existing.id, { mode: 'live' });
  const test = await createApiKey(prisma, existing.id, { mode: 'test' });
  return {
    created: false,
    id: existing.id,
    keys: { live: live.key, test: test.key },
    webhookSecret: existing.webhookSecret,
  };
}
