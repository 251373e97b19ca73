import type { Db } from './db.ts';
import { clientOf, type Sql } from './transaction.ts';

// created_at is the statement's clock, not the transaction's start: an account's two keys,
// made in one transaction, list in the order they were made.

export async function insertAccount(
  sql: Sql,
  a: { id: string; name: string; plan: string; webhookSecret: string },
): Promise<void> {
  await clientOf(sql).query(
    `INSERT INTO accounts (id, name, plan, credit_balance, webhook_secret, created_at)
     VALUES ($1, $2, $3, 0, $4, clock_timestamp())`,
    [a.id, a.name, a.plan, a.webhookSecret],
  );
}

export async function insertApiKey(
  sql: Sql,
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
): Promise<void> {
  await clientOf(sql).query(
    `INSERT INTO api_keys (id, account_id, mode, key_hash, prefix, scopes, ip_allowlist,
                           expires_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6::text[], $7::text[], $8, clock_timestamp())`,
    [k.id, k.accountId, k.mode, k.keyHash, k.prefix, k.scopes, k.ipAllowlist, k.expiresAt],
  );
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
 * Moves credits and writes the ledger line in one statement: every movement of credits (jobs'
 * reservations and refunds, synchronous charges, operators' top-ups) goes through here, so the
 * ledger always sums to the balance. A negative amount only succeeds when the balance covers it;
 * returns the new balance, or null when it does not (or there is no such account).
 */
export async function moveCredits(
  sql: Sql,
  m: {
    accountId: string;
    amount: number;
    kind: string;
    jobId?: string | null;
    note?: string | null;
  },
): Promise<number | null> {
  const { rows } = await clientOf(sql).query<{ balance: number }>(
    `WITH moved AS (
       UPDATE accounts SET credit_balance = credit_balance + $2::int
        WHERE id = $1 AND credit_balance + $2::int >= 0
        RETURNING credit_balance
     ), logged AS (
       INSERT INTO credit_ledger (account_id, kind, amount, balance_after, job_id, note)
       SELECT $1::text, $3::text, $2::int, credit_balance, $4::text, $5::text FROM moved
     )
     SELECT credit_balance AS balance FROM moved`,
    [m.accountId, m.amount, m.kind, m.jobId ?? null, m.note ?? null],
  );
  return rows[0]?.balance ?? null;
}

/** An account's credit balance (0 when there is no such account). */
export async function creditBalance(sql: Sql, accountId: string): Promise<number> {
  const { rows } = await clientOf(sql).query<{ credit_balance: number }>(
    'SELECT credit_balance FROM accounts WHERE id = $1',
    [accountId],
  );
  return rows[0]?.credit_balance ?? 0;
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
