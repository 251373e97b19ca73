import type { Db } from './db.ts';

export async function insertAccount(
  db: Db,
  a: { id: string; name: string; plan: string; webhookSecret: string },
) {
  return db.account.create({ data: { ...a, creditBalance: 0 } });
}

export async function insertApiKey(
  db: Db,
  k: {
    id: string;
    accountId: string;
    mode: string;
    keyHash: string;
    prefix: string;
    scopes: string[];
    ipAllowlist: string[];
    expiresAt: Date | null;
  },
) {
  return db.apiKey.create({ data: k });
}

export async function findKeyByHash(db: Db, keyHash: string) {
  return db.apiKey.findUnique({ where: { keyHash }, include: { account: true } });
}

export async function findAccount(db: Db, id: string) {
  return db.account.findUnique({ where: { id } });
}

export async function setAccountTestDailyLimit(db: Db, id: string, limit: number | null) {
  return db.account.update({ where: { id }, data: { testDailyLimit: limit } });
}

export async function findFirstAccountByName(db: Db, name: string) {
  return db.account.findFirst({ where: { name }, orderBy: { createdAt: 'asc' } });
}

/** Sets the plan and/or the account's own monthly quota; null when there is no such account. */
export async function updateAccountPlan(
  db: Db,
  id: string,
  change: { plan?: string; monthlyQuota?: number | null },
) {
  const { count } = await db.account.updateMany({ where: { id }, data: change });
  return count === 0 ? null : findAccount(db, id);
}

export async function setKeyDisabled(db: Db, id: string, disabled: boolean) {
  const found = await db.apiKey.findUnique({ where: { id } });
  if (!found) return null;
  return db.apiKey.update({
    where: { id },
    data: { disabledAt: disabled ? (found.disabledAt ?? new Date()) : null },
  });
}

/**
 * Moves credits and writes the ledger line in one statement. A negative amount only succeeds
 * when the balance covers it; returns the new balance, or null when it does not (or no account).
 */
export async function moveCredits(
  db: Db,
  m: {
    accountId: string;
    amount: number;
    kind: string;
    jobId?: string | null;
    note?: string | null;
  },
): Promise<number | null> {
  const rows = await db.$queryRaw<{ balance: number }[]>`
    WITH moved AS (
      UPDATE accounts SET credit_balance = credit_balance + ${m.amount}
       WHERE id = ${m.accountId} AND credit_balance + ${m.amount} >= 0
       RETURNING credit_balance
    ), logged AS (
      INSERT INTO credit_ledger (account_id, kind, amount, balance_after, job_id, note)
      SELECT ${m.accountId}, ${m.kind}, ${m.amount}, credit_balance, ${m.jobId ?? null}, ${m.note ?? null}
        FROM moved
    )
    SELECT credit_balance AS balance FROM moved`;
  return rows[0]?.balance ?? null;
}

/** Accounts, newest first; `after` (an account id) continues a listing after that account. */
export async function listAccounts(db: Db, opts: { limit: number; after?: string }) {
  return db.account.findMany({
    take: opts.limit,
    ...(opts.after ? { cursor: { id: opts.after }, skip: 1 } : {}),
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
}

/** An account's keys, oldest first (the plain keys are never stored: prefixes only). */
export async function listApiKeys(db: Db, accountId: string) {
  return db.apiKey.findMany({
    where: { accountId },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
}
