import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeExpired } from '../../../src/domain/retention/purge-expired.ts';
import { mxZones, startDnsServer, type DnsServer } from '../../support/dns-server.ts';
import {
  ADMIN_TOKEN,
  api,
  errorBytes,
  jobWhen,
  startHarness,
  waitFor,
  type Harness,
  type TestAccount,
} from '../../support/harness.ts';
import { operatorCli } from '../../support/operator-cli.ts';
import { startReceiver, type Receiver } from '../../support/webhook-receiver.ts';

// Issue 13 point 6: results retention (docs/retention.md). Jobs end in quick mode against a
// scripted DNS server, with a webhook, so every table that holds a job's data gets rows.

let h: Harness;
let dns: DnsServer;
let hooks: Receiver;
const DAY = 86_400_000;
const asAdmin = { authorization: `Bearer ${ADMIN_TOKEN}` };

beforeAll(async () => {
  dns = await startDnsServer(mxZones({ 'example.com': '127.0.0.2' }));
  hooks = await startReceiver();
  h = await startHarness(
    { DNS_SERVERS: dns.address, WEBHOOK_ALLOW_PRIVATE: 'true', RESULTS_RETENTION_DAYS: '10' },
    { workers: true },
  );
});
afterAll(async () => {
  await h?.close();
  await hooks?.close();
  await dns?.close();
});

const sql = <T = Record<string, unknown>>(text: string, ...params: unknown[]) =>
  h.deps.db.pool.query(text, params).then((r) => r.rows as T[]);

const emails = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => `${tag}.${i}@example.com`);

/** A live quick-mode job of `n` addresses with a webhook, run to its end. */
async function endedJob(acct: TestAccount, n: number, tag: string) {
  const call = api(h.url, acct.live);
  const created = await call('POST', '/v1/jobs', {
    emails: emails(n, tag),
    quick_mode: true,
    webhook_url: `${hooks.url}/${tag}`,
  });
  expect(created.status, created.text).toBe(201);
  expect(created.json.expires_at).toBeNull();
  const job = await jobWhen(call, created.json.id as string);
  // The webhook event's first attempt is recorded too: webhook_attempts holds rows of the job.
  await waitFor(
    async () => (await sql('SELECT 1 FROM webhook_attempts WHERE job_id = $1', job.id)).length > 0,
    { what: 'the webhook attempt' },
  );
  return job as { id: string; completed_at: string; expires_at: string };
}

/** Moves a job's end `days` into the past, as time passing would (its facts are its results). */
async function age(jobId: string, days: number) {
  await sql(
    `UPDATE jobs SET completed_at = completed_at - make_interval(days => $2),
                     expires_at = expires_at - make_interval(days => $2),
                     created_at = created_at - make_interval(days => $2)
      WHERE id = $1`,
    jobId,
    days,
  );
}

/** Each job's seq, looked up while its row exists: its rows are counted by it after the purge. */
const seqs = new Map<string, number>();

/** What the database holds of a job, table by table. */
async function holdings(jobId: string) {
  if (!seqs.has(jobId)) {
    const [job] = await sql<{ seq: number }>('SELECT seq FROM jobs WHERE id = $1', jobId);
    seqs.set(jobId, job!.seq);
  }
  const [row] = await sql<Record<string, number>>(
    `SELECT (SELECT count(*) FROM jobs WHERE id = $1)::int AS jobs,
            (SELECT count(*) FROM job_rows WHERE job_seq = $2)::int AS job_rows,
            (SELECT count(*) FROM results WHERE job_seq = $2)::int AS results,
            (SELECT count(*) FROM job_uploads WHERE job_id = $1)::int AS job_uploads,
            (SELECT count(*) FROM webhook_events WHERE job_id = $1)::int AS webhook_events,
            (SELECT count(*) FROM webhook_attempts WHERE job_id = $1)::int AS webhook_attempts,
            (SELECT count(*) FROM credit_ledger WHERE job_id = $1)::int AS ledger`,
    jobId,
    seqs.get(jobId),
  );
  return row!;
}

const gone = {
  jobs: 0,
  job_rows: 0,
  results: 0,
  job_uploads: 0,
  webhook_events: 0,
  webhook_attempts: 0,
};

/** Every route of a job, each answer's error bytes (time and request id blanked) or status. */
async function routes(call: ReturnType<typeof api>, jobId: string) {
  const answers: Record<string, string | number> = {};
  for (const [method, path] of [
    ['GET', `/v1/jobs/${jobId}`],
    ['GET', `/v1/jobs/${jobId}/results`],
    ['GET', `/v1/jobs/${jobId}/results.csv`],
    ['GET', `/v1/jobs/${jobId}/summary`],
    ['GET', `/v1/jobs/${jobId}/webhooks`],
    ['DELETE', `/v1/jobs/${jobId}`],
  ] as const) {
    const res = await call(method, path);
    answers[`${method} ${path.replace(jobId, '{id}')}`] =
      res.status === 404 ? errorBytes(res.text) : res.status;
  }
  return answers;
}

const purge = (batch?: number) =>
  purgeExpired(h.deps, { ...(batch !== undefined ? { batch } : {}) });

describe('expires_at', () => {
  it('when a job ends, then expires_at is completed_at plus RESULTS_RETENTION_DAYS, in the resource and its webhook', async () => {
    const acct = await h.account('business', 1_000);
    const job = await endedJob(acct, 3, 'stamp');
    expect(Date.parse(job.expires_at) - Date.parse(job.completed_at)).toBe(10 * DAY);
    const [event] = await sql<{ payload: string }>(
      'SELECT payload FROM webhook_events WHERE job_id = $1',
      job.id,
    );
    expect(JSON.parse(event!.payload).data.expires_at).toBe(job.expires_at);
    const list = await api(h.url, acct.live)('GET', '/v1/jobs');
    expect(list.json.data[0]).toMatchObject({ id: job.id, expires_at: job.expires_at });
  });
});

describe('an expired job', () => {
  let acct: TestAccount;
  let call: ReturnType<typeof api>;
  let expired: { id: string };
  let kept: { id: string };
  let other: { id: string };
  let otherAcct: TestAccount;
  const missing = 'job_000000000000000000000000';

  beforeAll(async () => {
    acct = await h.account('business', 1_000);
    otherAcct = await h.account('business', 1_000);
    call = api(h.url, acct.live);
    expired = await endedJob(acct, 50, 'old');
    kept = await endedJob(acct, 4, 'fresh');
    other = await endedJob(otherAcct, 5, 'other');
    // Ended 11 days ago with a retention of 10: expired yesterday. `kept` ended 9 days ago.
    await age(expired.id, 11);
    await age(kept.id, 9);
    const validated = await call('POST', '/v1/validate', {
      email: 'sync.old@example.com',
      quick_mode: true,
    });
    expect(validated.status, validated.text).toBe(200);
    await sql(
      `UPDATE email_facts SET validated_at = validated_at - interval '11 days' WHERE normalized = $1`,
      'sync.old@example.com',
    );
  });

  it('when its expires_at has passed, then every job route answers 404 exactly as a job that never existed, and the list leaves it out', async () => {
    const answers = await routes(call, expired.id);
    const never = await routes(call, missing);
    expect(Object.values(never).every((a) => typeof a === 'string')).toBe(true);
    expect(answers).toEqual(never);
    expect(JSON.parse(answers['GET /v1/jobs/{id}'] as string).error.code).toBe('NOT_FOUND');

    const ids = (await call('GET', '/v1/jobs')).json.data.map((j: { id: string }) => j.id);
    expect(ids).toContain(kept.id);
    expect(ids).not.toContain(expired.id);
    // Not purged yet: the 404 comes from expires_at alone.
    expect(await holdings(expired.id)).toMatchObject({ jobs: 1, job_rows: 50, results: 50 });
  });

  it('when GET /v1/enrichment asks for an address of the expired job, then it is not found; one of a live job is', async () => {
    const oldFact = await call('GET', '/v1/enrichment?email=old.1@example.com');
    expect(oldFact.status).toBe(200);
    expect(oldFact.json).toMatchObject({ status: 'not_found' });
    const freshFact = await call('GET', '/v1/enrichment?email=fresh.1@example.com');
    expect(freshFact.json).toMatchObject({ status: 'found', email: 'fresh.1@example.com' });
    // The domain's known addresses count the fresh job's 4, none of the expired job's 50 nor the
    // expired synchronous validation.
    const known = freshFact.json.domain.known_addresses as Record<string, number>;
    expect(Object.values(known).reduce((a, b) => a + b, 0)).toBe(4);
    expect((await call('GET', '/v1/enrichment?email=sync.old@example.com')).json.status).toBe(
      'not_found',
    );
  });

  it('when the purge runs with batches of 7 rows, then the job, its rows, results, upload, facts and webhook log are gone, the ledger keeps its lines without addresses, and other jobs are untouched', async () => {
    const before = {
      expired: await holdings(expired.id),
      kept: await holdings(kept.id),
      other: await holdings(other.id),
    };
    expect(before.expired).toMatchObject({ job_rows: 50, results: 50, webhook_events: 1 });
    expect(before.expired.webhook_attempts).toBeGreaterThan(0);
    expect(before.expired.ledger).toBeGreaterThan(0);

    const report = await purge(7);
    expect(report.complete).toBe(true);
    expect(report.jobs).toBeGreaterThanOrEqual(1);
    // The synchronous validation's fact, 11 days old: the only fact stored apart from a job.
    expect(report.facts).toBeGreaterThanOrEqual(1);
    expect(
      await sql('SELECT 1 FROM email_facts WHERE normalized = $1', 'sync.old@example.com'),
    ).toEqual([]);
    // 50 results and 50 rows in statements of at most 7: at least 8 each.
    expect(report.rows).toBeGreaterThanOrEqual(100);
    expect(report.statements).toBeGreaterThanOrEqual(16);

    expect(await holdings(expired.id)).toEqual({ ...gone, ledger: before.expired.ledger });
    expect(await holdings(kept.id)).toEqual(before.kept);
    expect(await holdings(other.id)).toEqual(before.other);

    const ledger = await sql<Record<string, unknown>>(
      'SELECT * FROM credit_ledger WHERE job_id = $1',
      expired.id,
    );
    expect(ledger.length).toBe(before.expired.ledger);
    expect(JSON.stringify(ledger)).not.toMatch(/@|old\.\d/);
  });

  it('when the purge has run, then the job routes still answer 404 as a missing job, the list and enrichment still leave it out, and a second purge finds nothing', async () => {
    expect(await routes(call, expired.id)).toEqual(await routes(call, missing));
    const ids = (await call('GET', '/v1/jobs')).json.data.map((j: { id: string }) => j.id);
    expect(ids).not.toContain(expired.id);
    expect(ids).toContain(kept.id);
    expect((await call('GET', '/v1/enrichment?email=old.1@example.com')).json.status).toBe(
      'not_found',
    );
    const again = await purge(7);
    expect(again).toMatchObject({ jobs: 0, rows: 0, complete: true });
    expect((await call('GET', `/v1/jobs/${kept.id}`)).status).toBe(200);
    expect((await api(h.url, otherAcct.live)('GET', `/v1/jobs/${other.id}`)).status).toBe(200);
  });
});

describe('jobs that have not ended', () => {
  it('when a queued and a processing job are a year old, then they have no expires_at, answer 200, and the purge leaves every row of them', async () => {
    // A harness without workers: its jobs stay queued (the sweep that would take them is off).
    const idle = await startHarness({ RESULTS_RETENTION_DAYS: '1' });
    try {
      const acct = await idle.account('business', 1_000);
      const call = api(idle.url, acct.live);
      const queued = (await call('POST', '/v1/jobs', { emails: emails(6, 'q'), quick_mode: true }))
        .json;
      const running = (await call('POST', '/v1/jobs', { emails: emails(6, 'r'), quick_mode: true }))
        .json;
      await sql(
        `UPDATE jobs SET created_at = now() - interval '400 days',
                         started_at = CASE WHEN id = $2 THEN now() - interval '399 days' END,
                         status = CASE WHEN id = $2 THEN 'processing' ELSE status END
          WHERE id IN ($1, $2)`,
        queued.id,
        running.id,
      );
      // An operator shortening the retention does not touch them either.
      const patch = await api(idle.url)(
        'PATCH',
        `/admin/accounts/${acct.id}`,
        { results_retention_days: 1 },
        asAdmin,
      );
      expect(patch.status).toBe(200);
      const before = [await holdings(queued.id), await holdings(running.id)];
      await purge();
      expect([await holdings(queued.id), await holdings(running.id)]).toEqual(before);
      expect(before[0]).toMatchObject({ jobs: 1, job_uploads: 1 });
      for (const id of [queued.id, running.id]) {
        const job = await call('GET', `/v1/jobs/${id}`);
        expect(job.status).toBe(200);
        expect(job.json.expires_at).toBeNull();
      }
      const [stamp] = await sql<{ retention_days: number }>(
        'SELECT retention_days FROM jobs WHERE id = $1',
        running.id,
      );
      expect(stamp!.retention_days).toBe(1);
    } finally {
      await idle.close();
    }
  });
});

describe("an account's own retention", () => {
  const patch = (id: string, body: unknown) =>
    api(h.url)('PATCH', `/admin/accounts/${id}`, body, asAdmin);

  it('when an operator gives an account 2 days, then its jobs expire 2 days after they end, at once for ended ones, while another account keeps the default', async () => {
    const short = await h.account('business', 1_000);
    const usual = await h.account('business', 1_000);
    const a = await endedJob(short, 3, 'short');
    const b = await endedJob(usual, 3, 'usual');
    await age(a.id, 3);
    await age(b.id, 3);
    expect((await api(h.url, short.live)('GET', `/v1/jobs/${a.id}`)).status).toBe(200);

    const set = await patch(short.id, { results_retention_days: 2 });
    expect(set.status, set.text).toBe(200);
    expect(set.json).toEqual({
      id: short.id,
      plan: 'business',
      monthly_quota: 100_000,
      custom_quota: false,
      results_retention_days: 2,
      custom_retention: true,
    });
    // Ended 3 days ago, kept 2: gone now. The other account's job, same age, keeps 10.
    expect((await api(h.url, short.live)('GET', `/v1/jobs/${a.id}`)).status).toBe(404);
    expect((await api(h.url, usual.live)('GET', `/v1/jobs/${b.id}`)).status).toBe(200);

    // A new job of the account is created with its 2 days.
    const c = await endedJob(short, 2, 'short2');
    expect(Date.parse(c.expires_at) - Date.parse(c.completed_at)).toBe(2 * DAY);

    // Back to the default before the purge: the job is 10 days' again.
    const back = await patch(short.id, { results_retention_days: null });
    expect(back.json).toMatchObject({ results_retention_days: 10, custom_retention: false });
    const again = await api(h.url, short.live)('GET', `/v1/jobs/${a.id}`);
    expect(again.status).toBe(200);
    expect(Date.parse(again.json.expires_at) - Date.parse(again.json.completed_at)).toBe(10 * DAY);

    const listed = await api(h.url)('GET', '/admin/accounts?limit=100', undefined, asAdmin);
    const row = listed.json.data.find((x: { id: string }) => x.id === short.id);
    expect(row.results_retention_days).toBeNull();
  });

  it('when the retention is not a whole number of days from 1 to 3650, then 400 naming results_retention_days, nothing changes; an unknown account is 404', async () => {
    const acct = await h.account('free', 10);
    for (const value of [0, -1, 1.5, '9', 3651, true]) {
      const res = await patch(acct.id, { results_retention_days: value });
      expect(res.status, JSON.stringify(value)).toBe(400);
      expect(res.json.error.code).toBe('VALIDATION_ERROR');
      expect(Object.keys(res.json.error.details.fields)).toEqual(['results_retention_days']);
    }
    expect((await patch(acct.id, { results_retention_days: 0 })).json.error.details.fields).toEqual(
      { results_retention_days: ['Must be at least 1 day.'] },
    );
    const row = await h.deps.db.prisma.account.findUniqueOrThrow({ where: { id: acct.id } });
    expect(row.resultsRetentionDays).toBeNull();
    const missing = await patch('acct_nope', { results_retention_days: 5 });
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe('NOT_FOUND');
  });

  it('when an expired job held an Idempotency-Key, then the same key makes a new job', async () => {
    const acct = await h.account('business', 1_000);
    const call = api(h.url, acct.live);
    const body = { emails: emails(2, 'idem'), quick_mode: true };
    const first = await call('POST', '/v1/jobs', body, { 'idempotency-key': 'retention-1' });
    await jobWhen(call, first.json.id);
    await age(first.json.id, 11);
    const second = await call('POST', '/v1/jobs', body, { 'idempotency-key': 'retention-1' });
    expect(second.status).toBe(201);
    expect(second.json.id).not.toBe(first.json.id);
    expect((await call('GET', `/v1/jobs/${first.json.id}`)).status).toBe(404);
  });
});

// The CLI runs in a deployment whose default is the harness's.
const cli = (...args: string[]) =>
  operatorCli(h.config.db.url, args, { RESULTS_RETENTION_DAYS: '10' });

describe('the operator CLI', () => {
  it('when an operator runs `set-retention ACCOUNT 7`, then jobs ended 8 days ago are 404 at once; `default` brings back RESULTS_RETENTION_DAYS', async () => {
    const acct = await h.account('business', 1_000);
    const job = await endedJob(acct, 2, 'cli');
    await age(job.id, 8);
    const call = api(h.url, acct.live);
    expect((await call('GET', `/v1/jobs/${job.id}`)).status).toBe(200);

    const set = await cli('set-retention', acct.id, '7');
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({
      id: acct.id,
      results_retention_days: 7,
      custom_retention: true,
      jobs_updated: 1,
    });
    expect((await call('GET', `/v1/jobs/${job.id}`)).status).toBe(404);

    const back = await cli('set-retention', acct.id, 'default');
    expect(back.code, back.stderr).toBe(0);
    expect(JSON.parse(back.stdout)).toMatchObject({
      results_retention_days: 10,
      custom_retention: false,
    });
    expect((await call('GET', `/v1/jobs/${job.id}`)).status).toBe(200);
  }, 240_000);

  it('when the days are not a whole number from 1 to 3650, the account unknown or DAYS missing, then one readable line says what is wrong', async () => {
    const acct = await h.account('free', 10);
    const cases: [string[], number, string][] = [
      [[acct.id, 'abc'], 1, "DAYS: 'abc' is not a number."],
      [[acct.id, '0'], 1, 'DAYS: Must be at least 1 day.'],
      [[acct.id, '2.5'], 1, 'DAYS: Must be a whole number of days.'],
      [[acct.id, '4000'], 1, 'DAYS: Must be at most 3650 days.'],
      // A negative number is DAYS, not an unknown option.
      [[acct.id, '-3'], 1, 'DAYS: Must be at least 1 day.'],
      [['acct_nope', '5'], 1, 'NOT_FOUND'],
      [[acct.id], 2, 'set-retention needs DAYS'],
    ];
    for (const [args, code, message] of cases) {
      const run = await cli('set-retention', ...args);
      expect(run.code, args.join(' ')).toBe(code);
      expect(run.stderr).toContain(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
    const row = await h.deps.db.prisma.account.findUniqueOrThrow({ where: { id: acct.id } });
    expect(row.resultsRetentionDays).toBeNull();
  }, 240_000);
});

describe('the scheduled purge', () => {
  it('when workers run with RETENTION_PURGE_INTERVAL_MS, then the purge-expired task removes an expired job by itself', async () => {
    const acct = await h.account('business', 1_000);
    const job = await endedJob(acct, 3, 'sched');
    await age(job.id, 11);
    const scheduled = await startHarness(
      { RETENTION_PURGE_INTERVAL_MS: '500', RESULTS_RETENTION_DAYS: '10' },
      { workers: true },
    );
    try {
      await waitFor(async () => (await holdings(job.id)).jobs === 0, {
        what: 'the scheduled purge',
      });
      const schedulers = await scheduled.deps.queues.queue('jobs').getJobSchedulers();
      expect(schedulers.map((s) => [s.key, s.every])).toEqual([['purge-expired', 500]]);
    } finally {
      await scheduled.close();
    }
  });
});
