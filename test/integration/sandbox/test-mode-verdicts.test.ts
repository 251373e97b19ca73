import { describe, expect, it } from 'vitest';
import { api, csvForm, jobWhen, useHarness } from '../../support/harness.ts';

// Issue 12 point 2: with the test key, a CSV can show every verdict and reason of API.md, and the
// real disposable / role / free lists apply to the other addresses.

const h = useHarness({}, { workers: true });

// [address, status, reason]: the table of README "Test mode".
const rows: [string, string, string][] = [
  ['deliverable@example.com', 'deliverable', 'accepted_email'],
  ['invalid_syntax@example.com', 'undeliverable', 'invalid_syntax'],
  ['not an address', 'undeliverable', 'invalid_syntax'],
  ['invalid_domain@example.com', 'undeliverable', 'invalid_domain'],
  ['no_mx@example.com', 'undeliverable', 'no_mx'],
  ['undeliverable@example.com', 'undeliverable', 'rejected_email'],
  ['catchall@example.com', 'risky', 'catch_all'],
  ['disposable@example.com', 'risky', 'disposable'],
  ['role@example.com', 'risky', 'role_account'],
  ['mailbox_full@example.com', 'risky', 'mailbox_full'],
  ['risky@example.com', 'risky', 'low_quality'],
  ['timeout@example.com', 'unknown', 'timeout'],
  ['no_connect@example.com', 'unknown', 'no_connect'],
  ['smtp_unavailable@example.com', 'unknown', 'smtp_unavailable'],
  ['greylisted@example.com', 'unknown', 'greylisted'],
  ['blocked@example.com', 'unknown', 'blocked'],
  ['unknown@example.com', 'unknown', 'unexpected_error'],
  ['someone@mailinator.com', 'risky', 'disposable'],
  ['sales@acme-widgets.com', 'risky', 'role_account'],
  ['ann@gmial.com', 'risky', 'low_quality'],
  ['ann@gmail.com', 'deliverable', 'accepted_email'],
];

describe('test mode through a CSV upload with the test key', () => {
  it('when the file holds a keyword per reason and real list entries, then each row gets its verdict and checks', async () => {
    const acct = await h.account('free', 0);
    const call = api(h.url, acct.test);
    const csv = 'name,email\n' + rows.map(([e], i) => `P${i},${e}`).join('\n') + '\n';
    const created = await call('POST', '/v1/jobs', csvForm(csv));
    expect(created.status).toBe(201);
    await jobWhen(call, created.json.id);

    const page = await call('GET', `/v1/jobs/${created.json.id}/results?limit=100`);
    expect(page.status).toBe(200);
    const got = page.json.data.map((r: { email: string; status: string; reason: string }) => [
      r.email,
      r.status,
      r.reason,
    ]);
    expect(got).toEqual(rows);

    const byEmail = new Map<string, any>(page.json.data.map((r: any) => [r.email, r]));
    expect(byEmail.get('someone@mailinator.com').checks).toMatchObject({ disposable: true });
    expect(byEmail.get('sales@acme-widgets.com').checks).toMatchObject({ role: true });
    expect(byEmail.get('ann@gmail.com').checks).toMatchObject({ free: true, role: false });
    expect(byEmail.get('ann@gmial.com').did_you_mean).toBe('ann@gmail.com');
    expect(byEmail.get('greylisted@example.com').checks.smtp).toMatchObject({ code: 451 });
    expect(byEmail.get('no_mx@example.com').checks).toMatchObject({ mx_found: false });

    // The summary shows all four verdicts and all sixteen reasons.
    const summary = (await call('GET', `/v1/jobs/${created.json.id}/summary`)).json;
    expect(new Set(summary.reasons.map((r: { reason: string }) => r.reason)).size).toBe(16);
  });
});
