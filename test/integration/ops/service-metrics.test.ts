import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { namedMxZones } from '../../support/dns-server.ts';
import {
  api,
  jobWhen,
  startHarness,
  waitFor,
  type Harness,
  type TestAccount,
} from '../../support/harness.ts';
import { startMailWorld } from '../../support/mail-world.ts';
import { metricFamilies, parseSamples, sumOf } from '../../support/prom-text.ts';
import { startReceiver, type Receiver } from '../../support/webhook-receiver.ts';
import { FAST_WEBHOOKS } from '../../support/webhooks.ts';
import { promqlMetricNames } from '../../support/promql-names.ts';

// Real work through the whole service (a live job probed over real SMTP and DNS on loopback, its
// webhook to a real receiver, a test-key job, a synchronous validation), then /metrics read the
// way Prometheus reads it: every value must have moved by what the work did, and every metric
// name in docs/operations.md's dashboard and alert rules must be one this /metrics serves.

const BLOCKED =
  '5.7.1 Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been blocked.';

let h: Harness;
let acct: TestAccount;
let mail: Awaited<ReturnType<typeof startMailWorld>>;
let receiver: Receiver;
/** /metrics before any work, and after all of it. */
let before: string;
let after: string;
let liveJob: any;
let testJob: any;

const scrape = async () => {
  const res = await api(h.url)('GET', '/metrics');
  expect(res.status).toBe(200);
  return res.text;
};
const delta = (name: string, labels: Record<string, string> = {}) =>
  sumOf(after, name, labels) - sumOf(before, name, labels);
const smtpTotals = () => ({
  sessions: mail.smtp.servers.reduce((n, s) => n + s.sessions, 0),
  rcpts: mail.smtp.servers.reduce((n, s) => n + s.rcpts.length, 0),
});

beforeAll(async () => {
  mail = await startMailWorld(
    [
      { host: '127.0.0.91', behaviour: { knownUsers: ['alice'] } },
      { host: '127.0.0.92', behaviour: { acceptAll: true } },
      // A Google Workspace MX (providers.ts) that refuses our IP.
      { host: '127.0.0.93', behaviour: { rcpt: () => ({ code: 550, message: BLOCKED }) } },
    ],
    { 'good.test': '127.0.0.91', 'catch.test': '127.0.0.92' },
    {
      'gone.test': { nxdomain: true },
      ...namedMxZones({ 'gws.test': ['aspmx.l.google.com', '127.0.0.93'] }),
    },
  );
  h = await startHarness(
    // Deadlines far above what loopback needs: a loaded machine must not turn a verdict unknown.
    { ...mail.env, ...FAST_WEBHOOKS, SMTP_TIMEOUT_MS: '20000', DNS_TIMEOUT_MS: '10000' },
    { workers: true },
  );
  acct = await h.account('business', 100);
  receiver = await startReceiver((n) => ({ status: n === 0 ? 500 : 200 }));

  before = await scrape();
  const smtpBefore = smtpTotals();
  const dnsBefore = mail.dns.log.length;

  const live = api(h.url, acct.live);
  const created = await live('POST', '/v1/jobs', {
    emails: [
      'alice@good.test',
      'carol@good.test',
      'anyone@catch.test',
      'someone@gone.test',
      'bob@gws.test',
      'alice@good.test',
      'bad address',
    ],
    smtp: true,
    webhook_url: `${receiver.url}/hooks`,
  });
  expect(created.status, created.text).toBe(201);
  liveJob = await jobWhen(live, created.json.id, 'completed', 60_000);
  await receiver.waitForRequests(2, 20_000);

  const test = api(h.url, acct.test);
  const createdTest = await test('POST', '/v1/jobs', {
    emails: ['deliverable@example.com', 'catchall@example.com', 'blocked@example.com'],
  });
  expect(createdTest.status, createdTest.text).toBe(201);
  testJob = await jobWhen(test, createdTest.json.id, 'completed', 30_000);

  // A batch with a duplicate and a bad address: one verdict each for the two unique entries.
  const sync = await live('POST', '/v1/validate/batch', {
    emails: ['alice@good.test', 'not an address', 'alice@good.test'],
  });
  expect(sync.status, sync.text).toBe(200);
  expect(sync.json.results.map((r: { status: string }) => r.status)).toEqual([
    'deliverable',
    'undeliverable',
    'deliverable',
  ]);

  // The webhook's second attempt is counted once its answer is recorded; sessions once closed.
  after = await waitFor(
    async () => {
      const text = await scrape();
      const attempts = sumOf(text, 'mailsift_webhook_attempts_total');
      const closed = sumOf(text, 'mailsift_smtp_session_duration_seconds_count');
      const opened = sumOf(text, 'mailsift_smtp_sessions_total');
      return attempts - sumOf(before, 'mailsift_webhook_attempts_total') >= 2 &&
        closed - sumOf(before, 'mailsift_smtp_session_duration_seconds_count') >=
          opened - sumOf(before, 'mailsift_smtp_sessions_total', { outcome: 'connect_failed' })
        ? text
        : null;
    },
    { what: 'the last webhook attempt and SMTP session in /metrics', timeoutMs: 20_000 },
  );
  const smtpAfter = smtpTotals();
  smtp = {
    sessions: smtpAfter.sessions - smtpBefore.sessions,
    rcpts: smtpAfter.rcpts - smtpBefore.rcpts,
  };
  // A client resends a question it got no answer to in time (same id): one lookup, two packets.
  dnsQueries = new Set(
    mail.dns.log.slice(dnsBefore).map((q) => `${q.id} ${q.name} ${q.type} ${q.transport}`),
  ).size;
}, 120_000);
let smtp: { sessions: number; rcpts: number };
let dnsQueries: number;

afterAll(async () => {
  await receiver?.close();
  await h?.close();
  await mail?.close();
});

describe('service metrics after real work', () => {
  it('when a live and a test job complete, then verdicts_total by mode and status equals each job’s counts less its duplicates, and by reason its results', async () => {
    for (const [mode, job, key] of [
      ['live', liveJob, acct.live],
      ['test', testJob, acct.test],
    ] as const) {
      const rows = (await api(h.url, key)('GET', `/v1/jobs/${job.id}/results`)).json.data as {
        status: string;
        reason: string;
        duplicate_of: number | null;
      }[];
      expect(rows).toHaveLength(job.total);
      // A duplicate copies its first's verdict: it is one verdict, as it is one credit.
      const unique = rows.filter((r) => r.duplicate_of === null);
      for (const status of ['deliverable', 'undeliverable', 'risky', 'unknown']) {
        const copies = rows.filter((r) => r.duplicate_of !== null && r.status === status).length;
        expect(
          delta('mailsift_verdicts_total', { source: 'job', mode, status }),
          `${mode} ${status}`,
        ).toBe(job.counts[status] - copies);
      }
      const byReason = new Map<string, number>();
      for (const r of unique) byReason.set(r.reason, (byReason.get(r.reason) ?? 0) + 1);
      for (const [reason, n] of byReason)
        expect(delta('mailsift_verdicts_total', { source: 'job', mode, reason }), reason).toBe(n);
      if (mode === 'live') expect(byReason.get('blocked')).toBe(1);
    }
    expect(
      delta('mailsift_verdicts_total', { source: 'sync', mode: 'live', status: 'deliverable' }),
    ).toBe(1);
    expect(
      delta('mailsift_verdicts_total', { source: 'sync', mode: 'live', reason: 'invalid_syntax' }),
    ).toBe(1);
    expect(delta('mailsift_verdicts_total', { source: 'sync' })).toBe(2);
    expect(delta('mailsift_jobs_created_total', { mode: 'live' })).toBe(1);
    expect(delta('mailsift_jobs_created_total', { mode: 'test' })).toBe(1);
    expect(
      delta('mailsift_job_duration_seconds_count', { mode: 'live', status: 'completed' }),
    ).toBe(1);
    expect(
      delta('mailsift_job_duration_seconds_count', { mode: 'test', status: 'completed' }),
    ).toBe(1);
    expect(
      delta('mailsift_chunk_duration_seconds_count', { mode: 'live', outcome: 'ok' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      delta('mailsift_chunk_duration_seconds_count', { mode: 'test', outcome: 'ok' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('when credits are reserved, charged and refunded, then the credit counters equal the job, the request and the ledger', async () => {
    expect(liveJob).toMatchObject({ credits_reserved: 5, credits_charged: 4 });
    expect(delta('mailsift_credits_reserved_total', { source: 'job' })).toBe(5);
    expect(delta('mailsift_credits_charged_total', { source: 'job' })).toBe(4);
    expect(delta('mailsift_credits_refunded_total', { source: 'job' })).toBe(1);
    expect(delta('mailsift_credits_reserved_total', { source: 'sync' })).toBe(1);
    expect(delta('mailsift_credits_charged_total', { source: 'sync' })).toBe(1);
    // What the ledger took from the account is what the metrics say was charged.
    const ledger = await h.deps.db.prisma.creditLedger.findMany({ where: { accountId: acct.id } });
    const spent = -ledger.filter((l) => l.kind !== 'topup').reduce((n, l) => n + l.amount, 0);
    expect(spent).toBe(5);
    expect(delta('mailsift_credits_charged_total')).toBe(spent);
    expect(delta('mailsift_credits_reserved_total')).toBe(
      delta('mailsift_credits_charged_total') + delta('mailsift_credits_refunded_total'),
    );
  });

  it('when addresses are probed over SMTP, then sessions and RCPT replies per provider equal what the servers saw', async () => {
    expect(smtp.rcpts).toBeGreaterThan(0);
    expect(delta('mailsift_smtp_replies_total', { command: 'rcpt' })).toBe(smtp.rcpts);
    const reached =
      delta('mailsift_smtp_sessions_total') -
      delta('mailsift_smtp_sessions_total', { outcome: 'connect_failed' });
    expect(reached).toBe(smtp.sessions);
    expect(delta('mailsift_smtp_session_duration_seconds_count')).toBe(smtp.sessions);
    // The Google Workspace MX answered every RCPT with a 5xx, and its probe concluded `blocked`.
    expect(
      delta('mailsift_smtp_replies_total', { provider: 'google', command: 'rcpt', class: '5xx' }),
    ).toBe(mail.smtp.servers[2]!.rcpts.length);
    expect(
      delta('mailsift_smtp_replies_total', { provider: 'google', command: 'rcpt', class: '2xx' }),
    ).toBe(0);
    expect(delta('mailsift_probe_results_total', { provider: 'google', reason: 'blocked' })).toBe(
      1,
    );
    expect(
      delta('mailsift_smtp_sessions_total', { provider: 'other', outcome: 'opened' }),
    ).toBeGreaterThanOrEqual(2);
    expect(
      delta('mailsift_smtp_replies_total', { provider: 'other', command: 'rcpt', class: '5xx' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      delta('mailsift_smtp_replies_total', { provider: 'other', command: 'banner', class: '2xx' }),
    ).toBe(delta('mailsift_smtp_sessions_total', { provider: 'other', outcome: 'opened' }));
  });

  it('when domains are resolved, then DNS lookups by type and outcome add up to the queries the server received', () => {
    expect(dnsQueries).toBeGreaterThan(0);
    expect(delta('mailsift_dns_lookups_total')).toBe(dnsQueries);
    expect(delta('mailsift_dns_lookups_total', { type: 'MX', outcome: 'nxdomain' })).toBe(1);
    expect(
      delta('mailsift_dns_lookups_total', { type: 'MX', outcome: 'noerror' }),
    ).toBeGreaterThanOrEqual(3);
    expect(delta('mailsift_dns_lookup_duration_seconds_count')).toBe(dnsQueries);
  });

  it('when the webhook receiver fails once and then accepts, then one retry with 5xx and one delivery with 2xx are counted', () => {
    expect(receiver.requests).toHaveLength(2);
    expect(delta('mailsift_webhook_attempts_total', { outcome: 'retry', response: '5xx' })).toBe(1);
    expect(
      delta('mailsift_webhook_attempts_total', { outcome: 'delivered', response: '2xx' }),
    ).toBe(1);
    expect(delta('mailsift_webhook_attempts_total')).toBe(2);
    expect(delta('mailsift_webhook_attempt_duration_seconds_count')).toBe(2);
  });

  it('when the dashboard and the alert rules of docs/operations.md are read, then every metric they query is one /metrics serves', () => {
    // Served: every sample's name, and every family /metrics declares (a labelled series appears
    // once something happened; its family is declared from the start).
    const served = new Set([
      ...parseSamples(after).map((s) => s.name),
      ...metricFamilies(after).keys(),
    ]);
    const dashboard = JSON.parse(readFileSync('docs/grafana/mailsift-dashboard.json', 'utf8'));
    // Importable: a title and uid, a Prometheus data source variable every query uses, panel
    // ids that do not clash, and a refId on each query.
    expect(dashboard).toMatchObject({ title: 'mailsift', uid: expect.any(String) });
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    );
    const ids = panelsOf(dashboard).map((p: any) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panelsOf(dashboard).filter((p: any) => p.type !== 'row')) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(p.gridPos.w, p.title).toBeGreaterThan(0);
      for (const t of p.targets) expect(t.refId, p.title).toMatch(/^[A-Z]$/);
    }
    const exprs = panelsOf(dashboard).flatMap((p: any) =>
      (p.targets ?? []).map((t: any) => t.expr as string),
    );
    expect(exprs.length).toBeGreaterThanOrEqual(12);
    const used = new Set(exprs.flatMap((e) => promqlMetricNames(e)));
    expect([...used].filter((n) => !served.has(n))).toEqual([]);
    // Every family this service adds is on the dashboard.
    const ours = [...metricFamilies(after).keys()].filter((f) => f.startsWith('mailsift_'));
    const shown = (f: string) => [...used].some((n) => n === f || n.startsWith(`${f}_`));
    expect(ours.filter((f) => !shown(f))).toEqual([]);

    const rules = parse(readFileSync('docs/prometheus/mailsift-alerts.yml', 'utf8')) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    const alerts = rules.groups.flatMap((g) => g.rules);
    expect(alerts.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'MailsiftQueueStuck',
        'MailsiftWebhooksFailing',
        'MailsiftProbesBlocked',
      ]),
    );
    const inRules = alerts.flatMap((r) => promqlMetricNames(r.expr));
    expect(inRules).toEqual(expect.arrayContaining(['mailsift_queue_oldest_waiting_seconds']));
    expect(inRules.filter((n) => !served.has(n))).toEqual([]);
  });
});

function panelsOf(dashboard: any): any[] {
  return (dashboard.panels as any[]).flatMap((p) => [p, ...(p.panels ?? [])]);
}
