import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { api, csvForm, jobWhen, useHarness, useAccount } from '../../support/harness.ts';

const h = useHarness({}, { workers: true });
const acct = useAccount(h, 'business', 1000);

describe('the job workflow through HTTP (test key: simulated verdicts)', () => {
  it('when a CSV is uploaded, then 201 comes with the job, and results match the rows one to one', async () => {
    const call = api(h.url, acct.test);
    const csv =
      '\uFEFFName;Email Address;City\r\n' +
      '"Doe; Jane";deliverable@example.com;Paris\r\n' +
      'Bob;undeliverable@example.org;"Rome"\r\n' +
      '\r\n' +
      'Eve;not-an-email;=cmd\r\n' +
      'Dup; deliverable@Example.COM ;Oslo\r\n' +
      'Zed;risky@example.net;Lima\r\n';
    const created = await call('POST', '/v1/jobs', csvForm(csv, { name: 'March leads' }));
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/v1/jobs/${created.json.id}`);
    expect(created.json).toMatchObject({
      object: 'job',
      name: 'March leads',
      source: 'csv_file',
      status: 'queued',
      total: 5,
      unique: 4,
      processed: 0,
      mode: 'test',
      credits_reserved: 0,
    });
    const done = await jobWhen(call, created.json.id);
    expect(done).toMatchObject({ processed: 5, progress: 100 });
    expect(done.counts).toEqual({ deliverable: 2, undeliverable: 2, risky: 1, unknown: 0 });

    const results = await call('GET', `/v1/jobs/${created.json.id}/results`);
    expect(results.status).toBe(200);
    expect(results.json.next_cursor).toBeNull();
    expect(
      results.json.data.map(
        (r: {
          index: number;
          email: string;
          status: string;
          reason: string;
          duplicate_of: number | null;
        }) => [r.index, r.email, r.status, r.reason, r.duplicate_of],
      ),
    ).toEqual([
      [0, 'deliverable@example.com', 'deliverable', 'accepted_email', null],
      [1, 'undeliverable@example.org', 'undeliverable', 'rejected_email', null],
      [2, 'not-an-email', 'undeliverable', 'invalid_syntax', null],
      [3, ' deliverable@Example.COM ', 'deliverable', 'accepted_email', 0],
      [4, 'risky@example.net', 'risky', 'low_quality', null],
    ]);

    const download = await fetch(`${h.url}/v1/jobs/${created.json.id}/results.csv`, {
      headers: { 'x-api-key': acct.test },
    });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await download.text()).trimEnd().split('\r\n');
    expect(lines).toEqual([
      'Name;Email Address;City;mailsift_status;mailsift_reason;mailsift_did_you_mean;mailsift_normalized;mailsift_duplicate_of;mailsift_provider;mailsift_gateway',
      '"Doe; Jane";deliverable@example.com;Paris;deliverable;accepted_email;;deliverable@example.com;;;',
      'Bob;undeliverable@example.org;Rome;undeliverable;rejected_email;;undeliverable@example.org;;;',
      "Eve;not-an-email;'=cmd;undeliverable;invalid_syntax;;;;;",
      // duplicate_of in the file is the spreadsheet row of the first occurrence (header = row 1).
      'Dup; deliverable@Example.COM ;Oslo;deliverable;accepted_email;;deliverable@example.com;2;;',
      'Zed;risky@example.net;Lima;risky;low_quality;;risky@example.net;;;',
    ]);
  });
});

const STATUSES = ['deliverable', 'undeliverable', 'risky', 'unknown'];

/** The download, parsed: its header and its rows. */
async function downloadCsv(jobId: string, key = acct.test, delimiter = ',') {
  const res = await fetch(`${h.url}/v1/jobs/${jobId}/results.csv`, {
    headers: { 'x-api-key': key },
  });
  expect(res.status).toBe(200);
  const parsed = Papa.parse<string[]>(await res.text(), { delimiter, skipEmptyLines: true });
  expect(parsed.errors).toEqual([]);
  const [header, ...rows] = parsed.data;
  return { header: header!, rows };
}

/** Every row as wide as the header, and a verdict under mailsift_status in each. */
function expectAligned(csv: { header: string[]; rows: string[][] }) {
  const status = csv.header.indexOf('mailsift_status');
  for (const row of csv.rows) {
    expect(row).toHaveLength(csv.header.length);
    expect(STATUSES).toContain(row[status]);
  }
}

describe('GET /v1/jobs/:id/results.csv of a ragged CSV', () => {
  it('when rows are wider and narrower than the header, then every row is padded to the widest and the result columns stay under their names', async () => {
    const call = api(h.url, acct.test);
    const csv =
      'name,email,city\r\n' +
      'ann,deliverable@example.com,Paris,,\r\n' + // trailing delimiters, as Excel writes them
      'bob,undeliverable@example.org\r\n' +
      'cy,risky@example.net,Lima\r\n';
    const created = await call('POST', '/v1/jobs', csvForm(csv));
    expect(created.status).toBe(201);
    await jobWhen(call, created.json.id);

    const download = await downloadCsv(created.json.id);
    expect(download.header).toEqual([
      'name',
      'email',
      'city',
      'column_4',
      'column_5',
      'mailsift_status',
      'mailsift_reason',
      'mailsift_did_you_mean',
      'mailsift_normalized',
      'mailsift_duplicate_of',
      'mailsift_provider',
      'mailsift_gateway',
    ]);
    expectAligned(download);
    expect(download.rows.map((r) => r.slice(0, 6))).toEqual([
      ['ann', 'deliverable@example.com', 'Paris', '', '', 'deliverable'],
      ['bob', 'undeliverable@example.org', '', '', '', 'undeliverable'],
      ['cy', 'risky@example.net', 'Lima', '', '', 'risky'],
    ]);
    const job = await h.deps.db.prisma.job.findUniqueOrThrow({ where: { id: created.json.id } });
    expect(job.rowWidth).toBe(5);
  });

  it('when a file without a header has its widest row after the first page, then the download is padded to that row', async () => {
    // More rows than a test key may check in a day: a live key, with no SMTP probe.
    const live = await h.account('business', 10_000);
    const call = api(h.url, live.live);
    const rows = Array.from({ length: 5_200 }, (_, i) =>
      i === 5_100
        ? `Wide ${i},user${i}@d${i % 7}.example,extra,,`
        : `Name ${i},user${i}@d${i % 7}.example`,
    );
    const created = await call(
      'POST',
      '/v1/jobs',
      csvForm(rows.join('\n') + '\n', { smtp: 'false', quick_mode: 'true' }),
    );
    expect(created.status).toBe(201);
    expect(created.json.total).toBe(5_200);
    await jobWhen(call, created.json.id, 'completed', 60_000);

    const download = await downloadCsv(created.json.id, live.live);
    expect(download.header.slice(0, 6)).toEqual([
      'column_1',
      'email',
      'column_3',
      'column_4',
      'column_5',
      'mailsift_status',
    ]);
    expect(download.rows).toHaveLength(5_200);
    expectAligned(download);
    expect(download.rows[5_100]!.slice(0, 5)).toEqual([
      'Wide 5100',
      'user5100@d4.example',
      'extra',
      '',
      '',
    ]);

    // A job ingested before the width was recorded: the download measures its stored rows.
    await h.deps.db.prisma.job.update({ where: { id: created.json.id }, data: { rowWidth: null } });
    expect(await downloadCsv(created.json.id, live.live)).toEqual(download);
  });
});
