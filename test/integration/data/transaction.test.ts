import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../../src/data/db.ts';
import { clientOf, withTransaction } from '../../../src/data/transaction.ts';

// withTransaction's afterCommit: what counts a change (the job-end metric) runs only for a
// transaction that committed, so an ending rolled back and retried is counted once.
let db: Database;
beforeAll(() => {
  db = createDatabase(process.env.MAILSIFT_TEST_DATABASE_URL!, 2);
});
afterAll(() => db.close());

describe('withTransaction: afterCommit', () => {
  it('when the function returns, then the callbacks run after the COMMIT, in order', async () => {
    const seen: string[] = [];
    const out = await withTransaction(db, async (tx) => {
      tx.afterCommit(() => seen.push('first'));
      tx.afterCommit(() => seen.push('second'));
      await clientOf(tx).query('SELECT 1');
      seen.push('body');
      return 42;
    });
    expect(out).toBe(42);
    expect(seen).toEqual(['body', 'first', 'second']);
  });

  it('when the function throws, then no callback runs', async () => {
    const seen: string[] = [];
    await expect(
      withTransaction(db, async (tx) => {
        tx.afterCommit(() => seen.push('counted'));
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(seen).toEqual([]);
  });

  it('when the function discards the transaction, then no callback runs', async () => {
    const seen: string[] = [];
    await withTransaction(db, async (tx) => {
      tx.afterCommit(() => seen.push('counted'));
      tx.discard();
    });
    expect(seen).toEqual([]);
  });

  it('when the COMMIT itself fails, then no callback runs', async () => {
    const seen: string[] = [];
    // A deferred constraint is checked at COMMIT: the commit fails after the body returned.
    await expect(
      withTransaction(db, async (tx) => {
        const c = clientOf(tx);
        await c.query(
          `CREATE TEMP TABLE t (id int UNIQUE DEFERRABLE INITIALLY DEFERRED) ON COMMIT DROP`,
        );
        await c.query('INSERT INTO t VALUES (1), (1)');
        tx.afterCommit(() => seen.push('counted'));
      }),
    ).rejects.toThrow();
    expect(seen).toEqual([]);
  });
});
