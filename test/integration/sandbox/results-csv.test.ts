import { beforeAll, describe, expect, it } from 'vitest';
import Papa from 'papaparse';
import { api, csvForm, jobWhen, useHarness } from '../../support/harness.ts';

// Issue 12 point 3: results.csv as a spreadsheet user needs it. Checked on the bytes.

let call: ReturnType<typeof api>;
let jobId: string;

// Semicolons, as a French Excel saves; accents; a duplicate of row 2 on row 5 (the header is row 1).
const upload = [
  'Nom;Email;Ville',
  'Zoë Müller;deliverable@example.com;Zürich',
  'Renée;info@example.com;Besançon',
  'José;someone@mailinator.com;Málaga',
  'Zoë again; deliverable@EXAMPLE.com ;Zürich',
  'Łukasz;undeliverable@example.com;Łódź',
  'Ann;catchall@example.com;Cork',
].join('\r\n');

const h = useHarness({}, { workers: true });

/** The download's bytes as they arrive (`api` decodes text, which would drop a BOM). */
async function download(query: string): Promise<{ status: number; bytes: Buffer }> {
  const res = await fetch(`${h.url}/v1/jobs/${jobId}/results.csv${query}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}
let key = '';

/** What a spreadsheet shows: a BOM means UTF-8 (else Excel guesses the ANSI code page), then rows. */
function asSpreadsheet(bytes: Buffer): { utf8: boolean; rows: string[][] } {
  const utf8 = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const text = utf8 ? bytes.subarray(3).toString('utf8') : bytes.toString('latin1');
  const rows = Papa.parse<string[]>(text, { delimiter: ';', skipEmptyLines: true }).data;
  return { utf8, rows };
}

describe('GET /v1/jobs/{id}/results.csv options', () => {
  beforeAll(async () => {
    const acct = await h.account('business', 0);
    call = api(h.url, acct.test);
    key = acct.test;
    const created = await call('POST', '/v1/jobs', csvForm(upload));
    jobId = created.json.id;
    await jobWhen(call, jobId);
  });

  it('when bom=true, then the bytes start with the UTF-8 BOM and the accented names read right', async () => {
    const { status, bytes } = await download('?bom=true');
    expect(status).toBe(200);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const sheet = asSpreadsheet(bytes);
    expect(sheet.utf8).toBe(true);
    expect(sheet.rows.map((r) => r[0])).toEqual([
      'Nom',
      'Zoë Müller',
      'Renée',
      'José',
      'Zoë again',
      'Łukasz',
      'Ann',
    ]);
    expect(sheet.rows[5]![2]).toBe('Łódź');
    // Without it, the same file carries no BOM: a spreadsheet would guess the code page.
    const plain = await download('');
    expect(plain.bytes[0]).toBe('N'.charCodeAt(0));
    expect(asSpreadsheet(plain.bytes).rows[1]![0]).not.toBe('Zoë Müller');
  });

  it('when a row is a duplicate, then mailsift_duplicate_of is the row of the first occurrence as a spreadsheet numbers it', async () => {
    const { rows } = asSpreadsheet((await download('?bom=true')).bytes);
    const dup = rows[0]!.indexOf('mailsift_duplicate_of');
    expect(rows.map((r) => r[dup])).toEqual(['mailsift_duplicate_of', '', '', '', '2', '', '']);
    // Row 2 of the spreadsheet (the header is row 1) is the first occurrence.
    expect(rows[2 - 1]![1]).toBe('deliverable@example.com');
  });

  it('when status lists several verdicts, then only those rows come, in the file order', async () => {
    const { rows } = asSpreadsheet((await download('?status=deliverable,risky&bom=true')).bytes);
    const st = rows[0]!.indexOf('mailsift_status');
    expect(rows.slice(1).map((r) => [r[0], r[st]])).toEqual([
      ['Zoë Müller', 'deliverable'],
      ['Renée', 'risky'],
      ['José', 'risky'],
      ['Zoë again', 'deliverable'],
      ['Ann', 'risky'],
    ]);
    // The parameter repeated means the same.
    const repeated = await download('?status=deliverable&status=risky');
    expect(repeated.bytes.equals((await download('?status=deliverable,risky')).bytes)).toBe(true);
  });

  it('when columns names checks, then they follow the result columns, as cells a spreadsheet reads', async () => {
    const { rows } = asSpreadsheet(
      (await download('?columns=free,role,disposable,catch_all,mx_host,smtp_code')).bytes,
    );
    const header = rows[0]!;
    expect(header.slice(-6)).toEqual([
      'mailsift_free',
      'mailsift_role',
      'mailsift_disposable',
      'mailsift_catch_all',
      'mailsift_mx_host',
      'mailsift_smtp_code',
    ]);
    const byEmail = new Map(rows.slice(1).map((r) => [r[1]!.trim(), r.slice(-6)]));
    expect(byEmail.get('info@example.com')).toEqual([
      'false',
      'true',
      'false',
      'false',
      'mx1.example.com',
      '250',
    ]);
    // mailinator.com is on the free-provider list as well as the disposable one.
    expect(byEmail.get('someone@mailinator.com')).toEqual([
      'true',
      'false',
      'true',
      '',
      'mx1.mailinator.com',
      '',
    ]);
    expect(byEmail.get('catchall@example.com')?.[3]).toBe('true');
    const all = asSpreadsheet((await download('?columns=all')).bytes).rows[0]!;
    expect(all.filter((c) => c.startsWith('mailsift_')).length).toBe(7 + 11);
  });

  it('when an option has an unknown value, then 400 names it and the choices', async () => {
    const bad = await call('GET', `/v1/jobs/${jobId}/results.csv?status=great,risky`);
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('VALIDATION_ERROR');
    expect(bad.json.error.details.fields.status[0]).toMatch(/'great'.*deliverable, undeliverable/);
    const cols = await call('GET', `/v1/jobs/${jobId}/results.csv?columns=free,shoe_size`);
    expect(cols.json.error.details.fields.columns[0]).toMatch(/'shoe_size'/);
    const bom = await call('GET', `/v1/jobs/${jobId}/results.csv?bom=yes`);
    expect(bom.json.error.details.fields).toHaveProperty('bom');
    // The JSON pages take the same list.
    const page = await call('GET', `/v1/jobs/${jobId}/results?status=undeliverable,deliverable`);
    expect(page.json.data.map((r: { status: string }) => r.status)).toEqual([
      'deliverable',
      'deliverable',
      'undeliverable',
    ]);
  });
});
