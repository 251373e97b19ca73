import iconv from 'iconv-lite';
import Papa from 'papaparse';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, csvForm, jobWhen, useHarness } from '../../support/harness.ts';

// Issue 12 point 4: files as Excel saves them, uploaded with the test key, read back as bytes.

let call: ReturnType<typeof api>;
let key: string;
const h = useHarness({}, { workers: true });
beforeAll(async () => {
  const acct = await h.account('business', 0);
  key = acct.test;
  call = api(h.url, key);
});

async function downloadBytes(jobId: string, query = ''): Promise<Buffer> {
  const res = await fetch(`${h.url}/v1/jobs/${jobId}/results.csv${query}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

// Excel (French Windows): "CSV (séparateur : point-virgule)", Windows-1252, CRLF.
const sheet = [
  ['Prénom', 'Nom', 'Courriel', 'Ville'],
  ['Zoë', 'Müller', 'deliverable@example.com', 'Zürich'],
  ['Renée', 'Lefèvre', 'risky@example.com', 'Besançon'],
  ['François', "O'Connor – €5", 'undeliverable@example.com', 'Málaga'],
];
const asCsv = (rows: string[][], sep = ';') => rows.map((r) => r.join(sep)).join('\r\n') + '\r\n';

describe('an upload saved by Excel in Windows-1252', () => {
  it('when it is uploaded, then it is read as Windows-1252 and the download gives the same names in UTF-8', async () => {
    const bytes = iconv.encode(asCsv(sheet), 'windows-1252');
    expect(bytes.includes(0xe9)).toBe(true); // é as one byte: not UTF-8
    const created = await call('POST', '/v1/jobs', csvForm(bytes));
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ total: 3 });
    await jobWhen(call, created.json.id);

    const out = await downloadBytes(created.json.id, '?bom=true');
    expect([...out.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = Papa.parse<string[]>(out.subarray(3).toString('utf8'), {
      delimiter: ';',
      skipEmptyLines: true,
    }).data;
    expect(rows.map((r) => r.slice(0, 4))).toEqual(sheet);
    expect(rows.slice(1).map((r) => r[4])).toEqual(['deliverable', 'risky', 'undeliverable']);
  });

  it('when Excel wrote a sep=; first line, then it names the delimiter and is not the header', async () => {
    const bytes = Buffer.from('sep=;\r\n' + asCsv(sheet).replace('Zürich', 'Zürich, CH'));
    const created = await call('POST', '/v1/jobs', csvForm(bytes));
    expect(created.status).toBe(201);
    expect(created.json.total).toBe(3);
    await jobWhen(call, created.json.id);
    const text = (await downloadBytes(created.json.id)).toString('utf8');
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(
      'Prénom;Nom;Courriel;Ville;mailsift_status;mailsift_reason;mailsift_did_you_mean;mailsift_normalized;mailsift_duplicate_of;mailsift_provider;mailsift_gateway',
    );
    expect(lines[1]).toMatch(/^Zoë;Müller;deliverable@example\.com;Zürich, CH;deliverable;/);
  });

  it('when the file is Cyrillic Windows-1251, then 400 INVALID_CSV names what was seen and how to save as UTF-8; no job', async () => {
    const bytes = iconv.encode(
      'Имя;Email\r\nИван Петров;ivan@example.ru\r\nМария Смирнова;maria@example.ru\r\n',
      'windows-1251',
    );
    const res = await call('POST', '/v1/jobs', csvForm(bytes));
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'INVALID_CSV', details: { line: 1 } });
    expect(res.json.error.message).toMatch(/look like [\w-]+, which mailsift does not read/);
    expect(res.json.error.message).toMatch(/'CSV UTF-8 \(Comma delimited\) \(\*\.csv\)'/);
  });
});
