import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  csvForm,
  startHarness,
  jobWhen,
  type Harness,
  type TestAccount,
} from '../../support/harness.ts';

let h: Harness;
let acct: TestAccount;

beforeAll(async () => {
  h = await startHarness({}, { workers: true });
  acct = await h.account('business', 1000);
});
afterAll(async () => {
  await h?.close();
});

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
      'Name;Email Address;City;mailsift_status;mailsift_reason;mailsift_did_you_mean;mailsift_normalized;mailsift_duplicate_of',
      '"Doe; Jane";deliverable@example.com;Paris;deliverable;accepted_email;;deliverable@example.com;',
      'Bob;undeliverable@example.org;Rome;undeliverable;rejected_email;;undeliverable@example.org;',
      "Eve;not-an-email;'=cmd;undeliverable;invalid_syntax;;;",
      'Dup; deliverable@Example.COM ;Oslo;deliverable;accepted_email;;deliverable@example.com;0',
      'Zed;risky@example.net;Lima;risky;low_quality;;risky@example.net;',
    ]);
  });
});
