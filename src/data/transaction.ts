import type pg from 'pg';
import type { Database } from './db.ts';

/** The client of each open transaction: data/ reaches it through clientOf, nothing else can. */
const clients = new WeakMap<Tx, pg.PoolClient>();

/**
 * An open transaction (see withTransaction). Repository functions that take a `Sql` run on it or,
 * outside any transaction, on the database's pool; domain code only passes it along.
 */
export class Tx {
  #discarded = false;
  readonly #committed: (() => void)[] = [];
  constructor(client: pg.PoolClient) {
    clients.set(this, client);
  }
  /** Rolls the transaction back instead of committing it when its function returns. */
  discard(): void {
    this.#discarded = true;
  }
  get discarded(): boolean {
    return this.#discarded;
  }
  /**
   * Runs `fn` once the transaction has committed, never when it is rolled back or discarded:
   * for what must count a change only if it happened (a metric), and once if it is retried.
   * `fn` must not throw: withTransaction would report a failure for a committed transaction.
   */
  afterCommit(fn: () => void): void {
    this.#committed.push(fn);
  }
  /** withTransaction's: the callbacks of a committed transaction, in the order given. */
  static committed(tx: Tx): void {
    for (const fn of tx.#committed.splice(0)) fn();
  }
}

/** Where a raw query runs: inside a transaction, or on the pool (one statement, autocommit). */
export type Sql = Database | Tx;

export function clientOf(sql: Tx): pg.PoolClient;
export function clientOf(sql: Sql): pg.Pool | pg.PoolClient;
export function clientOf(sql: Sql): pg.Pool | pg.PoolClient {
  return sql instanceof Tx ? clients.get(sql)! : sql.pool;
}

/**
 * Runs `fn` in one transaction on a client of its own: committed when `fn` returns (unless it
 * called `tx.discard()`), rolled back when it throws. A client whose rollback fails (its server
 * went away) is destroyed rather than returned to the pool.
 */
export async function withTransaction<T>(db: Database, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const client = await db.pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const tx = new Tx(client);
    const out = await fn(tx);
    await client.query(tx.discarded ? 'ROLLBACK' : 'COMMIT');
    if (!tx.discarded) Tx.committed(tx);
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

/** A unique index refused the row (SQLSTATE 23505). */
export const isUniqueViolation = (err: unknown): boolean =>
  (err as { code?: string } | null)?.code === '23505';

/** Planner methods a statement may turn off for itself (queryPlannedWithout). */
export type PlannerMethod = 'nestloop' | 'bitmapscan' | 'sort' | 'seqscan';

/**
 * One read-only statement with some planner methods off for it alone (`SET LOCAL` in a
 * transaction of its own): for whole-job statements whose plan must not depend on the
 * statistics, which know nothing of a job just written ("1 row"; issue 13).
 */
export async function queryPlannedWithout<R extends pg.QueryResultRow>(
  db: Database,
  off: PlannerMethod[],
  text: string,
  values: unknown[],
): Promise<R[]> {
  return withTransaction(db, async (tx) => {
    const client = clientOf(tx);
    for (const method of off) await client.query(`SET LOCAL enable_${method} = off`);
    return (await client.query<R>(text, values)).rows;
  });
}
