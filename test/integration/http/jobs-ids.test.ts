import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, api, useHarness, useAccount } from '../../support/harness.ts';

const h = useHarness();
const acct = useAccount(h, 'business', 100);

// The time and the request id are each response's own; everything else must be the same bytes.
const withoutTimestamp = (text: string) =>
  text
    .replace(/"timestamp":"[^"]*"/, '"timestamp":"-"')
    .replace(/"request_id":"[^"]*"/, '"request_id":"-"');

const routes: [method: string, suffix: string][] = [
  ['GET', ''],
  ['GET', '/results'],
  ['GET', '/results.csv'],
  ['GET', '/webhooks'],
  ['DELETE', ''],
];

// Path segments that are no job id: NUL (Postgres text cannot hold it), a bad percent-encoding,
// and other shapes that never name a job.
const malformed = [
  '%00',
  'job_%00',
  `job_${'A'.repeat(24)}%00`,
  '%ZZ',
  'job_x%ZZ',
  '%E9',
  '%F0%9F%92%A9',
  `job_${'A'.repeat(300)}`,
  'job_%27%3B%20DROP%20TABLE%20jobs',
];

describe('job ids that are not in the job id format', () => {
  for (const [method, suffix] of routes) {
    it(`when ${method} /v1/jobs/{id}${suffix} gets a malformed id, then 404 exactly like a missing job`, async () => {
      const call = api(h.url, acct.live);
      const missing = await call(method, `/v1/jobs/job_${'Z'.repeat(24)}${suffix}`);
      expect(missing.status).toBe(404);
      expect(missing.json.error).toEqual({
        code: 'NOT_FOUND',
        message: expect.any(String),
        request_id: missing.headers.get('x-request-id'),
      });
      for (const id of malformed) {
        const res = await call(method, `/v1/jobs/${id}${suffix}`);
        expect({ id, status: res.status }).toEqual({ id, status: 404 });
        expect(res.headers.get('content-type')).toBe(missing.headers.get('content-type'));
        expect(withoutTimestamp(res.text)).toBe(withoutTimestamp(missing.text));
      }
    });
  }

  it('when starting_after is not a job id, then 400 VALIDATION_ERROR naming it', async () => {
    const call = api(h.url, acct.live);
    for (const cursor of ['%00', 'job_%00', '%ZZ', 'nope']) {
      const res = await call('GET', `/v1/jobs?starting_after=${cursor}`);
      expect({ cursor, status: res.status }).toEqual({ cursor, status: 400 });
      expect(res.json.error.code).toBe('VALIDATION_ERROR');
      expect(res.json.error.details.fields.starting_after).toEqual([expect.any(String)]);
    }
    // A well-formed id that is none of the account's jobs stays 404.
    const unknown = await call('GET', `/v1/jobs?starting_after=job_${'Z'.repeat(24)}`);
    expect(unknown.status).toBe(404);
  });

  it('when a path outside the job routes has a bad percent-encoding, then 400 naming the path, not the body', async () => {
    const res = await api(h.url, ADMIN_TOKEN)('POST', '/admin/accounts/%ZZ/credits', {
      amount: 1,
    });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('VALIDATION_ERROR');
    expect(res.json.error.details.fields).toEqual({ path: [expect.any(String)] });
  });

  it('when a character Postgres cannot store reaches a query anyway, then 400 VALIDATION_ERROR, not 500', async () => {
    // The admin routes do not check their ids' shape: the error table's backstop answers.
    const call = api(h.url, ADMIN_TOKEN);
    for (const [method, path, body] of [
      ['POST', '/admin/accounts/%00/credits', { amount: 1 }],
      ['PATCH', '/admin/keys/key_%00', { disabled: true }],
    ] as const) {
      const res = await call(method, path, body);
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(res.json.error.code).toBe('VALIDATION_ERROR');
      expect(res.json.error.details.fields).toEqual({ request: [expect.any(String)] });
      expect(res.text).not.toMatch(/0x00|UTF8|invalid byte|prisma/i);
    }
  });
});
