import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Fingerprints } from '../../../../src/domain/jobs/fingerprints.ts';
import { detectDelimiter } from '../../../../src/domain/jobs/csv-layout.ts';
import { openCsv } from '../../../../src/domain/jobs/csv-reader.ts';
import { RowCounter, RowNumberer } from '../../../../src/domain/jobs/job-input.ts';

const bytes = (s: string | Buffer) => Readable.from([Buffer.from(s)]);

async function rowsOf(csv: string, emailColumn?: string | number) {
  const { layout, batches } = await openCsv(bytes(csv), { emailColumn });
  const rows: string[][] = [];
  for await (const b of batches) rows.push(...b);
  return { layout, rows };
}

describe('Fingerprints', () => {
  it('when 200,000 distinct strings and their repeats are added, then each counts once', () => {
    const set = new Fingerprints();
    for (let i = 0; i < 200_000; i++) set.add(`user${i}@d${i % 977}.example`);
    expect(set.size).toBe(200_000);
    for (let i = 0; i < 200_000; i += 7) set.add(`user${i}@d${i % 977}.example`);
    expect(set.size).toBe(200_000);
    set.add('one more');
    expect(set.size).toBe(200_001);
  });

  it('when a string is added with its tail folded, then it counts as its lower-cased form', () => {
    const set = new Fingerprints();
    set.add('Ann@example.com');
    set.addFolded('Ann@EXAMPLE.Com', 3);
    expect(set.size).toBe(1);
    set.addFolded('ANN@example.com', 3);
    expect(set.size).toBe(2);
  });
});

describe('RowCounter counts as RowNumberer links', () => {
  it('when a list has duplicates after normalisation and invalid rows, then both agree', () => {
    const list = [
      'a@Example.com',
      ' a@example.COM',
      'b@example.com',
      'nope',
      'nope',
      'A@example.com',
      'a@example.com',
    ];
    const counter = new RowCounter(100);
    const numberer = new RowNumberer(100);
    const links = list.map((e) => {
      counter.add(e);
      return numberer.next(e).duplicateOf;
    });
    expect(links).toEqual([null, 0, null, null, null, null, 0]);
    expect([counter.total, counter.unique, counter.billable]).toEqual([7, 5, 3]);
    expect([numberer.total, numberer.unique, numberer.billable]).toEqual([7, 5, 3]);
  });

  it('when the row limit is passed, then PAYLOAD_TOO_LARGE with the maximum', () => {
    const counter = new RowCounter(2);
    counter.add('a@b.co');
    counter.add('c@d.co');
    expect(() => counter.add('e@f.co')).toThrow(
      expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE', details: { maximum: 2 } }),
    );
  });
});

describe('CSV reading', () => {
  it.each([
    ['a,b,c\n1,2,3\n', ','],
    ['a;b;c\n1;2;3\n', ';'],
    ['a\tb\tc\n1\t2\t3\n', '\t'],
    ['"x, y";z;w\n"1,2";3;4\n', ';'],
  ])('when the head is %j, then the delimiter is %j', (head, d) => {
    expect(detectDelimiter(head)).toBe(d);
  });

  it('when a quoted field holds newlines, delimiters and doubled quotes across chunks, then it is one cell', async () => {
    const csv = 'email,note\r\na@b.co,"line one\r\nline, two ""quoted"""\r\nc@d.co,plain\r\n';
    const chunks = csv.match(/.{1,7}/gs)!.map((c) => Buffer.from(c));
    const { batches } = await openCsv(Readable.from(chunks));
    const rows: string[][] = [];
    for await (const b of batches) rows.push(...b);
    expect(rows).toEqual([
      ['a@b.co', 'line one\r\nline, two "quoted"'],
      ['c@d.co', 'plain'],
    ]);
  });

  it('when a multi-byte character is split between chunks, then it survives', async () => {
    const buf = Buffer.from('email,name\nz@b.co,Zoë Łukasz 東京\n');
    const { batches } = await openCsv(Readable.from([buf.subarray(0, 23), buf.subarray(23)]));
    const rows: string[][] = [];
    for await (const b of batches) rows.push(...b);
    expect(rows).toEqual([['z@b.co', 'Zoë Łukasz 東京']]);
  });

  it('when the header names the column in another case or spelling, then it is found', async () => {
    expect((await rowsOf('Name,E-Mail Address\nx,a@b.co\n')).layout.emailColumn).toBe(1);
    expect((await rowsOf('id,EMAIL\n1,a@b.co\n')).layout.emailColumn).toBe(1);
  });

  it('when there is no header, then the column whose values look like addresses is taken', async () => {
    const { layout, rows } = await rowsOf('1,ann,a@b.co\n2,bob,c@d.co\n');
    expect(layout).toMatchObject({ header: null, emailColumn: 2 });
    expect(rows).toHaveLength(2);
  });

  it('when email_column is given by name or index, then it wins', async () => {
    const csv = 'work,home\nw@b.co,h@b.co\n';
    expect((await rowsOf(csv, 'home')).layout.emailColumn).toBe(1);
    expect((await rowsOf(csv, 1)).layout.emailColumn).toBe(1);
    await expect(rowsOf(csv, 5)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
  });

  it('when blank rows and rows of empty cells appear, then they are skipped', async () => {
    const { rows } = await rowsOf('email,n\n\na@b.co,1\n,\n \nc@d.co,2\n');
    expect(rows).toEqual([
      ['a@b.co', '1'],
      ['c@d.co', '2'],
    ]);
  });
});
