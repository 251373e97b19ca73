import { DomainError, notFound } from '../errors.ts';
import type { Db, Prisma } from '../../data/db.ts';
import {
  findAccount,
  insertAccount,
  insertApiKey,
  moveCredits,
  setKeyDisabled,
  updateAccountPlan,
} from '../../data/accounts.repository.ts';
import { planNames, planOf, type PlanName } from '../billing/plans.ts';
import {
  allScopes,
  generateApiKey,
  generateWebhookSecret,
  hashApiKey,
  newId,
  type KeyMode,
  type Scope,
} from './keys.ts';

export interface NewKeyInput {
  mode: KeyMode;
  scopes?: Scope[];
  ipAllowlist?: string[];
  expiresAt?: Date | null;
}

/** Creates a key and returns its plain text, which is never stored and shown only now. */
export async function createApiKey(db: Db, accountId: string, input: NewKeyInput) {
  if (!(await findAccount(db, accountId))) throw notFound('Account');
  const key = generateApiKey(input.mode);
  const row = await insertApiKey(db, {
    id: newId('key'),
    accountId,
    mode: input.mode,
    keyHash: hashApiKey(key),
    prefix: key.slice(0, 12),
    scopes: input.scopes ?? allScopes,
    ipAllowlist: input.ipAllowlist ?? [],
    expiresAt: input.expiresAt ?? null,
  });
  return { id: row.id, key };
}

export async function createAccount(
  prisma: Prisma,
  input: { name: string; plan: PlanName; credits: number },
) {
  if (!planNames.includes(input.plan)) {
    throw new DomainError('VALIDATION_ERROR', 'Unknown plan.', {
      fields: { plan: [`Must be one of ${planNames.join(', ')}.`] },
    });
  }
  return prisma.$transaction(async (tx) => {
    const account = await insertAccount(tx, {
      id: newId('acct'),
      name: input.name,
      plan: input.plan,
      webhookSecret: generateWebhookSecret(),
    });
    if (input.credits > 0) {
      await moveCredits(tx, {
        accountId: account.id,
        amount: input.credits,
        kind: 'topup',
        note: 'opening balance',
      });
    }
    const live = await createApiKey(tx, account.id, { mode: 'live' });
    const test = await createApiKey(tx, account.id, { mode: 'test' });
    return {
      id: account.id,
      name: account.name,
      plan: account.plan,
      webhook_secret: account.webhookSecret,
      keys: { live: live.key, test: test.key },
      key_ids: { live: live.id, test: test.id },
    };
  });
}

export async function disableApiKey(db: Db, keyId: string, disabled = true) {
  const key = await setKeyDisabled(db, keyId, disabled);
  if (!key) throw notFound('API key');
  return { id: key.id, disabled: key.disabledAt !== null, disabled_at: key.disabledAt };
}

export async function addCredits(db: Db, accountId: string, amount: number) {
  const balance = await moveCredits(db, {
    accountId,
    amount,
    kind: amount >= 0 ? 'topup' : 'adjustment',
    note: 'admin',
  });
  if (balance === null) {
    if (!(await findAccount(db, accountId))) throw notFound('Account');
    throw new DomainError('VALIDATION_ERROR', 'The balance cannot go below zero.', {
      fields: { amount: ['Would make the balance negative.'] },
    });
  }
  return { balance };
}

/**
 * Changes an account's plan and/or gives it its own monthly quota (a custom / enterprise plan);
 * `monthlyQuota: null` returns it to its plan's quota. Takes effect on the next request: the
 * quota is read with the key at each authentication, and this month's usage is kept.
 */
export async function updateAccountPlanOrQuota(
  db: Db,
  accountId: string,
  change: { plan?: PlanName; monthlyQuota?: number | null },
) {
  const account = await updateAccountPlan(db, accountId, change);
  if (!account) throw notFound('Account');
  const plan = planOf(account.plan, account.monthlyQuota);
  return {
    id: account.id,
    plan: plan.name,
    monthly_quota: plan.monthlyQuota,
    custom_quota: plan.customQuota === true,
  };
}
