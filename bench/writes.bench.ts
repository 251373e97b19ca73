/**
 * npm run bench:writes — the chunk flush (results + the job's counters) against a
 * raw COPY of the same result rows, measured in the same run on the same Postgres.
 *
 * For each of 1 and 4 concurrent writers (4 = the lanes of a worker, or several workers), a fresh
 * job of BENCH_WRITE_ROWS unique addresses (plus 5 % duplicates) is written in batches of 500:
 *   - before: the flush as it was (SELECT … FOR UPDATE on the job row first, then the results
 *     insert with its counter update, then the facts upsert, all under that lock; batches of 100;
 *     the facts as that release stored them, inline)
 *   - after:  writeVerdicts (src/data/verdicts.writer.ts), the flush the workers run now (no
 *     facts to write since 20261202200000: enrichment reads a job's verdicts from the job)
 *   - COPY:   the same result rows by COPY into a bare copy of the results table, and into a
 *     copy with its primary key (which the flush needs: a re-run of a chunk must not write twice)
 * and the rows/s of each are printed, with the flush's ratio to COPY (target: within 1.5×), and
 * the size of the tables per address. Own database, dropped at the end.
 */
import { once } from 'node:events';
import { from as copyFrom } from 'pg-copy-streams';
import { createDatabase } from '../src/data/db.ts';
import { openJobRowsCopy } from '../src/data/job-rows.writer.ts';
import { jobSeqOf } from '../src/data/job-seq.ts';
import { packChecks } from '../src/data/stored-forms.ts';
import { withTransaction } from '../src/data/transaction.ts';
import { migrate } from '../src/data/migrate.ts';
import { writeVerdicts, type VerdictRow } from '../src/data/verdicts.writer.ts';
import type { Verdict } from '../src/validation/types.ts';
import { checkedAt } from '../test/support/checks.ts';
import { admin, benchDatabaseUrl } from './support.ts';

const ROWS = Number(process.env.BENCH_WRITE_ROWS ?? 100_000);
const DB = benchDatabaseUrl('mailsift_bench_writes');
const STATUSES = ['deliverable', 'undeliverable', 'risky', 'unknown'] as const;

function verdictOf(i: number): Verdict {
  const domain = `company${i % 2000}.example`;
  const status = STATUSES[i % 4]!;
  return {
    status,
    reason: status === 'deliverable' ? 'accepted_email' : 'rejected_email',
    didYouMean: null,
    normalized: `user.${i}@${domain}`,
    durationMs: 3,
    temporary: false,
    checks: checkedAt(domain),
  };
}

type Db = ReturnType<typeof createDatabase>;

async function newJob(db: Db, accountId: string, name: string) {
  const id = `job_${name.padEnd(24, '0').slice(0, 24)}`;
  const dups = Math.floor(ROWS / 20);
  await db.pool.query(
    `INSERT INTO jobs (id, account_id, source, status, mode, total, unique_count)
     VALUES ($1, $2, 'list', 'processing', 'live', $3, $4)`,
    [id, accountId, ROWS + dups, ROWS],
  );
  await withTransaction(db, async (tx) => {
    const copy = openJobRowsCopy(tx, id);
    for (let i = 0; i < ROWS + dups; i++) {
      const u = i < ROWS ? i : (i - ROWS) * 20;
      const v = verdictOf(u);
      await copy.write({
        idx: i,
        fields: null,
        email: v.normalized!,
        normalized: v.normalized,
        domain: v.checks.domain!,
        syntaxValid: true,
        duplicateOf: i < ROWS ? null : u,
      });
    }
    await copy.end();
  });
  await db.pool.query('ANALYZE job_rows');
  return id;
}

function batchesOf(size: number): VerdictRow[][] {
  const out: VerdictRow[][] = [];
  for (let s = 0; s < ROWS; s += size) {
    out.push(
      Array.from({ length: Math.min(size, ROWS - s) }, (_, k) => ({
        idx: s + k,
        verdict: verdictOf(s + k),
      })),
    );
  }
  return out;
}

/** The flush before issue 13, statement for statement (src/data/results.repository.ts then). */
async function oldFlush(db: Db, job: { id: string; accountId: string }, batch: VerdictRow[]) {
  const c = await db.pool.connect();
  try {
    await c.query('BEGIN');
    // Only the key changed since: job_rows and results name their job by its seq (job-seq.ts).
    const seq = await jobSeqOf(db, job.id);
    await c.query(
      `SELECT status FROM jobs WHERE id = $1 AND deleted_at IS NULL
          AND status IN ('queued', 'processing') FOR UPDATE`,
      [job.id],
    );
    await c.query(
      `WITH ins AS (
         INSERT INTO results (job_seq, idx, status, reason, did_you_mean, checks, duration_ms)
         SELECT $8, t.idx, t.status, t.reason, t.dym, t.checks::jsonb, t.duration
           FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[])
                AS t(idx, status, reason, dym, checks, duration)
         ON CONFLICT (job_seq, idx) DO NOTHING RETURNING idx, status
       ), weighted AS (
         SELECT ins.status, 1 + (SELECT count(*) FROM job_rows d
                                  WHERE d.job_seq = $8 AND d.duplicate_of = ins.idx)::int AS w FROM ins
       ), sums AS (
         SELECT COALESCE(sum(w), 0)::int AS n,
                COALESCE(sum(w) FILTER (WHERE status = 'deliverable'), 0)::int AS deliverable,
                COALESCE(sum(w) FILTER (WHERE status = 'undeliverable'), 0)::int AS undeliverable,
                COALESCE(sum(w) FILTER (WHERE status = 'risky'), 0)::int AS risky,
                COALESCE(sum(w) FILTER (WHERE status = 'unknown'), 0)::int AS unknown FROM weighted
       )
       UPDATE jobs SET processed = jobs.processed + sums.n, deliverable = jobs.deliverable + sums.deliverable,
              undeliverable = jobs.undeliverable + sums.undeliverable, risky = jobs.risky + sums.risky,
              unknown = jobs.unknown + sums.unknown
         FROM sums WHERE jobs.id = $1 RETURNING jobs.processed, jobs.total`,
      [
        job.id,
        batch.map((r) => r.idx),
        batch.map((r) => r.verdict.status),
        batch.map((r) => r.verdict.reason),
        batch.map((r) => r.verdict.didYouMean),
        batch.map((r) => JSON.stringify(r.verdict.checks)),
        batch.map((r) => r.verdict.durationMs),
        seq,
      ],
    );
    const facts = batch
      .map((r) => r.verdict)
      .sort((a, b) => (a.normalized! < b.normalized! ? -1 : 1));
    await c.query(
      `INSERT INTO email_facts (account_seq, mode, normalized, domain, status, reason, did_you_mean,
                                checks, source, validated_at)
       SELECT (SELECT seq FROM accounts WHERE id = $1), 'live', t.n, t.d, t.s, t.r, t.y, t.c::jsonb, 'job', now()
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
              AS t(n, d, s, r, y, c)
       ON CONFLICT (account_seq, mode, normalized) DO UPDATE
          SET domain = EXCLUDED.domain, status = EXCLUDED.status, reason = EXCLUDED.reason,
              did_you_mean = EXCLUDED.did_you_mean, checks = EXCLUDED.checks,
              source = EXCLUDED.source, validated_at = EXCLUDED.validated_at`,
      [
        job.accountId,
        facts.map((f) => f.normalized),
        facts.map((f) => f.checks.domain),
        facts.map((f) => f.status),
        facts.map((f) => f.reason),
        facts.map((f) => f.didYouMean),
        facts.map((f) => JSON.stringify(f.checks)),
      ],
    );
    await c.query('COMMIT');
  } finally {
    c.release();
  }
}

/** COPY of the rows into a bare copy of results, or with its primary key (`keyed`). */
async function rawCopy(
  db: Db,
  jobId: string,
  batches: VerdictRow[][],
  writers: number,
  keyed = false,
) {
  const seq = await jobSeqOf(db, jobId);
  await db.pool.query('DROP TABLE IF EXISTS results_copy');
  await db.pool.query(
    `CREATE TABLE results_copy (LIKE results INCLUDING DEFAULTS${keyed ? ' INCLUDING INDEXES' : ''})`,
  );
  let next = 0;
  const lane = async () => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      const c = await db.pool.connect();
      try {
        const s = c.query(
          copyFrom(
            'COPY results_copy (job_seq, idx, duration_ms, status, reason, did_you_mean, checks) FROM STDIN',
          ),
        );
        let text = '';
        for (const { idx, verdict: v } of batch) {
          text += `${seq}\t${idx}\t${v.durationMs}\t${v.status}\t${v.reason}\t\\N\t${packChecks(v.checks, v.normalized)}\n`;
        }
        const done = once(s, 'finish');
        s.end(text);
        await done;
      } finally {
        c.release();
      }
    }
  };
  await Promise.all(Array.from({ length: writers }, lane));
}

async function timed(fn: () => Promise<void>) {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function sizes(db: Db) {
  const { rows } = await db.pool.query<{ t: string; mb: string }>(
    `SELECT t, round(pg_total_relation_size(t::regclass) / 1048576.0, 1) AS mb
       FROM unnest(ARRAY['results', 'email_facts', 'job_rows']) AS t`,
  );
  return Object.fromEntries(rows.map((r) => [r.t, Number(r.mb)]));
}

async function main() {
  await admin('DROP DATABASE IF EXISTS mailsift_bench_writes WITH (FORCE)');
  await admin('CREATE DATABASE mailsift_bench_writes');
  const db = createDatabase(DB, 12);
  try {
    await migrate(DB);
    const accountId = 'acct_bench_writes';
    await db.pool.query(
      `INSERT INTO accounts (id, name, plan, webhook_secret) VALUES ($1, 'bench', 'business', 'x')`,
      [accountId],
    );
    console.log(`chunk flush, ${ROWS.toLocaleString('en')} unique addresses (+5 % duplicates)`);
    console.log(
      'writers | before (lock first, 100/batch) | after (writeVerdicts, 500/batch) | raw COPY | after / COPY | COPY with the primary key | after / it',
    );
    for (const writers of [1, 4]) {
      const run = async (
        name: string,
        size: number,
        write: (
          job: { id: string; accountId: string; mode: string },
          b: VerdictRow[],
        ) => Promise<unknown>,
      ) => {
        await db.pool.query('TRUNCATE email_facts');
        const id = await newJob(db, accountId, `${name}${writers}`);
        const job = { id, accountId, mode: 'live' };
        const batches = batchesOf(size);
        let next = 0;
        const s = await timed(async () => {
          await Promise.all(
            Array.from({ length: writers }, async () => {
              while (next < batches.length) await write(job, batches[next++]!);
            }),
          );
        });
        const { rows } = await db.pool.query<{ processed: number; total: number }>(
          'SELECT processed, total FROM jobs WHERE id = $1',
          [id],
        );
        if (rows[0]!.processed !== rows[0]!.total) throw new Error(`${name}: counters wrong`);
        return { s, id };
      };
      const before = await run('before', 100, (job, b) => oldFlush(db, job, b));
      const after = await run('after', 500, (job, b) => writeVerdicts(db, job, b));
      const size = await sizes(db);
      const copyS = await timed(() => rawCopy(db, after.id, batchesOf(500), writers));
      const keyedS = await timed(() => rawCopy(db, after.id, batchesOf(500), writers, true));
      const rate = (s: number) => `${Math.round(ROWS / s).toLocaleString('en')}/s`;
      console.log(
        `${writers} | ${rate(before.s)} (${before.s.toFixed(1)} s) | ${rate(after.s)} (${after.s.toFixed(1)} s) | ` +
          `${rate(copyS)} (${copyS.toFixed(1)} s) | ${(after.s / copyS).toFixed(2)}× (before ${(before.s / copyS).toFixed(2)}×) | ` +
          `${rate(keyedS)} (${keyedS.toFixed(1)} s) | ${(after.s / keyedS).toFixed(2)}×`,
      );
      if (writers === 4) {
        const per = (mb: number) => `${Math.round((mb * 1048576) / (2 * ROWS))} B`;
        console.log(
          `sizes after both jobs (2 × ${ROWS.toLocaleString('en')} addresses): results ${size.results} MB (${per(size.results!)}/address), ` +
            `email_facts ${size.email_facts} MB (the 'before' flush's facts only; 'after' writes none), job_rows ${size.job_rows} MB (${per(size.job_rows!)}/row)`,
        );
      }
      await db.pool.query('TRUNCATE results, job_rows, email_facts');
    }
  } finally {
    await db.close();
    await admin('DROP DATABASE IF EXISTS mailsift_bench_writes WITH (FORCE)');
  }
}

await main();
