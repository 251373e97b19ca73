import { readdirSync } from 'node:fs';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { api, csvForm, waitFor, useHarness, useAccount } from '../../support/harness.ts';

const h = useHarness({ MAX_UPLOAD_BYTES: '4096', MAX_EMAILS_PER_JOB: '10' });
const acct = useAccount(h, 'business', 500);

const state = async () => ({
  jobs: await h.deps.db.prisma.job.count({ where: { accountId: acct.id } }),
  rows: await h.deps.db.prisma.jobRow.count({ where: { job: { accountId: acct.id } } }),
  balance: (await h.deps.db.prisma.account.findUniqueOrThrow({ where: { id: acct.id } }))
    .creditBalance,
});

const form = (parts: Record<string, string>) => {
  const f = new FormData();
  for (const [k, v] of Object.entries(parts)) f.append(k, v);
  return f;
};

type Case = [
  name: string,
  body: () => FormData | string | object,
  headers: Record<string, string>,
  status: number,
  code: string,
];
const cases: Case[] = [
  ['no file and no list (JSON)', () => ({ name: 'x' }), {}, 400, 'MISSING_INPUT'],
  ['no file and no list (multipart)', () => form({ name: 'x' }), {}, 400, 'MISSING_INPUT'],
  [
    'both a file and a list',
    () => csvForm('email\na@b.co\n', { emails: 'c@d.co' }),
    {},
    400,
    'MISSING_INPUT',
  ],
  ['both keys in JSON', () => ({ emails: ['a@b.co'], csv_file: 'x' }), {}, 400, 'MISSING_INPUT'],
  ['an empty CSV', () => csvForm(''), {}, 400, 'INVALID_CSV'],
  ['a CSV with a header and no rows', () => csvForm('email\r\n'), {}, 400, 'INVALID_CSV'],
  [
    'a CSV without an email column',
    () => csvForm('name,city\nann,rome\nbob,oslo\n'),
    {},
    400,
    'INVALID_CSV',
  ],
  [
    'binary garbage',
    () => csvForm(new Uint8Array(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 256))),
    {},
    400,
    'INVALID_CSV',
  ],
  [
    'a file in an encoding mailsift does not read (Windows-1251)',
    () =>
      csvForm(
        Buffer.from(
          'Имя;Email\r\nИван Петров;ivan@example.ru\r\nМария Смирнова;maria@example.ru\r\n'
            .split('')
            .map((c) =>
              c.charCodeAt(0) >= 0x410 ? c.charCodeAt(0) - 0x410 + 0xc0 : c.charCodeAt(0),
            ),
        ),
      ),
    {},
    400,
    'INVALID_CSV',
  ],
  ['an unterminated quote', () => csvForm('email,name\na@b.co,"open\n'), {}, 400, 'INVALID_CSV'],
  [
    'an email_column that is not in the header',
    () => csvForm('mail,name\na@b.co,x\n', { email_column: 'nope' }),
    {},
    400,
    'VALIDATION_ERROR',
  ],
  [
    'an oversize file',
    () => csvForm(`email\n${'a@example.com\n'.repeat(400)}`),
    {},
    413,
    'PAYLOAD_TOO_LARGE',
  ],
  [
    'more rows than MAX_EMAILS_PER_JOB',
    () => csvForm(`email\n${'a@example.com\n'.repeat(11)}`),
    {},
    413,
    'PAYLOAD_TOO_LARGE',
  ],
  [
    'a list longer than MAX_EMAILS_PER_JOB',
    () => ({ emails: Array(11).fill('a@b.co') }),
    {},
    413,
    'PAYLOAD_TOO_LARGE',
  ],
  [
    'malformed JSON',
    () => '{"emails": ["a@b.co",',
    { 'content-type': 'application/json' },
    400,
    'VALIDATION_ERROR',
  ],
  [
    'a wrong content type',
    () => 'emails=a@b.co',
    { 'content-type': 'application/x-www-form-urlencoded' },
    415,
    'UNSUPPORTED_MEDIA_TYPE',
  ],
  [
    'the file under another field name',
    () => {
      const f = new FormData();
      f.append('file', new Blob(['email\na@b.co\n']), 'x.csv');
      return f;
    },
    {},
    400,
    'VALIDATION_ERROR',
  ],
  ['a bad boolean', () => ({ emails: ['a@b.co'], smtp: 'maybe' }), {}, 400, 'VALIDATION_ERROR'],
  [
    'a webhook_url with credentials',
    () => ({ emails: ['a@b.co'], webhook_url: 'https://u:p@example.com/h' }),
    {},
    400,
    'VALIDATION_ERROR',
  ],
  // Literal private addresses in the spellings URL parsing folds to 127.0.0.1, and others.
  ...[
    'http://127.1/h',
    'http://0x7f000001/h',
    'https://2130706433/h',
    'http://[::ffff:127.0.0.1]/h',
    'http://10.0.0.5/h',
    'http://169.254.169.254/latest',
    'http://[::1]:8080/h',
    'http://100.64.1.1/h',
  ].map((url): Case => [
    `a webhook_url at the private address ${url}`,
    () => ({ emails: ['a@b.co'], webhook_url: url }),
    {},
    400,
    'VALIDATION_ERROR',
  ]),
  // Postgres text cannot hold NUL: refused before anything is stored.
  [
    'a name holding NUL',
    () => ({ emails: ['a@b.co'], name: 'a\u0000b' }),
    {},
    400,
    'VALIDATION_ERROR',
  ],
  ['a list entry holding NUL', () => ({ emails: ['a\u0000@b.co'] }), {}, 400, 'VALIDATION_ERROR'],
  [
    'a multipart name holding NUL',
    () => csvForm('email\na@b.co\n', { name: 'x\u0000' }),
    {},
    400,
    'VALIDATION_ERROR',
  ],
  [
    'a multipart emails field holding NUL',
    () => form({ emails: 'a\u0000@b.co' }),
    {},
    400,
    'VALIDATION_ERROR',
  ],
  ['a CSV holding NUL', () => csvForm('email\na\u0000@b.co\n'), {}, 400, 'INVALID_CSV'],
  [
    'a multipart body cut off before its closing boundary',
    () =>
      `--cut\r\nContent-Disposition: form-data; name="csv_file"; filename="a.csv"\r\n` +
      `Content-Type: text/csv\r\n\r\nemail\na@example.com\nb@example.com\n`,
    { 'content-type': 'multipart/form-data; boundary=cut' },
    400,
    'VALIDATION_ERROR',
  ],
  [
    'a multipart webhook_url at a loopback address',
    () => csvForm('email\na@b.co\n', { webhook_url: 'http://127.0.0.1:9/h' }),
    {},
    400,
    'VALIDATION_ERROR',
  ],
];

describe('bad input gets its documented 4xx, and nothing is stored or left behind', () => {
  for (const [name, body, headers, status, code] of cases) {
    it(`when the request carries ${name}, then ${status} ${code}`, async () => {
      const before = await state();
      const res = await api(h.url, acct.live)('POST', '/v1/jobs', body(), headers);
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.json).toEqual({
        error: expect.objectContaining({ code, message: expect.any(String) }),
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      expect(res.text).not.toMatch(/at .*\.ts:\d+|SELECT|INSERT|127\.0\.0\.1|stack/i);
      expect(await state()).toEqual(before);
      await waitFor(async () => readdirSync(h.uploadDir).length === 0, {
        what: 'temp files removed',
        timeoutMs: 5000,
      });
    });
  }

  it('when list entries are not strings, then the field map is keyed by index', async () => {
    const res = await api(h.url, acct.live)('POST', '/v1/jobs', {
      emails: ['a@b.co', 3, '', null, 'x'.repeat(321)],
    });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('VALIDATION_ERROR');
    expect(Object.keys(res.json.error.details.fields.emails)).toEqual(['1', '2', '3', '4']);
  });

  it('when the name or a list entry holds NUL, then the field map names it, entries by index', async () => {
    const call = api(h.url, acct.live);
    const named = await call('POST', '/v1/jobs', { emails: ['a@b.co'], name: 'a\u0000b' });
    expect(named.status).toBe(400);
    expect(named.json.error.details.fields.name).toEqual([expect.any(String)]);
    const listed = await call('POST', '/v1/jobs', { emails: ['a@b.co', 'c\u0000@d.co', 'e@f.co'] });
    expect(listed.status).toBe(400);
    expect(listed.json.error.details.fields.emails).toEqual({ '1': [expect.any(String)] });
  });

  it('when the client aborts mid-upload, then the half-written file is removed and nothing is stored', async () => {
    const before = await state();
    const { hostname, port } = new URL(h.url);
    const req = http.request({
      hostname,
      port,
      method: 'POST',
      path: '/v1/jobs',
      headers: {
        authorization: `Bearer ${acct.live}`,
        'content-type': 'multipart/form-data; boundary=abort',
        'content-length': '4000',
      },
    });
    req.on('error', () => undefined);
    req.write(
      `--abort\r\nContent-Disposition: form-data; name="csv_file"; filename="a.csv"\r\n` +
        `Content-Type: text/csv\r\n\r\nemail\n${'a@example.com\n'.repeat(100)}`,
    );
    await waitFor(async () => readdirSync(h.uploadDir).length > 0, {
      what: 'the upload to reach the disk',
      timeoutMs: 5000,
    });
    req.destroy();
    await waitFor(async () => readdirSync(h.uploadDir).length === 0, {
      what: 'the half-written file removed',
      timeoutMs: 5000,
    });
    expect(await state()).toEqual(before);
  });

  it('when the route does not exist, then 404 in the envelope, with X-Request-Id', async () => {
    const res = await api(h.url, acct.live)('GET', '/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('NOT_FOUND');
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    const outside = await api(h.url)('GET', '/nowhere');
    expect(outside.status).toBe(404);
    expect(outside.json.error.code).toBe('NOT_FOUND');
  });
});
