import { DomainError, notFound } from '../errors.ts';
import {
  findAccount,
  insertAccount,
  insertApiKey,
  moveCredits,
  setKeyDisabled,
  updateAccountPlan,
} from '../../data/accounts.repository.ts';
import { withTransaction, type Sql } from '../../data/transaction.ts';
import type { Deps } from '../../deps.ts';
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

type AccountDeps = Pick<Deps, 'db'>;

/** Creates a key and returns its plain text, which is never stored and shown only now. */
export async function createApiKey(deps: AccountDeps, accountId: string, input: NewKeyInput) {
  if (!(await findAccount(deps.db.prisma, accountId))) throw notFound('Account');
  return addKey(deps.db, accountId, input);
}

async function addKey(sql: Sql, accountId: string, input: NewKeyInput) {
  const key = generateApiKey(input.mode);
  const id = newId('key');
  await insertApiKey(sql, {
    id,
    accountId,
    mode: input.mode,
    keyHash: hashApiKey(key),
    prefix: key.slice(0, 12),
    scopes: input.scopes ?? allScopes,
    ipAllowlist: input.ipAllowlist ?? [],
    expiresAt: input.expiresAt ?? null,
  });
  return { id, key };
}

export async function createAccount(
  deps: AccountDeps,
  input: { name: string; plan: PlanName; credits: number },
) {
  if (!planNames.includes(input.plan)) {
    throw new DomainError('VALIDATION_ERROR', 'Unknown plan.', {
      fields: { plan: [`Must be one of ${planNames.join(', ')}.`] },
    });
  }
  return withTransaction(deps.db, async (tx) => {
    const account = {
      id: newId('acct'),
      name: input.name,
      plan: input.plan,
      webhookSecret: generateWebhookSecret(),
    };
    await insertAccount(tx, account);
    if (input.credits > 0) {
      await moveCredits(tx, {
        accountId: account.id,
        amount: input.credits,
        kind: 'topup',
        note: 'opening balance',
      });
    }
    const live = await addKey(tx, account.id, { mode: 'live' });
    const test = await addKey(tx, account.id, { mode: 'test' });
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

export async function disableApiKey(deps: AccountDeps, keyId: string, disabled = true) {
  const key = await setKeyDisabled(deps.db.prisma, keyId, disabled);
  if (!key) throw notFound('API key');
  return { id: key.id, disabled: key.disabledAt !== null, disabled_at: key.disabledAt };
}

export async function addCredits(deps: AccountDeps, accountId: string, amount: number) {
  const balance = await moveCredits(deps.db, {
    accountId,
    amount,
    kind: amount >= 0 ? 'topup' : 'adjustment',
    note: 'admin',
  });
  if (balance === null) {
    if (!(await findAccount(deps.db.prisma, accountId))) throw notFound('Account');
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
  deps: AccountDeps,
  accountId: string,
  change: { plan?: PlanName; monthlyQuota?: number | null },
) {
  const account = await updateAccountPlan(deps.db.prisma, accountId, change);
  if (!account) throw notFound('Account');
  const plan = planOf(account.plan, account.monthlyQuota);
  return {
    id: account.id,
    plan: plan.name,
    monthly_quota: plan.monthlyQuota,
    custom_quota: plan.customQuota === true,
  };
}
