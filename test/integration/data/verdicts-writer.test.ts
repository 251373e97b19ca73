import type { PoolClient } from 'pg';
import { describe, expect, it } from 'vitest';
import { writeVerdicts, type VerdictRow } from '../../../src/data/verdicts.writer.ts';
import { emptyChecks } from '../../../src/validation/verdict.ts';
import { useAccount, useHarness } from '../../support/harness.ts';

// The chunk flush (src/data/verdicts.writer.ts): results by COPY, counters by one statement that
// weighs each result with its duplicates; a batch partly written by another run of its chunk
// keeps the first verdicts and counts only what it added; a job no longer live keeps nothing.

const h = useHarness();
const acct = useAccount(h);
const sql = <T = Record<string, unknown>>(text: string, ...params: unknown[]) =>
  h.deps.db.pool.query(text, params).then((r) => r.rows as T[]);

/**
 * A job of five rows: 0..3 unique, 4 a duplicate of 0 (the ingest's shape, written directly);
 * `unique`: row 4 is an address of its own.
 */
async function job(id: string, unique = false) {
  await sql(
    `INSERT INTO jobs (id, account_id, source, status, mode, total, unique_count)
     VALUES ($1, $2, 'emails', 'processing', 'live', 5, $3)`,
    id,
    acct.id,
    unique ? 5 : 4,
  );
  await sql(
    `INSERT INTO job_rows (job_seq, idx, email, domain, syntax_valid, duplicate_of)
     SELECT (SELECT seq FROM jobs WHERE id = $1), g, 'u' || (CASE WHEN g = 4 AND NOT $2 THEN 0 ELSE g END) || '@w.test',
            'w.test', true, CASE WHEN g = 4 AND NOT $2 THEN 0 END
       FROM generate_series(0, 4) g`,
    id,
    unique,
  );
  return { id, accountId: acct.id, mode: 'live', total: 5, uniqueCount: unique ? 5 : 4 };
}

const verdict = (idx: number, status: 'deliverable' | 'risky' | 'unknown'): VerdictRow => ({
  idx,
  verdict: {
    status,
    reason: status === 'deliverable' ? 'accepted_email' : 'catch_all',
    didYouMean: null,
    normalized: `u${idx}@w.test`,
    durationMs: 5,
    temporary: false,
    checks: { ...emptyChecks(), syntax: true, domain: 'w.test' },
  },
});

const counters = async (id: string) =>
  (
    await sql(
      'SELECT processed, deliverable, undeliverable, risky, unknown FROM jobs WHERE id = $1',
      id,
    )
  )[0];
const results = async (id: string) =>
  sql(
    `SELECT idx, status FROM results WHERE job_seq = (SELECT seq FROM jobs WHERE id = $1) ORDER BY idx`,
    id,
  );

describe('writeVerdicts', () => {
  it('when a batch is written, then each result counts with its duplicates toward processed and its status', async () => {
    const j = await job('job_writer_counts_000000000');
    expect(
      await writeVerdicts(h.deps.db, j, [verdict(0, 'deliverable'), verdict(1, 'risky')]),
    ).toEqual({ processed: 3, total: 5 });
    expect(await counters(j.id)).toEqual({
      processed: 3,
      deliverable: 2,
      undeliverable: 0,
      risky: 1,
      unknown: 0,
    });
  });

  it('when the job has no repeated row, then each result counts once toward processed and its status, also when another run wrote some first', async () => {
    const j = await job('job_writer_unique_000000000', true);
    expect(
      await writeVerdicts(h.deps.db, j, [verdict(0, 'deliverable'), verdict(4, 'risky')]),
    ).toEqual({ processed: 2, total: 5 });
    expect(
      await writeVerdicts(h.deps.db, j, [verdict(4, 'unknown'), verdict(1, 'unknown')]),
    ).toEqual({ processed: 3, total: 5 });
    expect(await counters(j.id)).toEqual({
      processed: 3,
      deliverable: 1,
      undeliverable: 0,
      risky: 1,
      unknown: 1,
    });
  });

  it('when another run of the chunk already wrote some rows of the batch, then their first verdicts stay and only the new rows count', async () => {
    const j = await job('job_writer_rerun_0000000000');
    await writeVerdicts(h.deps.db, j, [verdict(0, 'deliverable'), verdict(1, 'risky')]);
    const progress = await writeVerdicts(h.deps.db, j, [
      verdict(0, 'unknown'),
      verdict(1, 'unknown'),
      verdict(2, 'unknown'),
    ]);
    expect(progress).toEqual({ processed: 4, total: 5 });
    expect(await results(j.id)).toEqual([
      { idx: 0, status: 'deliverable' },
      { idx: 1, status: 'risky' },
      { idx: 2, status: 'unknown' },
    ]);
    expect(await counters(j.id)).toEqual({
      processed: 4,
      deliverable: 2,
      undeliverable: 0,
      risky: 1,
      unknown: 1,
    });
    // The whole batch already written: nothing added, nothing counted twice.
    expect(await writeVerdicts(h.deps.db, j, [verdict(2, 'risky')])).toEqual({
      processed: 4,
      total: 5,
    });
  });

  it('when the job is no longer live, then nothing of the batch is kept and the answer is null', async () => {
    const j = await job('job_writer_deleted_000000000');
    await sql('UPDATE jobs SET deleted_at = now() WHERE id = $1', j.id);
    expect(await writeVerdicts(h.deps.db, j, [verdict(3, 'deliverable')])).toBeNull();
    expect(await results(j.id)).toEqual([]);
  });

  // job_rows and results name their job without a foreign key (migration 20261202210000): the
  // job's row is the guard instead, and a trigger deletes a job's data with it.
  const dataOf = async (seq: number) =>
    (
      await sql<{ rows: number; results: number }>(
        `SELECT (SELECT count(*)::int FROM job_rows WHERE job_seq = $1) AS rows,
                (SELECT count(*)::int FROM results WHERE job_seq = $1) AS results`,
        seq,
      )
    )[0];
  const seqOf = async (id: string) =>
    (await sql<{ seq: number }>('SELECT seq FROM jobs WHERE id = $1', id))[0]!.seq;
  /** Resolves once another backend waits for a lock `holder`'s transaction holds. */
  const someoneWaitsFor = async (holder: PoolClient) => {
    const { rows } = await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    for (let i = 0; i < 500; i++) {
      const [w] = await sql<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
        rows[0]!.pid,
      );
      if (w!.n > 0) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('nothing waited for the lock');
  };

  it('when the schema is read, then job_rows and results carry no foreign key (a per-row check on every COPY) and jobs carries the trigger that deletes their rows', async () => {
    const keys = await sql<{ table: string }>(
      `SELECT conrelid::regclass::text AS table FROM pg_constraint
        WHERE contype = 'f' AND conrelid IN ('job_rows'::regclass, 'results'::regclass)`,
    );
    expect(keys).toEqual([]);
    const triggers = await sql<{ tgname: string }>(
      `SELECT tgname FROM pg_trigger WHERE tgrelid = 'jobs'::regclass AND NOT tgisinternal`,
    );
    expect(triggers.map((t) => t.tgname)).toContain('jobs_delete_data');
  });

  it("when a job's row is deleted, then its rows and results go with it", async () => {
    const j = await job('job_writer_cascade_000000000');
    const seq = await seqOf(j.id);
    await writeVerdicts(h.deps.db, j, [verdict(0, 'deliverable'), verdict(1, 'risky')]);
    expect(await dataOf(seq)).toEqual({ rows: 5, results: 2 });
    await sql('DELETE FROM jobs WHERE id = $1', j.id);
    expect(await dataOf(seq)).toEqual({ rows: 0, results: 0 });
  });

  it("when the job's row is deleted while a batch is written, then the batch keeps nothing: no result outlives its job", async () => {
    const j = await job('job_writer_deleted_during_0');
    const seq = await seqOf(j.id);
    const deleter = await h.deps.db.pool.connect();
    try {
      await deleter.query('BEGIN');
      await deleter.query('DELETE FROM jobs WHERE id = $1', [j.id]);
      // The flush's COPY goes through; its UPDATE of the job's row waits for the delete.
      let settled = false;
      const flush = writeVerdicts(h.deps.db, j, [verdict(0, 'deliverable')]).finally(() => {
        settled = true;
      });
      await someoneWaitsFor(deleter);
      expect(settled).toBe(false);
      await deleter.query('COMMIT');
      expect(await flush).toBeNull();
    } finally {
      deleter.release();
    }
    expect(await dataOf(seq)).toEqual({ rows: 0, results: 0 });
  });

  it("when a flush has updated the job's row and a delete of the job waits for its commit, then the delete takes the flush's results too", async () => {
    const j = await job('job_writer_flush_first_0000');
    const seq = await seqOf(j.id);
    // The flush's transaction as writeVerdicts runs it: results first, the job's row last.
    const flusher = await h.deps.db.pool.connect();
    try {
      await flusher.query('BEGIN');
      await flusher.query(
        `INSERT INTO results (job_seq, idx, status, reason, checks, duration_ms)
         VALUES ($1, 0, 'deliverable', 'accepted_email', '{}', 1)`,
        [seq],
      );
      await flusher.query('UPDATE jobs SET processed = processed + 2 WHERE id = $1', [j.id]);
      let deleted = false;
      const deletion = h.deps.db.pool
        .query('DELETE FROM jobs WHERE id = $1', [j.id])
        .then(() => (deleted = true));
      await someoneWaitsFor(flusher);
      expect(deleted).toBe(false); // waits for the job's row
      await flusher.query('COMMIT');
      await deletion;
    } finally {
      flusher.release();
    }
    // The trigger ran after the flush committed and saw its result.
    expect(await dataOf(seq)).toEqual({ rows: 0, results: 0 });
  });
});
