import { describe, expect, it } from 'vitest';
import { api, csvForm, useHarness, useAccount } from '../../support/harness.ts';
import { dropCounters, expectError, refused, stateOf } from '../../support/limits.ts';

// API.md's error table, the rows about the request itself (400, 404, 409, 413, 415): status,
// code, details, the envelope, and that a refused request charged and stored nothing.
// error-table-access.test.ts has the 401/402/403 rows; limits, quota, timeouts and outages have
// files of their own in this folder.

const MAX_BYTES = 4096;
const MAX_ROWS = 5;

const h = useHarness(
  () => ({
    MAX_UPLOAD_BYTES: String(MAX_BYTES),
    MAX_EMAILS_PER_JOB: String(MAX_ROWS),
  }),
  { beforeClose: dropCounters },
);
const acct = useAccount(h, 'business', 1000);

describe('400: the request itself is wrong', () => {
  it('when an emails entry is not a non-empty string, then VALIDATION_ERROR maps each bad index', async () => {
    const res = await refused(h, acct.id, () =>
      api(h.url, acct.live)('POST', '/v1/jobs', { emails: ['a@example.com', 5, ' '] }),
    );
    expectError(res, 400, 'VALIDATION_ERROR', {
      fields: { emails: { '1': ['Must be a string.'], '2': ['Must not be empty.'] } },
    });
  });

  it('when a job has neither csv_file nor emails, or both, then MISSING_INPUT says what to send', async () => {
    const call = api(h.url, acct.live);
    for (const body of [{}, { name: 'x' }]) {
      const res = await refused(h, acct.id, () => call('POST', '/v1/jobs', body));
      expectError(res, 400, 'MISSING_INPUT');
      expect(res.json.error.message).toBe(
        "Provide either a 'csv_file' upload or an 'emails' list.",
      );
    }
    const both = csvForm('email\na@example.com\n', { emails: 'b@example.com' });
    expectError(
      await refused(h, acct.id, () => call('POST', '/v1/jobs', both)),
      400,
      'MISSING_INPUT',
    );
  });

  // INVALID_CSV's `line` is the physical line of the file (1-based): blank lines and the lines
  // inside a quoted field count, so a client can open the file at the line named.
  it('when the upload is in an encoding mailsift does not read, then INVALID_CSV names the line of its first non-ASCII character', async () => {
    // Windows-1251 (Cyrillic) on line 5; a Windows-1252 file would be read (text-encoding.ts).
    const cp1251 = (text: string) =>
      [...text].map((c) =>
        c.charCodeAt(0) >= 0x410 ? c.charCodeAt(0) - 0x410 + 0xc0 : c.charCodeAt(0),
      );
    const bytes = new Uint8Array([
      ...Buffer.from('email,name\n\na@example.com,"two\nlines"\n'),
      ...cp1251('b@example.com,Иван Петров\nc@example.com,Мария Смирнова\n'),
    ]);
    const res = await refused(h, acct.id, () =>
      api(h.url, acct.live)('POST', '/v1/jobs', csvForm(bytes)),
    );
    expectError(res, 400, 'INVALID_CSV', { line: 5 });
    expect(res.json.error.message).toMatch(
      /^The file is not UTF-8 text: its first non-ASCII characters \(line 5\) look like [\w-]+, which mailsift does not read\. Save it as UTF-8 /,
    );
  });

  it('when a quoted field is never closed, then INVALID_CSV names the line where it opens', async () => {
    const csv =
      'email,name\r\n' + // 1
      '\r\n' + // 2
      'a@example.com,"two\r\n' + // 3
      'lines"\r\n' + // 4
      '\r\n' + // 5
      'b@example.com,"never closed\r\n' + // 6
      'c@example.com,x\r\n'; // 7
    const res = await refused(h, acct.id, () =>
      api(h.url, acct.live)('POST', '/v1/jobs', csvForm(csv)),
    );
    expectError(res, 400, 'INVALID_CSV', { line: 6 });
    expect(res.json.error.message).toMatch(/^The file is not valid CSV: Quoted field unterminated/);
  });

  it('when the upload holds a NUL byte, then INVALID_CSV names its line', async () => {
    const res = await refused(h, acct.id, () =>
      api(h.url, acct.live)('POST', '/v1/jobs', csvForm('email\n\na\u0000@example.com\n')),
    );
    expectError(res, 400, 'INVALID_CSV', { line: 3 });
  });

  it('when sync validation has no email, then MISSING_EMAIL (single, batch and enrichment)', async () => {
    const call = api(h.url, acct.live);
    expectError(
      await refused(h, acct.id, () => call('POST', '/v1/validate', {})),
      400,
      'MISSING_EMAIL',
    );
    expectError(
      await refused(h, acct.id, () => call('POST', '/v1/validate', { email: null })),
      400,
      'MISSING_EMAIL',
    );
    expectError(
      await refused(h, acct.id, () => call('POST', '/v1/validate/batch', {})),
      400,
      'MISSING_EMAIL',
    );
    expectError(
      await refused(h, acct.id, () => call('GET', '/v1/enrichment')),
      400,
      'MISSING_EMAIL',
    );
  });

  it('when the email is not a non-empty string, then INVALID_EMAIL', async () => {
    const call = api(h.url, acct.live);
    for (const email of [42, '', '   ', ['a@example.com'], { a: 1 }]) {
      expectError(
        await refused(h, acct.id, () => call('POST', '/v1/validate', { email })),
        400,
        'INVALID_EMAIL',
      );
    }
  });

  // One check of list entries for both routes (src/http/schemas/email-list.ts): Postgres text
  // cannot hold NUL, so an entry holding one is refused by index before anything is counted.
  it('when a job list entry holds NUL, then VALIDATION_ERROR names its index', async () => {
    const res = await refused(h, acct.id, () =>
      api(h.url, acct.live)('POST', '/v1/jobs', {
        emails: ['a@example.com', 'b\u0000@example.com'],
      }),
    );
    expectError(res, 400, 'VALIDATION_ERROR', {
      fields: { emails: { '1': ['Must not contain NUL characters.'] } },
    });
  });

  it('when a batch entry holds NUL, then VALIDATION_ERROR names its index', async () => {
    const res = await refused(h, acct.id, () =>
      api(h.url, acct.live)('POST', '/v1/validate/batch', {
        emails: ['a@example.com', 'b\u0000@example.com', 'c@example.com'],
      }),
    );
    expectError(res, 400, 'VALIDATION_ERROR', {
      fields: { emails: { '1': ['Must not contain NUL characters.'] } },
    });
  });

  it('when the single address or the enrichment query holds NUL, then INVALID_EMAIL', async () => {
    const call = api(h.url, acct.live);
    for (const res of [
      await refused(h, acct.id, () =>
        call('POST', '/v1/validate', { email: 'b\u0000@example.com' }),
      ),
      await refused(h, acct.id, () =>
        call('GET', `/v1/enrichment?email=${encodeURIComponent('b\u0000@example.com')}`),
      ),
    ]) {
      expectError(res, 400, 'INVALID_EMAIL');
      expect(res.json.error.message).toBe("'email' must not contain NUL characters.");
    }
  });

  it('when a batch is empty, then BATCH_EMPTY with submitted and maximum', async () => {
    const res = await refused(h, acct.id, () =>
      api(h.url, acct.live)('POST', '/v1/validate/batch', { emails: [] }),
    );
    expectError(res, 400, 'BATCH_EMPTY', { submitted: 0, maximum: 100 });
  });

  it('when a batch holds 101 addresses, then BATCH_TOO_LARGE with submitted and maximum', async () => {
    const emails = Array.from({ length: 101 }, (_, i) => `user${i}@example.com`);
    const res = await refused(h, acct.id, () =>
      api(h.url, acct.live)('POST', '/v1/validate/batch', { emails }),
    );
    expectError(res, 400, 'BATCH_TOO_LARGE', { submitted: 101, maximum: 100 });
  });
});

describe('404, 409, 413, 415', () => {
  it('when a job does not exist or belongs to another account, then the same NOT_FOUND', async () => {
    const other = await h.account('business', 10);
    const created = await api(h.url, other.test)('POST', '/v1/jobs', { emails: ['a@example.com'] });
    expect(created.status).toBe(201);
    // The test allowance counted it (so stateOf reads the counters a request takes).
    expect(await stateOf(h, other.id)).toMatchObject({ testToday: 1, quotaMonth: 0 });
    const mine = await api(h.url, acct.live)('GET', '/v1/jobs/job_doesnotexist0000000000');
    const theirs = await api(h.url, acct.live)('GET', `/v1/jobs/${created.json.id}`);
    expectError(mine, 404, 'NOT_FOUND');
    expectError(theirs, 404, 'NOT_FOUND');
    // The same answer but for the request id, which is each response's own.
    expect({ ...theirs.json.error, request_id: 'x' }).toEqual({
      ...mine.json.error,
      request_id: 'x',
    });
    expectError(await api(h.url, acct.live)('GET', '/v1/no-such-route'), 404, 'NOT_FOUND');
  });

  it('when an Idempotency-Key is reused with a different request, then IDEMPOTENCY_CONFLICT and one charge only', async () => {
    const payer = await h.account('business', 10);
    const call = api(h.url, payer.live);
    const headers = { 'idempotency-key': 'order-42' };
    const first = await call('POST', '/v1/jobs', { emails: ['a@example.com'] }, headers);
    expect(first.status).toBe(201);
    const again = await call('POST', '/v1/jobs', { emails: ['a@example.com'] }, headers);
    expect({ status: again.status, id: again.json.id }).toEqual({ status: 201, id: first.json.id });
    const res = await refused(h, payer.id, () =>
      call('POST', '/v1/jobs', { emails: ['b@example.com'] }, headers),
    );
    expectError(res, 409, 'IDEMPOTENCY_CONFLICT');
    expect(await stateOf(h, payer.id)).toMatchObject({
      balance: 9,
      ledgerSum: 9,
      jobs: 1,
      quotaMonth: 1,
      emailsToday: 1,
      testToday: 0,
    });
  });

  it('when the body is larger than MAX_UPLOAD_BYTES or holds more than MAX_EMAILS_PER_JOB rows, then PAYLOAD_TOO_LARGE with maximum', async () => {
    const call = api(h.url, acct.live);
    const big = { emails: ['a@example.com'], name: 'x'.repeat(MAX_BYTES) };
    expectError(
      await refused(h, acct.id, () => call('POST', '/v1/jobs', big)),
      413,
      'PAYLOAD_TOO_LARGE',
      { maximum: MAX_BYTES },
    );
    const bigFile = csvForm(`email\n${'a@example.com\n'.repeat(400)}`);
    expectError(
      await refused(h, acct.id, () => call('POST', '/v1/jobs', bigFile)),
      413,
      'PAYLOAD_TOO_LARGE',
      { maximum: MAX_BYTES },
    );
    const rows = Array.from({ length: MAX_ROWS + 1 }, (_, i) => `u${i}@example.com`);
    expectError(
      await refused(h, acct.id, () => call('POST', '/v1/jobs', { emails: rows })),
      413,
      'PAYLOAD_TOO_LARGE',
      { maximum: MAX_ROWS },
    );
    const longCsv = csvForm(`email\n${rows.join('\n')}\n`);
    expectError(
      await refused(h, acct.id, () => call('POST', '/v1/jobs', longCsv)),
      413,
      'PAYLOAD_TOO_LARGE',
      { maximum: MAX_ROWS },
    );
  });

  it('when the body is neither JSON nor multipart, then UNSUPPORTED_MEDIA_TYPE (jobs and sync validation)', async () => {
    const call = api(h.url, acct.live);
    const text = { 'content-type': 'text/plain' };
    expectError(
      await refused(h, acct.id, () => call('POST', '/v1/jobs', 'a@example.com', text)),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectError(
      await refused(h, acct.id, () => call('POST', '/v1/validate', 'a@example.com', text)),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectError(
      await refused(h, acct.id, () => call('POST', '/v1/validate/batch', 'a@example.com', text)),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });
});
