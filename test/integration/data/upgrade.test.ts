import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDatabase, migrate } from '../../../src/data/migrate.ts';
import { purgeDeletedJob } from '../../../src/domain/jobs/delete-job.ts';
import { purgeExpired } from '../../../src/domain/retention/purge-expired.ts';
import type { Checks } from '../../../src/validation/types.ts';
import { checkedAt } from '../../support/checks.ts';
import { mxZones, startDnsServer, type DnsServer } from '../../support/dns-server.ts';
import { api, jobWhen, startHarness, waitFor, type Harness } from '../../support/harness.ts';
import { freePort, stopProcess } from '../../support/processes.ts';

// An upgrade from the release before issue 13's stored forms (commit c4efe9f): its database is
// built by its migrations (the folder's, up to 20261202150000_results_retention, applied and
// recorded as src/data/migrate.ts does) and filled with SQL in the shapes its writers used:
// job_rows.normalized always written, results and email_facts keyed by the job's text id, facts
// with their verdict inline, `checks` as an object (before 2026-12-02) or as the first array form
// (eleven values in CHECK_KEYS order, smtp as [code, enhanced_code, message]). Then the real
// migrator applies the rest and the service reads it all back. Every expected value below is what
// the old readers made of these rows (pageResults, findEmailFact, toResult, the CSV export).

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const MIGRATIONS = path.join(ROOT, 'prisma/migrations');
const LAST_OLD = '20261202150000_results_retention';
const BASE62 = /^[0-9A-Za-z]{24}$/;

const id = (prefix: string) => {
  const tail = randomBytes(32)
    .toString('base64')
    .replace(/[^0-9A-Za-z]/g, '')
    .slice(0, 24);
  expect(tail).toMatch(BASE62);
  return `${prefix}_${tail}`;
};

const base = new URL(process.env.MAILSIFT_TEST_DATABASE_URL ?? process.env.DATABASE_URL!);
const url = (() => {
  const u = new URL(base);
  u.pathname = `/mailsift_upgrade_${randomBytes(4).toString('hex')}`;
  return u.toString();
})();

async function dropDatabase(at: string) {
  const admin = new URL(at);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "${new URL(at).pathname.slice(1)}" WITH (FORCE)`);
  await client.end();
}

/** The release's migrations, applied and recorded as src/data/migrate.ts records them. */
async function applyOldMigrations(client: pg.Client): Promise<string[]> {
  await client.query(`CREATE TABLE "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL,
    "finished_at" TIMESTAMPTZ, "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT,
    "rolled_back_at" TIMESTAMPTZ, "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`);
  const names = (await readdir(MIGRATIONS, { withFileTypes: true }))
    .filter((e) => e.isDirectory() && e.name <= LAST_OLD)
    .map((e) => e.name)
    .sort();
  for (const name of names) {
    const sql = await readFile(path.join(MIGRATIONS, name, 'migration.sql'), 'utf8');
    await client.query(sql);
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, applied_steps_count)
       VALUES (gen_random_uuid(), $1, $2, now(), 1)`,
      [createHash('sha256').update(sql).digest('hex'), name],
    );
  }
  return names;
}

// ---- The old data ---------------------------------------------------------------------------

const second = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);
const NOW = Date.now();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T = {
  created: second(NOW - 3 * HOUR),
  started: second(NOW - 3 * HOUR + 1000),
  completed: second(NOW - 2 * HOUR),
  facts: second(NOW - 2 * HOUR - 5000),
  sync: second(NOW - HOUR),
  expired: second(NOW - 40 * DAY),
};

const accountId = id('acct');
const liveKey = `ms_live_${'A1b2C3d4E5'.repeat(4)}`;
const testKey = `ms_test_${'Z9y8X7w6V5'.repeat(4)}`;
const jobId = id('job');
const expiredJobId = id('job');
const goneJobId = id('job');
const eventId = id('evt');

const smtpOk = { code: 250, enhanced_code: '2.1.5', message: 'OK' };
/** Each row's verdict as the old readers gave it (checks as toResult orders them). */
const CHECKS = {
  alice: checkedAt('example.com', { smtp: smtpOk, provider: 'google' }),
  bob: checkedAt('example.com', {
    smtp: { code: 550, enhanced_code: '5.1.1', message: 'no such user' },
    gateway: 'mimecast',
  }),
  invalid: checkedAt('', {
    syntax: false,
    domain: null,
    mx_found: false,
    mx_host: null,
    catch_all: null,
  }),
  dan: checkedAt('mail.test', {
    role: true,
    free: true,
    catch_all: true,
    smtp: { code: 250, enhanced_code: null, message: 'OK' },
  }),
  // Written before providers were detected: the object has neither provider nor gateway.
  eve: checkedAt('gmial.com', { catch_all: null }),
  carl: checkedAt('example.com', { smtp: smtpOk, provider: 'google' }),
  gone: checkedAt('gone.test', { catch_all: true }),
};

/** The first array form (c4efe9f src/data/stored-forms.ts packChecks). */
const v1 = (c: Checks) =>
  JSON.stringify([
    c.syntax,
    c.domain,
    c.mx_found,
    c.mx_host,
    c.disposable,
    c.role,
    c.free,
    c.catch_all,
    c.smtp ? [c.smtp.code, c.smtp.enhanced_code, c.smtp.message] : null,
    c.provider,
    c.gateway,
  ]);
/** The object form, as the writers before the array form stored it. */
const obj = (c: object) => JSON.stringify(c);
const { provider: _p, gateway: _g, ...evePreProvider } = CHECKS.eve;

interface OldFact {
  mode?: string;
  normalized: string;
  status: string;
  reason: string;
  dym?: string;
  checks: string;
  source: string;
  job: string | null;
  at: Date;
}

async function fillOldDatabase(client: pg.Client) {
  const q = (text: string, params: unknown[] = []) => client.query(text, params);
  const insertKey = (mode: string, key: string) =>
    q(
      `INSERT INTO api_keys (id, account_id, mode, key_hash, prefix, scopes, created_at)
       VALUES ($1, $2, $3, $4, $5, ARRAY['validate:read','validate:write'], $6)`,
      [
        id('key'),
        accountId,
        mode,
        createHash('sha256').update(key).digest('hex'),
        key.slice(0, 12),
        T.created,
      ],
    );
  // As c4efe9f's writers left a fact: its verdict inline, its job by text id (null: sync validation).
  const insertFact = (f: OldFact) =>
    q(
      `INSERT INTO email_facts (account_id, mode, normalized, domain, status, reason, did_you_mean,
                                checks, source, job_id, validated_at)
       VALUES ($1, $2, $3, split_part($3, '@', 2), $4, $5, $6, $7::jsonb, $8, $9, $10)`,
      [
        accountId,
        f.mode ?? 'live',
        f.normalized,
        f.status,
        f.reason,
        f.dym ?? null,
        f.checks,
        f.source,
        f.job,
        f.at,
      ],
    );
  const insertRow = (
    job: string,
    idx: number,
    fields: string | null,
    email: string,
    normalized: string | null,
    dup: number | null = null,
  ) =>
    q(
      `INSERT INTO job_rows (job_id, idx, fields, email, normalized, domain, syntax_valid, duplicate_of)
       VALUES ($1, $2, $3, $4, $5, COALESCE(split_part($5, '@', 2), ''), $5 IS NOT NULL, $6)`,
      [job, idx, fields, email, normalized, dup],
    );
  const insertResult = (
    job: string,
    idx: number,
    status: string,
    reason: string,
    dym: string | null,
    checks: string,
    ms: number,
  ) =>
    q(
      `INSERT INTO results (job_id, idx, status, reason, did_you_mean, checks, duration_ms, created_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)`,
      [job, idx, status, reason, dym, checks, ms, T.completed],
    );
  await q(
    `INSERT INTO accounts (id, name, plan, credit_balance, webhook_secret, created_at)
     VALUES ($1, 'old customer', 'business', 0, 'whsec_old', $2)`,
    [accountId, T.created],
  );
  await insertKey('live', liveKey);
  await insertKey('test', testKey);
  // A test key's synchronous validation: a fact of test mode, which a new job overwrites.
  await insertFact({
    mode: 'test',
    normalized: 'deliverable@upgrade.test',
    status: 'deliverable',
    reason: 'accepted_email',
    checks: v1({ ...CHECKS.carl, domain: 'upgrade.test' }),
    source: 'validate',
    job: null,
    at: T.sync,
  });
  // The ledger: a top-up, the job's reserve of its 4 unique valid addresses, the unknown one's
  // refund, a synchronous validation's charge.
  const ledger: [string, number, number, string | null][] = [
    ['topup', 100_000, 100_000, null],
    ['reserve', -4, 99_996, jobId],
    ['refund', 1, 99_997, jobId],
    ['reserve', -2, 99_995, expiredJobId],
    ['refund', 0, 99_995, expiredJobId],
    ['charge', -1, 99_994, null],
  ];
  await q('UPDATE accounts SET credit_balance = $2 WHERE id = $1', [accountId, ledger.at(-1)![2]]);
  for (const [i, [kind, amount, after, job]] of ledger.entries()) {
    await q(
      `INSERT INTO credit_ledger (account_id, kind, amount, balance_after, job_id, note, created_at)
       VALUES ($1, $2, $3, $4, $5, NULL, $6)`,
      [accountId, kind, amount, after, job, new Date(T.created.getTime() + i * 1000)],
    );
  }

  // A completed CSV job (name,email): a normalised address unlike the one written, a duplicate,
  // an invalid address, a did_you_mean, each `checks` form.
  await q(
    `INSERT INTO jobs (id, account_id, name, source, status, mode, total, unique_count, processed,
                       deliverable, undeliverable, risky, unknown, credits_reserved,
                       credits_charged, webhook_url, smtp, quick_mode, request_hash, columns,
                       delimiter, email_column, created_at, started_at, completed_at,
                       ingested_at, row_width, warnings, retention_days, expires_at)
     VALUES ($1, $2, 'old list', 'csv_file', 'completed', 'live', 6, 5, 6, 1, 3, 1, 1, 4, 3,
             'https://hooks.example.com/in', true, false, 'h', '["name","email"]'::jsonb, ',', 1,
             $3, $4, $5, $4, NULL, '[]'::jsonb, 30, $6)`,
    [
      jobId,
      accountId,
      T.created,
      T.started,
      T.completed,
      new Date(T.completed.getTime() + 30 * DAY),
    ],
  );
  await insertRow(jobId, 0, '["Alice",null]', 'Alice@Example.com', 'Alice@example.com');
  await insertRow(jobId, 1, '["Bob",null]', 'bob@example.com', 'bob@example.com');
  await insertRow(jobId, 2, '["Carol",null]', 'not-an-email', null);
  await insertRow(jobId, 3, '["Bob again",null]', 'bob@example.com', 'bob@example.com', 1);
  // Stored before packFields (the address kept in its cell too): read as it is.
  await insertRow(jobId, 4, '["Dan","dan@mail.test"]', 'dan@mail.test', 'dan@mail.test');
  // A ragged row, wider than the header; the job's row_width is null (ingested before it was
  // recorded), so the download measures it.
  await insertRow(jobId, 5, '["Eve, \\"E\\"",null,"vip"]', 'eve@gmial.com', 'eve@gmial.com');
  await insertResult(jobId, 0, 'deliverable', 'accepted_email', null, v1(CHECKS.alice), 120);
  await insertResult(jobId, 1, 'undeliverable', 'rejected_email', null, obj(CHECKS.bob), 80);
  await insertResult(jobId, 2, 'undeliverable', 'invalid_syntax', null, v1(CHECKS.invalid), 0);
  await insertResult(jobId, 4, 'risky', 'catch_all', null, v1(CHECKS.dan), 300);
  await insertResult(jobId, 5, 'unknown', 'no_connect', 'eve@gmail.com', obj(evePreProvider), 5000);
  // Its facts (source `job`, inline), and one of synchronous validation (no job).
  const fromJob = { source: 'job', job: jobId, at: T.facts };
  await insertFact({
    ...fromJob,
    normalized: 'Alice@example.com',
    status: 'deliverable',
    reason: 'accepted_email',
    checks: v1(CHECKS.alice),
  });
  await insertFact({
    ...fromJob,
    normalized: 'bob@example.com',
    status: 'undeliverable',
    reason: 'rejected_email',
    checks: obj(CHECKS.bob),
  });
  await insertFact({
    ...fromJob,
    normalized: 'dan@mail.test',
    status: 'risky',
    reason: 'catch_all',
    checks: v1(CHECKS.dan),
  });
  await insertFact({
    ...fromJob,
    normalized: 'eve@gmial.com',
    status: 'unknown',
    reason: 'no_connect',
    dym: 'eve@gmail.com',
    checks: obj(evePreProvider),
  });
  await insertFact({
    normalized: 'carl@example.com',
    status: 'deliverable',
    reason: 'accepted_email',
    checks: v1(CHECKS.carl),
    source: 'validate',
    job: null,
    at: T.sync,
  });
  // Its webhook, delivered.
  await q(
    `INSERT INTO webhook_events (id, job_id, account_id, type, url, payload, status, attempts,
                                 created_at, updated_at)
     VALUES ($1, $2, $3, 'job.completed', 'https://hooks.example.com/in', $4, 'delivered', 1, $5, $5)`,
    [
      eventId,
      jobId,
      accountId,
      JSON.stringify({ id: eventId, type: 'job.completed' }),
      T.completed,
    ],
  );
  await q(
    `INSERT INTO webhook_attempts (id, event_id, job_id, attempt, url, attempted_at, status_code,
                                   error, duration_ms, next_retry_at, success)
     VALUES ($1, $2, $3, 1, 'https://hooks.example.com/in', $4, 200, NULL, 42, NULL, true)`,
    ['wha_old', eventId, jobId, T.completed],
  );

  // A fact of a job purged before the upgrade (email_facts.job_id was no foreign key).
  await insertFact({
    normalized: 'gone@gone.test',
    status: 'risky',
    reason: 'catch_all',
    checks: v1(CHECKS.gone),
    source: 'job',
    job: goneJobId,
    at: T.facts,
  });
  // A job past its retention (list of addresses), its stored input, and a fact it left.
  await q(
    `INSERT INTO jobs (id, account_id, source, status, mode, total, unique_count, processed,
                       deliverable, credits_reserved, credits_charged, created_at, started_at,
                       completed_at, ingested_at, row_width, retention_days, expires_at)
     VALUES ($1, $2, 'emails', 'completed', 'live', 2, 2, 2, 2, 2, 2, $3, $3, $3, $3, 1, 1, $4)`,
    [expiredJobId, accountId, new Date(T.expired.getTime() - DAY), T.expired],
  );
  await q(`INSERT INTO job_uploads (job_id, seq, data) VALUES ($1, 0, '\\x61'::bytea)`, [
    expiredJobId,
  ]);
  for (const [idx, email] of ['old1@example.com', 'old2@example.com'].entries()) {
    await insertRow(expiredJobId, idx, null, email, email);
    await insertResult(
      expiredJobId,
      idx,
      'deliverable',
      'accepted_email',
      null,
      v1(CHECKS.carl),
      10,
    );
  }
  await insertFact({
    normalized: 'old1@example.com',
    status: 'deliverable',
    reason: 'accepted_email',
    checks: v1(CHECKS.carl),
    source: 'job',
    job: expiredJobId,
    at: T.facts,
  });
}

// ---- The upgrade ----------------------------------------------------------------------------

let h: Harness;
let applied: string[];
let oldNames: string[];
let ledgerBefore: unknown[];
const call = () => api(h.url, liveKey);

async function query<T extends pg.QueryResultRow>(text: string, params: unknown[] = [], at = url) {
  const client = new pg.Client({ connectionString: at });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}
const ledgerRows = () =>
  query(
    `SELECT kind, amount, balance_after, job_id, created_at FROM credit_ledger
      WHERE account_id = $1 ORDER BY id`,
    [accountId],
  );

/** A database as the release left it: its migrations, its data. */
async function oldDatabase(at: string): Promise<string[]> {
  await ensureDatabase(at);
  const client = new pg.Client({ connectionString: at });
  await client.connect();
  try {
    const names = await applyOldMigrations(client);
    await fillOldDatabase(client);
    return names;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  oldNames = await oldDatabase(url);
  ledgerBefore = await ledgerRows();
  applied = await migrate(url);
  h = await startHarness({ DATABASE_URL: url });
}, 60_000);

afterAll(async () => {
  await h?.close();
  await dropDatabase(url);
});

describe('a database of the release before issue 13 stored forms, migrated', () => {
  it('applies every migration after the release, once', async () => {
    expect(oldNames.at(-1)).toBe(LAST_OLD);
    expect(applied.length).toBeGreaterThan(0);
    expect(applied.every((n) => n > LAST_OLD)).toBe(true);
    expect(await migrate(url)).toEqual([]);
  });

  it('gives the job resource as before', async () => {
    const res = await call()('GET', `/v1/jobs/${jobId}`);
    expect(res.status).toBe(200);
    const self = `/v1/jobs/${jobId}`;
    expect(res.json).toEqual({
      id: jobId,
      object: 'job',
      name: 'old list',
      source: 'csv_file',
      status: 'completed',
      total: 6,
      unique: 5,
      processed: 6,
      progress: 100,
      counts: { deliverable: 1, undeliverable: 3, risky: 1, unknown: 1 },
      credits_reserved: 4,
      credits_charged: 3,
      webhook_url: 'https://hooks.example.com/in',
      mode: 'live',
      smtp: true,
      quick_mode: false,
      created_at: T.created.toISOString(),
      started_at: T.started.toISOString(),
      completed_at: T.completed.toISOString(),
      expires_at: new Date(T.completed.getTime() + 30 * DAY).toISOString(),
      warnings: [],
      links: { self, results: `${self}/results`, download: `${self}/results.csv` },
    });
  });

  const result = (
    index: number,
    email: string,
    normalized: string | null,
    status: string,
    reason: string,
    checks: object,
    o: { dym?: string; dup?: number; ms: number },
  ) => ({
    index,
    email,
    normalized,
    status,
    reason,
    did_you_mean: o.dym ?? null,
    duplicate_of: o.dup ?? null,
    checks,
    duration_ms: o.dup === undefined ? o.ms : 0,
  });
  const RESULTS = [
    result(
      0,
      'Alice@Example.com',
      'Alice@example.com',
      'deliverable',
      'accepted_email',
      CHECKS.alice,
      { ms: 120 },
    ),
    result(1, 'bob@example.com', 'bob@example.com', 'undeliverable', 'rejected_email', CHECKS.bob, {
      ms: 80,
    }),
    result(2, 'not-an-email', null, 'undeliverable', 'invalid_syntax', CHECKS.invalid, { ms: 0 }),
    result(3, 'bob@example.com', 'bob@example.com', 'undeliverable', 'rejected_email', CHECKS.bob, {
      dup: 1,
      ms: 80,
    }),
    result(4, 'dan@mail.test', 'dan@mail.test', 'risky', 'catch_all', CHECKS.dan, { ms: 300 }),
    result(5, 'eve@gmial.com', 'eve@gmial.com', 'unknown', 'no_connect', CHECKS.eve, {
      dym: 'eve@gmail.com',
      ms: 5000,
    }),
  ];

  it('gives the result pages (JSON) as before', async () => {
    const first = await call()('GET', `/v1/jobs/${jobId}/results?limit=4`);
    expect(first.status).toBe(200);
    expect(first.json.data).toEqual(RESULTS.slice(0, 4));
    const next = await call()(
      'GET',
      `/v1/jobs/${jobId}/results?limit=4&cursor=${first.json.next_cursor}`,
    );
    expect(next.json.data).toEqual(RESULTS.slice(4));
    const risky = await call()('GET', `/v1/jobs/${jobId}/results?status=undeliverable`);
    expect(risky.json.data).toEqual([RESULTS[1], RESULTS[2], RESULTS[3]]);
  });

  it('gives results.csv as before', async () => {
    const res = await call()(
      'GET',
      `/v1/jobs/${jobId}/results.csv?columns=domain,mx_host,catch_all,smtp_code,smtp_enhanced_code,duration_ms`,
    );
    expect(res.status).toBe(200);
    expect(res.text.split('\r\n')).toEqual([
      'name,email,column_3,mailsift_status,mailsift_reason,mailsift_did_you_mean,mailsift_normalized,' +
        'mailsift_duplicate_of,mailsift_provider,mailsift_gateway,mailsift_domain,mailsift_mx_host,' +
        'mailsift_catch_all,mailsift_smtp_code,mailsift_smtp_enhanced_code,mailsift_duration_ms',
      'Alice,Alice@Example.com,,deliverable,accepted_email,,Alice@example.com,,google,,example.com,mx.example.com,false,250,2.1.5,120',
      'Bob,bob@example.com,,undeliverable,rejected_email,,bob@example.com,,,mimecast,example.com,mx.example.com,false,550,5.1.1,80',
      'Carol,not-an-email,,undeliverable,invalid_syntax,,,,,,,,,,,0',
      'Bob again,bob@example.com,,undeliverable,rejected_email,,bob@example.com,3,,mimecast,example.com,mx.example.com,false,550,5.1.1,0',
      'Dan,dan@mail.test,,risky,catch_all,,dan@mail.test,,,,mail.test,mx.mail.test,true,250,,300',
      // Written before providers were detected: the cells are empty, as they were.
      '"Eve, ""E""",eve@gmial.com,vip,unknown,no_connect,eve@gmail.com,eve@gmial.com,,,,gmial.com,mx.gmial.com,,,,5000',
      '',
    ]);
  });

  it('gives the job summary as before', async () => {
    const res = await call()('GET', `/v1/jobs/${jobId}/summary`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      object: 'job_summary',
      job_id: jobId,
      status: 'completed',
      total: 6,
      processed: 6,
      counts: { deliverable: 1, undeliverable: 3, risky: 1, unknown: 1 },
      reasons: [
        { status: 'deliverable', reason: 'accepted_email', count: 1 },
        { status: 'risky', reason: 'catch_all', count: 1 },
        { status: 'undeliverable', reason: 'rejected_email', count: 2 },
        { status: 'undeliverable', reason: 'invalid_syntax', count: 1 },
        { status: 'unknown', reason: 'no_connect', count: 1 },
      ],
    });
  });

  it('lists the webhook attempts as before', async () => {
    const res = await call()('GET', `/v1/jobs/${jobId}/webhooks`);
    expect(res.json).toEqual({
      data: [
        {
          id: 'wha_old',
          object: 'webhook_attempt',
          event_id: eventId,
          event_type: 'job.completed',
          attempt: 1,
          url: 'https://hooks.example.com/in',
          status_code: 200,
          error: null,
          duration_ms: 42,
          attempted_at: T.completed.toISOString(),
          next_retry_at: null,
          success: true,
        },
      ],
    });
  });

  // example.com: Alice and Carl deliverable, Bob undeliverable; old1 is the expired job's, whose
  // facts went with it (a job's facts are read from the job since 20261202200000).
  const exampleCounts = { deliverable: 2, undeliverable: 1, risky: 0, unknown: 0 };
  const enrichment = (
    email: string,
    status: string,
    reason: string,
    checks: Checks,
    source: string,
    at: Date,
    counts: object,
    last: Date,
    dym: string | null = null,
  ) => ({
    success: true,
    status: 'found',
    email,
    result: { status, reason, did_you_mean: dym, checks, source, validated_at: at.toISOString() },
    domain: {
      name: checks.domain,
      mx_found: checks.mx_found,
      mx_host: checks.mx_host,
      disposable: checks.disposable,
      free: checks.free,
      catch_all: checks.catch_all,
      known_addresses: counts,
      last_validated_at: last.toISOString(),
    },
    remaining_credits: 99_994,
  });
  // The synchronously validated address: what it says of example.com, given the counts.
  const carlKnown = (counts: object) =>
    enrichment(
      'carl@example.com',
      'deliverable',
      'accepted_email',
      CHECKS.carl,
      'validate',
      T.sync,
      counts,
      T.sync,
    );
  const enrich = async (email: string) => {
    const res = await call()('GET', `/v1/enrichment?email=${encodeURIComponent(email)}`);
    expect(res.status).toBe(200);
    return res.json;
  };

  it("gives GET /v1/enrichment of a job's addresses and a synchronously validated one as before, each job verdict dated by the job's end", async () => {
    expect(await enrich('Alice@example.com')).toEqual(
      enrichment(
        'Alice@example.com',
        'deliverable',
        'accepted_email',
        CHECKS.alice,
        'job',
        T.completed,
        exampleCounts,
        T.sync,
      ),
    );
    expect(await enrich('dan@mail.test')).toEqual(
      enrichment(
        'dan@mail.test',
        'risky',
        'catch_all',
        CHECKS.dan,
        'job',
        T.completed,
        { deliverable: 0, undeliverable: 0, risky: 1, unknown: 0 },
        T.completed,
      ),
    );
    expect(await enrich('eve@gmial.com')).toEqual(
      enrichment(
        'eve@gmial.com',
        'unknown',
        'no_connect',
        CHECKS.eve,
        'job',
        T.completed,
        { deliverable: 0, undeliverable: 0, risky: 0, unknown: 1 },
        T.completed,
        'eve@gmail.com',
      ),
    );
    expect(await enrich('carl@example.com')).toEqual(carlKnown(exampleCounts));
  });

  it('gives GET /v1/enrichment of the fact of a job purged before the upgrade as before', async () => {
    expect(await enrich('gone@gone.test')).toEqual(
      enrichment(
        'gone@gone.test',
        'risky',
        'catch_all',
        CHECKS.gone,
        'job',
        T.facts,
        { deliverable: 0, undeliverable: 0, risky: 1, unknown: 0 },
        T.facts,
      ),
    );
  });

  it('purges the expired job by retention; the fact it left went with it', async () => {
    const report = await purgeExpired(h.deps);
    // Its upload part, 2 results, 2 rows; no fact is older than its retention.
    expect(report).toMatchObject({ jobs: 1, rows: 5, facts: 0, complete: true });
    expect(await query('SELECT id FROM jobs ORDER BY id')).toEqual([{ id: jobId }]);
    expect(await query('SELECT count(*)::int AS n FROM job_rows')).toEqual([{ n: 6 }]);
    expect(await query('SELECT count(*)::int AS n FROM results')).toEqual([{ n: 5 }]);
    expect((await enrich('old1@example.com')).status).toBe('not_found');
  });

  it('deletes the old job, its rows and results, and with them its facts; the rest stays', async () => {
    const res = await call()('DELETE', `/v1/jobs/${jobId}`);
    expect(res.status).toBe(204);
    await purgeDeletedJob(h.deps, jobId);
    expect((await call()('GET', `/v1/jobs/${jobId}`)).status).toBe(404);
    expect(await query('SELECT count(*)::int AS n FROM job_rows')).toEqual([{ n: 0 }]);
    expect(await query('SELECT count(*)::int AS n FROM results')).toEqual([{ n: 0 }]);
    expect(
      await query(`SELECT normalized FROM email_facts WHERE mode = 'live' ORDER BY normalized`),
    ).toEqual([{ normalized: 'carl@example.com' }, { normalized: 'gone@gone.test' }]);
    expect((await enrich('Alice@example.com')).status).toBe('not_found');
    expect(await enrich('carl@example.com')).toEqual(
      carlKnown({ deliverable: 1, undeliverable: 0, risky: 0, unknown: 0 }),
    );
  });

  it('keeps the ledger line for line, summing to the balance', async () => {
    expect(await ledgerRows()).toEqual(ledgerBefore);
    expect(ledgerBefore).toHaveLength(6);
    const [total] = await query<{ sum: number }>(
      'SELECT sum(amount)::int AS sum FROM credit_ledger WHERE account_id = $1',
      [accountId],
    );
    expect(total?.sum).toBe(99_994);
    expect((await call()('GET', '/v1/account')).json.remaining_credits).toBe(99_994);
  });
});

describe('npm start on a database of the release before', () => {
  const startUrl = Object.assign(new URL(url), { pathname: `${new URL(url).pathname}_start` });
  let child: ChildProcess | null = null;
  afterAll(async () => {
    if (child) await stopProcess(child, 'SIGKILL');
    await dropDatabase(startUrl.toString());
  });

  it('migrates it, starts cleanly, serves the old job and writes new facts over old ones', async () => {
    await oldDatabase(startUrl.toString());
    const port = await freePort();
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: startUrl.toString(),
        PORT: String(port),
        QUEUE_PREFIX: `mailsift-upgrade-${process.pid}-${port}`,
        LOG_LEVEL: 'info',
        DNS_CANARY_DOMAINS: 'none',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const base = `http://127.0.0.1:${port}`;
    await waitFor(
      async () => {
        if (child!.exitCode !== null) throw new Error(`npm start exited: ${out}`);
        return (await fetch(`${base}/readyz`).catch(() => null))?.ok;
      },
      { what: 'the API to be ready', timeoutMs: 60_000 },
    );
    const [migrations] = await query<{ n: number }>(
      'SELECT count(*)::int AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL',
      [],
      startUrl.toString(),
    );
    expect(migrations?.n).toBe(oldNames.length + applied.length);

    const live = api(base, liveKey);
    const page = await live('GET', `/v1/jobs/${jobId}/results?limit=10`);
    expect(page.json.data.map((r: { normalized: string | null }) => r.normalized)).toEqual([
      'Alice@example.com',
      'bob@example.com',
      null,
      'bob@example.com',
      'dan@mail.test',
      'eve@gmial.com',
    ]);

    // A new job over an address an old synchronous validation knew: the fact is the job's now.
    const test = api(base, testKey);
    const created = await test('POST', '/v1/jobs', {
      emails: ['deliverable@upgrade.test', 'undeliverable@upgrade.test'],
    });
    expect(created.status).toBe(201);
    await waitFor(
      async () => (await test('GET', `/v1/jobs/${created.json.id}`)).json.status === 'completed',
      { what: 'the new job to complete' },
    );
    const results = (await test('GET', `/v1/jobs/${created.json.id}/results`)).json.data;
    const known = (await test('GET', '/v1/enrichment?email=deliverable@upgrade.test')).json;
    expect(known.result).toMatchObject({
      status: 'deliverable',
      source: 'job',
      checks: results[0].checks,
    });
    expect(Date.parse(known.result.validated_at)).toBeGreaterThan(T.sync.getTime());
    expect(known.domain.known_addresses).toEqual({
      deliverable: 1,
      undeliverable: 1,
      risky: 0,
      unknown: 0,
    });

    expect(await stopProcess(child, 'SIGTERM')).toBe(0);
    // Nothing went wrong on the way: no error logged (pino level 50 and up).
    const errors = out.split('\n').filter((l) => /"level":(50|60)/.test(l));
    expect(errors).toEqual([]);
  }, 120_000);
});

describe('a job the release before left half done', () => {
  // Quick mode (DNS only): example.com has an MX, other.test none. Rows 0 and its duplicate 3
  // were verified by the old release (result in the first array form, its fact inline); 1, 2
  // (invalid) and 4 are left to the new code, from the chunk tasks the old release queued.
  const flightUrl = Object.assign(new URL(url), { pathname: `${new URL(url).pathname}_flight` });
  const flightJobId = id('job');
  const queuedJobId = id('job');
  let dns: DnsServer;
  let hf: Harness;
  beforeAll(async () => {
    dns = await startDnsServer(mxZones({ 'example.com': '127.0.0.2' }));
    await oldDatabase(flightUrl.toString());
    const client = new pg.Client({ connectionString: flightUrl.toString() });
    await client.connect();
    try {
      await client.query(
        `INSERT INTO jobs (id, account_id, source, status, mode, total, unique_count, processed,
                           deliverable, credits_reserved, smtp, quick_mode, created_at, started_at,
                           ingested_at, row_width)
         VALUES ($1, $2, 'emails', 'processing', 'live', 5, 4, 2, 2, 3, true, true, $3, $3, $3, 1)`,
        [flightJobId, accountId, T.sync],
      );
      const rows: [string, string | null, number | null][] = [
        ['a@example.com', 'a@example.com', null],
        ['b@example.com', 'b@example.com', null],
        ['bad-address', null, null],
        ['a@example.com', 'a@example.com', 0],
        ['c@other.test', 'c@other.test', null],
      ];
      for (const [idx, [email, normalized, dup]] of rows.entries()) {
        await client.query(
          `INSERT INTO job_rows (job_id, idx, fields, email, normalized, domain, syntax_valid, duplicate_of)
           VALUES ($1, $2, NULL, $3, $4, COALESCE(split_part($4, '@', 2), ''), $4 IS NOT NULL, $5)`,
          [flightJobId, idx, email, normalized, dup],
        );
      }
      // A job created by the old release and not ingested yet: its input, gzipped, in job_uploads.
      await client.query(
        `INSERT INTO jobs (id, account_id, source, status, mode, total, unique_count,
                           credits_reserved, smtp, quick_mode, created_at)
         VALUES ($1, $2, 'emails', 'queued', 'live', 3, 2, 2, true, true, $3)`,
        [queuedJobId, accountId, T.sync],
      );
      await client.query('INSERT INTO job_uploads (job_id, seq, data) VALUES ($1, 0, $2)', [
        queuedJobId,
        // A list is stored as one JSON string a line (src/domain/jobs/job-input.ts, unchanged).
        gzipSync('"X@Example.com"\n"nobody@other.test"\n"X@example.com"\n'),
      ]);
      await client.query(
        `INSERT INTO results (job_id, idx, status, reason, did_you_mean, checks, duration_ms, created_at)
         VALUES ($1, 0, 'deliverable', 'accepted_email', NULL, $2::jsonb, 7, $3)`,
        [flightJobId, v1(CHECKS.alice), T.sync],
      );
      await client.query(
        `INSERT INTO email_facts (account_id, mode, normalized, domain, status, reason, did_you_mean,
                                  checks, source, job_id, validated_at)
         VALUES ($1, 'live', 'a@example.com', 'example.com', 'deliverable', 'accepted_email', NULL,
                 $2::jsonb, 'job', $3, $4)`,
        [accountId, v1(CHECKS.alice), flightJobId, T.sync],
      );
    } finally {
      await client.end();
    }
    await migrate(flightUrl.toString());
    hf = await startHarness(
      { DATABASE_URL: flightUrl.toString(), DNS_SERVERS: dns.address },
      { workers: true },
    );
  }, 60_000);
  afterAll(async () => {
    await hf?.close();
    await dns?.close();
    await dropDatabase(flightUrl.toString());
  });

  it('is finished by the new release: old and new results together, counted and charged once', async () => {
    // The chunk task the old release queued: its bounds in its work order, [domain, idx]; the
    // first unique row in that order is the invalid one (domain '').
    await waitFor(async () => hf.deps.redis.status === 'ready', { what: 'the Redis connection' });
    await hf.deps.queues.enqueueMany('validate-chunk', [
      { jobId: flightJobId, chunk: 0, from: ['', 2], to: null },
    ]);
    const call = api(hf.url, liveKey);
    const job = await jobWhen(call, flightJobId, 'completed');
    const rows = (await call('GET', `/v1/jobs/${flightJobId}/results`)).json.data;
    expect(rows.map((r: any) => [r.email, r.normalized, r.duplicate_of])).toEqual([
      ['a@example.com', 'a@example.com', null],
      ['b@example.com', 'b@example.com', null],
      ['bad-address', null, null],
      ['a@example.com', 'a@example.com', 0],
      ['c@other.test', 'c@other.test', null],
    ]);
    // The old verdict read as the old release gave it, for the row and its duplicate.
    for (const i of [0, 3]) {
      expect(rows[i]).toMatchObject({
        status: 'deliverable',
        reason: 'accepted_email',
        checks: CHECKS.alice,
      });
    }
    expect(rows[2]).toMatchObject({ status: 'undeliverable', reason: 'invalid_syntax' });
    expect(rows[1].checks.domain).toBe('example.com');
    expect(rows[4].checks.domain).toBe('other.test');
    expect(rows.every((r: any) => r.status !== null)).toBe(true);

    const counts = { deliverable: 0, undeliverable: 0, risky: 0, unknown: 0 };
    for (const r of rows) counts[r.status as keyof typeof counts] += 1;
    // Unique addresses of valid syntax whose verdict is not unknown: 0, 1, 4.
    const earned = [0, 1, 4].filter((i) => rows[i].status !== 'unknown').length;
    expect(job).toMatchObject({
      processed: 5,
      counts,
      credits_reserved: 3,
      credits_charged: earned,
    });
    const ledger = await query<{
      kind: string;
      amount: number;
      balance_after: number;
      job_id: string | null;
    }>(
      'SELECT kind, amount, balance_after, job_id FROM credit_ledger ORDER BY id',
      [],
      flightUrl.toString(),
    );
    expect(ledger.filter((l) => l.job_id === flightJobId)).toEqual(
      earned === 3
        ? []
        : [
            {
              kind: 'refund',
              amount: 3 - earned,
              balance_after: 99_994 + 3 - earned,
              job_id: flightJobId,
            },
          ],
    );

    // The queued job, from the ingest task the old release queued.
    await hf.deps.queues.enqueue('ingest-job', { jobId: queuedJobId });
    const queued = await jobWhen(call, queuedJobId, 'completed');
    const queuedRows = (await call('GET', `/v1/jobs/${queuedJobId}/results`)).json.data;
    expect(queuedRows.map((r: any) => [r.email, r.normalized, r.duplicate_of, r.status])).toEqual([
      ['X@Example.com', 'X@example.com', null, 'deliverable'],
      ['nobody@other.test', 'nobody@other.test', null, 'undeliverable'],
      ['X@example.com', 'X@example.com', 0, 'deliverable'],
    ]);
    expect(queued).toMatchObject({
      total: 3,
      unique: 2,
      processed: 3,
      counts: { deliverable: 2, undeliverable: 1, risky: 0, unknown: 0 },
      credits_charged: 2,
    });

    // a@ and b@: the job's verdicts, read from its results, dated by its end (since
    // 20261202200000 a job's facts are not stored apart; the old inline fact of a@ went with it).
    const enrich = async (email: string) =>
      (await call('GET', `/v1/enrichment?email=${email}`)).json;
    expect((await enrich('a@example.com')).result).toEqual({
      status: 'deliverable',
      reason: 'accepted_email',
      did_you_mean: null,
      checks: CHECKS.alice,
      source: 'job',
      validated_at: job.completed_at,
    });
    const b = await enrich('b@example.com');
    expect(b.result).toMatchObject({
      status: rows[1].status,
      reason: rows[1].reason,
      checks: rows[1].checks,
      source: 'job',
    });
    expect(b.domain.name).toBe('example.com');
  });
});
