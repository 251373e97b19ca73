import { describe, expect, it } from 'vitest';
import { mxZones, startDnsServer } from '../../support/dns-server.ts';
import {
  api,
  csvForm,
  jobWhen,
  startHarness,
  waitFor,
  useHarness,
  useAccount,
} from '../../support/harness.ts';
import { dropCounters } from '../../support/limits.ts';
import { pageResults } from '../../../src/data/jobs.repository.ts';

const h = useHarness({}, { workers: true });
const acct = useAccount(h, 'business', 1000);

const balanceOf = async (id: string) =>
  (await h.deps.db.prisma.account.findUniqueOrThrow({ where: { id } })).creditBalance;

describe('POST /v1/jobs with a JSON list', () => {
  it('when the list holds duplicates, then they point at their first occurrence and are not charged', async () => {
    const call = api(h.url, acct.live);
    const before = await balanceOf(acct.id);
    const emails = [
      'a@Example.com',
      ' a@example.COM',
      'b@example.com',
      'nope',
      'a@example.com',
      'c@example.org',
    ];
    const created = await call('POST', '/v1/jobs', {
      emails,
      name: 'list',
      smtp: false,
      quick_mode: true,
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      source: 'emails',
      total: 6,
      unique: 4,
      credits_reserved: 3,
      mode: 'live',
    });
    const reserve = await h.deps.db.prisma.creditLedger.findFirst({
      where: { jobId: created.json.id, kind: 'reserve' },
    });
    expect(reserve).toMatchObject({ amount: -3, balanceAfter: before - 3 });

    const rows = await waitFor(
      async () => {
        // Through the data layer: job_rows stores a normalised address only where it differs.
        const found = await pageResults(h.deps.db.prisma, created.json.id, {
          afterIdx: -1,
          limit: 10,
          statuses: null,
          onlyDone: false,
        });
        return found.length === 6 && found;
      },
      { what: 'rows ingested' },
    );
    expect(rows.map((r) => [r.normalized, r.duplicate_of])).toEqual([
      ['a@example.com', null],
      ['a@example.com', 0],
      ['b@example.com', null],
      [null, null],
      ['a@example.com', 0],
      ['c@example.org', null],
    ]);
    const ledger = await h.deps.db.prisma.creditLedger.findMany({
      where: { jobId: created.json.id },
    });
    expect(ledger.map((l) => [l.kind, l.amount])).toContainEqual(['reserve', -3]);
  });

  it('when the same Idempotency-Key is replayed with the same body, then the same job comes back and nothing is charged twice', async () => {
    const call = api(h.url, acct.live);
    const body = { emails: ['x@example.com', 'y@example.com'], smtp: false };
    // The balance moves when the job settles: count reservations instead.
    const reservations = () =>
      h.deps.db.prisma.creditLedger.count({ where: { accountId: acct.id, kind: 'reserve' } });
    const first = await call('POST', '/v1/jobs', body, { 'idempotency-key': 'order-42' });
    const reserved = await reservations();
    const again = await call('POST', '/v1/jobs', body, { 'idempotency-key': 'order-42' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.json.id).toBe(first.json.id);
    expect(await reservations()).toBe(reserved);
    expect(
      await h.deps.db.prisma.job.count({
        where: { accountId: acct.id, idempotencyKey: 'order-42' },
      }),
    ).toBe(1);

    const other = await call(
      'POST',
      '/v1/jobs',
      { ...body, emails: ['z@example.com'] },
      { 'idempotency-key': 'order-42' },
    );
    expect(other.status).toBe(409);
    expect(other.json.error.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(await reservations()).toBe(reserved);
  });

  it('when email_column comes before or after the file, then the named column is the one verified', async () => {
    const call = api(h.url, acct.test);
    const csv = 'work,home\nw1@example.com,h1@example.com\nw2@example.com,h2@example.com\n';
    const before = new FormData();
    before.append('email_column', 'home');
    before.append('csv_file', new Blob([csv]), 'x.csv');
    const after = csvForm(csv, { email_column: '1' });
    for (const form of [before, after]) {
      const created = await call('POST', '/v1/jobs', form);
      expect(created.status).toBe(201);
      await jobWhen(call, created.json.id);
      const results = await call('GET', `/v1/jobs/${created.json.id}/results`);
      expect(results.json.data.map((r: any) => r.email)).toEqual([
        'h1@example.com',
        'h2@example.com',
      ]);
    }
  });

  it('when a job has verified an address, then enrichment knows it, until the job is deleted', async () => {
    const call = api(h.url, acct.test);
    const created = await call('POST', '/v1/jobs', {
      emails: ['risky@enrich.example', 'x@enrich.example'],
    });
    await jobWhen(call, created.json.id);
    const known = await call('GET', '/v1/enrichment?email=risky@enrich.example');
    expect(known.json).toMatchObject({
      status: 'found',
      result: { status: 'risky', source: 'job' },
      domain: { name: 'enrich.example' },
    });
    expect((await call('DELETE', `/v1/jobs/${created.json.id}`)).status).toBe(204);
    await waitFor(
      async () =>
        (await call('GET', '/v1/enrichment?email=risky@enrich.example')).json.status ===
        'not_found',
      { what: 'facts of the deleted job purged' },
    );
  });

  it('when a job has verified addresses, then enrichment gives each one the verdict of its result exactly; a later synchronous validation replaces it; a fact a job left inline before this release still reads', async () => {
    const acct = await h.account('business', 100);
    const call = api(h.url, acct.test);
    const emails = ['ann@gmial.com', 'disposable@ref.example', 'role@ref.example'];
    const created = await call('POST', '/v1/jobs', { emails });
    await jobWhen(call, created.json.id);
    const page = (await call('GET', `/v1/jobs/${created.json.id}/results`)).json.data;
    for (const r of page) {
      const e = (await call('GET', `/v1/enrichment?email=${encodeURIComponent(r.email)}`)).json;
      expect(e).toMatchObject({ status: 'found', email: r.normalized });
      expect({ ...e.result, validated_at: undefined }).toEqual({
        status: r.status,
        reason: r.reason,
        did_you_mean: r.did_you_mean,
        checks: r.checks,
        source: 'job',
        validated_at: undefined,
      });
    }
    expect(page.find((r: { email: string }) => r.email === 'ann@gmial.com').did_you_mean).toBe(
      'ann@gmail.com',
    );
    const counts = (await call('GET', '/v1/enrichment?email=role@ref.example')).json.domain
      .known_addresses;
    expect(counts).toEqual({ deliverable: 0, undeliverable: 0, risky: 2, unknown: 0 });

    const validated = await call('POST', '/v1/validate', { email: 'role@ref.example' });
    expect(validated.status).toBe(200);
    const replaced = (await call('GET', '/v1/enrichment?email=role@ref.example')).json;
    expect(replaced.result).toMatchObject({
      source: 'validate',
      status: validated.json.result.status,
      reason: validated.json.result.reason,
      checks: validated.json.result.checks,
    });

    // A job's fact as a job purged before this release left it (docs/retention.md): inline.
    await h.deps.db.pool.query(
      `INSERT INTO email_facts (account_seq, mode, normalized, domain, status, reason, did_you_mean,
                                checks, source, validated_at)
       VALUES ((SELECT seq FROM accounts WHERE id = $1), 'test', 'old@ref.example', 'ref.example', 'risky', 'role_account', NULL,
               $2::jsonb, 'job', now())`,
      [acct.id, JSON.stringify(replaced.result.checks)],
    );
    expect((await call('GET', '/v1/enrichment?email=old@ref.example')).json).toMatchObject({
      status: 'found',
      result: {
        status: 'risky',
        reason: 'role_account',
        did_you_mean: null,
        checks: replaced.result.checks,
        source: 'job',
      },
    });
  });

  it('when the same CSV is replayed with its Idempotency-Key, then the same job comes back', async () => {
    const call = api(h.url, acct.test);
    const csv = 'email\nq@example.com\n';
    const first = await call('POST', '/v1/jobs', csvForm(csv), { 'idempotency-key': 'csv-1' });
    const again = await call('POST', '/v1/jobs', csvForm(csv), { 'idempotency-key': 'csv-1' });
    const other = await call('POST', '/v1/jobs', csvForm('email\nr@example.com\n'), {
      'idempotency-key': 'csv-1',
    });
    expect([first.status, again.status, other.status]).toEqual([201, 201, 409]);
    expect(again.json.id).toBe(first.json.id);
  });

  it('when a list job ends, then the results page through in input order and unknown verdicts are refunded', async () => {
    const call = api(h.url, acct.test);
    const emails = Array.from({ length: 25 }, (_, i) =>
      i % 5 === 4 ? `unknown@d${i}.example` : `user${i}@d${i % 3}.example`,
    );
    const created = await call('POST', '/v1/jobs', { emails });
    const done = await jobWhen(call, created.json.id);
    expect(done.counts).toEqual({ deliverable: 20, undeliverable: 0, risky: 0, unknown: 5 });

    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await call(
        'GET',
        `/v1/jobs/${created.json.id}/results?limit=10${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.json.data.map((r: { index: number }) => r.index));
      cursor = page.json.next_cursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i));

    const unknown = await call('GET', `/v1/jobs/${created.json.id}/results?status=unknown`);
    expect(unknown.json.data.map((r: { index: number }) => r.index)).toEqual([4, 9, 14, 19, 24]);
    const csv = await call('GET', `/v1/jobs/${created.json.id}/results.csv?status=unknown`);
    expect(csv.text.trimEnd().split('\r\n')).toHaveLength(6);
  });

  it('when a live job ends with unknown verdicts, then they are refunded and the ledger explains the balance', async () => {
    // A DNS server of its own: example.com resolves, gone.test does not exist, and broken.test
    // answers SERVFAIL, which gives a real `unknown` (temporary: not retried here).
    const dns = await startDnsServer({
      ...mxZones({ 'example.com': '127.0.0.2' }),
      'gone.test': { nxdomain: true },
      'broken.test': { servfail: true },
    });
    const live = await startHarness(
      { DNS_SERVERS: dns.address, SMTP_RETRY_ATTEMPTS: '0' },
      { workers: true },
    );
    try {
      const acct2 = await live.account('growth', 50);
      const call = api(live.url, acct2.live);
      // growth has no SMTP probe: an address with MX is deliverable. The last is a duplicate.
      const created = await call('POST', '/v1/jobs', {
        emails: ['ok@example.com', 'down@broken.test', 'no@gone.test', ' ok@EXAMPLE.com'],
        quick_mode: true,
      });
      expect(created.status).toBe(201);
      expect(created.json.credits_reserved).toBe(3);
      const done = await jobWhen(call, created.json.id);
      expect(done.counts).toEqual({ deliverable: 2, undeliverable: 1, risky: 0, unknown: 1 });
      expect(done.credits_charged).toBe(2);
      const unknown = await call('GET', `/v1/jobs/${created.json.id}/results?status=unknown`);
      expect(
        unknown.json.data.map((r: { email: string; reason: string }) => [r.email, r.reason]),
      ).toEqual([['down@broken.test', 'dns_error']]);

      const ledger = await live.deps.db.prisma.creditLedger.findMany({
        where: { accountId: acct2.id },
        orderBy: { id: 'asc' },
      });
      expect(ledger.map((l) => [l.kind, l.amount, l.jobId, l.balanceAfter])).toEqual([
        ['topup', 50, null, 50],
        ['reserve', -3, created.json.id, 47],
        ['refund', 1, created.json.id, 48],
      ]);
      const balance = (
        await live.deps.db.prisma.account.findUniqueOrThrow({ where: { id: acct2.id } })
      ).creditBalance;
      expect(balance).toBe(48);
    } finally {
      await dropCounters(live);
      await live.close();
      await dns.close();
    }
  });
});

describe('job creation edge cases', () => {
  it('when a CRLF file has a quoted field ending where a read of the file ends, then it is read as written', async () => {
    // The file is read 1 MiB at a time (job-input.ts fileBytes): put the CR of a CRLF that
    // follows a closing quote at the last byte of the first read, the LF at the first of the next.
    const boundary = 1 << 20;
    const row = `dup@example.com,"${'n'.repeat(200)}"\r\n`;
    let csv = 'email,name\r\n';
    csv += row.repeat(Math.floor((boundary - 1000 - csv.length) / row.length));
    const head = 'dup@example.com,"';
    const fill = boundary - 1 - csv.length - head.length - 1;
    csv += `${head}${'y'.repeat(fill)}"\r\n`;
    expect(csv.slice(boundary - 2, boundary + 1)).toBe('"\r\n');
    csv += row.repeat(10);
    const rows = csv.split('\r\n').length - 2; // less the header and the empty tail

    const own = await h.account('business', 10);
    const call = api(h.url, own.test);
    const created = await call('POST', '/v1/jobs', csvForm(csv));
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ total: rows, unique: 1 });
    const done = await jobWhen(call, created.json.id);
    expect(done.total).toBe(rows);
  });

  it('when a list of non-ASCII addresses is larger than a stored piece, then results and download return the exact strings sent', async () => {
    // A fresh account, and 90 unique addresses (the rest differ only in the spaces trimmed
    // off): the test key's daily allowance counts unique addresses.
    const own = await h.account('business', 100);
    const call = api(h.url, own.test);
    // Over 100 KB of two- and three-byte characters: many pieces of the stored input, and
    // characters split across their boundaries.
    const emails = Array.from({ length: 3000 }, (_, i) => {
      const k = i % 90;
      const pad = (n: number) => ' '.repeat(n);
      return `${pad(i % 3)}jösé.ñandú.${'€'.repeat(k % 7)}${k}@exämple${k % 40}.com${pad(Math.floor(i / 90) % 4)}`;
    });
    expect(Buffer.byteLength(JSON.stringify(emails))).toBeGreaterThan(64 * 1024);
    const created = await call('POST', '/v1/jobs', { emails });
    expect(created.status).toBe(201);
    await jobWhen(call, created.json.id);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await call(
        'GET',
        `/v1/jobs/${created.json.id}/results?limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.json.data.map((r: { email: string }) => r.email));
      cursor = page.json.next_cursor;
    } while (cursor);
    expect(seen).toEqual(emails);

    const csv = await call('GET', `/v1/jobs/${created.json.id}/results.csv`);
    expect(csv.status).toBe(200);
    const [header, ...lines] = csv.text.trimEnd().split('\r\n');
    expect(header!.split(',')[0]).toBe('email');
    expect(lines.map((l) => l.split(',')[0])).toEqual(emails);
  });

  it('when a live key reuses the Idempotency-Key of a test-key job with the same body, then 409 and no test job comes back', async () => {
    const own = await h.account('business', 100);
    const body = { emails: ['mode-a@example.com', 'mode-b@example.com'], smtp: false };
    const headers = { 'idempotency-key': 'mode-1' };
    const asTest = await api(h.url, own.test)('POST', '/v1/jobs', body, headers);
    expect(asTest.status).toBe(201);
    expect(asTest.json.mode).toBe('test');

    const asLive = await api(h.url, own.live)('POST', '/v1/jobs', body, headers);
    expect(asLive.status).toBe(409);
    expect(asLive.json.error.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(await h.deps.db.prisma.job.count({ where: { accountId: own.id } })).toBe(1);
    expect(
      await h.deps.db.prisma.creditLedger.count({ where: { accountId: own.id, kind: 'reserve' } }),
    ).toBe(0);
    // The test key itself still gets its job back.
    const again = await api(h.url, own.test)('POST', '/v1/jobs', body, headers);
    expect([again.status, again.json.id]).toEqual([201, asTest.json.id]);
  });

  it('when an Idempotency-Key of a deleted job is used again, then a new job is created', async () => {
    const call = api(h.url, acct.test);
    const first = await call(
      'POST',
      '/v1/jobs',
      { emails: ['k@example.com'] },
      { 'idempotency-key': 'reuse-1' },
    );
    expect((await call('DELETE', `/v1/jobs/${first.json.id}`)).status).toBe(204);
    const second = await call(
      'POST',
      '/v1/jobs',
      { emails: ['k@example.com'] },
      { 'idempotency-key': 'reuse-1' },
    );
    expect(second.status).toBe(201);
    expect(second.json.id).not.toBe(first.json.id);
  });

  it('when a results cursor is out of range, then 400 VALIDATION_ERROR', async () => {
    const call = api(h.url, acct.test);
    const job = await call('POST', '/v1/jobs', { emails: ['c@example.com'] });
    const res = await call('GET', `/v1/jobs/${job.json.id}/results?cursor=9999999999`);
    expect(res.status).toBe(400);
    expect(res.json.error.details.fields.cursor).toBeDefined();
  });

  it('when a job is deleted while its input is being ingested, then 204 at once and nothing of it stays', async () => {
    const big = await h.account('business', 30_000);
    const call = api(h.url, big.live);
    const emails = Array.from({ length: 20_000 }, (_, i) => `bulk${i}@d${i % 50}.example`);
    const job = await call('POST', '/v1/jobs', { emails, quick_mode: true });
    expect(job.status).toBe(201);
    const started = Date.now();
    expect((await call('DELETE', `/v1/jobs/${job.json.id}`)).status).toBe(204);
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await call('GET', `/v1/jobs/${job.json.id}`)).status).toBe(404);
    await waitFor(
      async () =>
        (await h.deps.db.prisma.jobRow.count({ where: { job: { id: job.json.id } } })) === 0 &&
        (await h.deps.db.prisma.jobUpload.count({ where: { jobId: job.json.id } })) === 0,
      { what: 'the deleted job purged' },
    );
    // Nothing was verified, so everything reserved came back.
    const account = await h.deps.db.prisma.account.findUniqueOrThrow({ where: { id: big.id } });
    expect(account.creditBalance).toBe(30_000);
  });
});
