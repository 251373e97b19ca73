import { Readable } from 'node:stream';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { openCsv } from '../../../../src/domain/jobs/csv-reader.ts';
import { toUtf8 } from '../../../../src/domain/jobs/text-encoding.ts';

/** The bytes cut into pieces of `size`, as an upload arrives. */
function pieces(bytes: Buffer, size: number): Readable {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return Readable.from(out);
}

async function transcode(bytes: Buffer, size = 7): Promise<{ text: string; enc: string | null }> {
  let enc: string | null = null;
  const chunks: Buffer[] = [];
  for await (const c of pieces(bytes, size).pipe(toUtf8((e) => (enc = e))))
    chunks.push(c as Buffer);
  return { text: Buffer.concat(chunks).toString('utf8'), enc };
}

async function rowsOf(bytes: Buffer, size = 5) {
  const { layout, batches } = await openCsv(pieces(bytes, size));
  const rows: string[][] = [];
  for await (const b of batches) rows.push(...b);
  return { layout, rows };
}

const french =
  'Nom;Email;Ville\r\nZoë Müller;zoe@example.com;Zürich\r\nRenée;renee@example.fr;Besançon\r\nJosé;jose@example.es;Málaga\r\n';

describe('upload encodings', () => {
  it('reads a Windows-1252 file from Excel as the same text, whatever the chunking', async () => {
    const bytes = iconv.encode(french + 'Jürgen;j@example.de;5 €\r\n', 'windows-1252');
    for (const size of [1, 3, 64, 65_536]) {
      expect(await transcode(bytes, size)).toEqual({
        text: french + 'Jürgen;j@example.de;5 €\r\n',
        enc: 'windows-1252',
      });
    }
  });

  it('passes UTF-8 (with or without a BOM) and ASCII through untouched', async () => {
    expect(await transcode(Buffer.from(french))).toEqual({ text: french, enc: 'utf-8' });
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(french)]);
    expect((await transcode(bom)).text).toBe('\uFEFF' + french);
    expect(await transcode(Buffer.from('email\na@b.co\n'))).toEqual({
      text: 'email\na@b.co\n',
      enc: null,
    });
  });

  it('reads UTF-16 with its BOM (Excel "Unicode Text")', async () => {
    const bytes = iconv.encode(french.replaceAll(';', '\t'), 'utf-16le', { addBOM: true });
    expect(await transcode(bytes, 3)).toEqual({
      text: french.replaceAll(';', '\t'),
      enc: 'utf-16le',
    });
  });

  it.each([
    [
      'windows-1251',
      'Имя;Email\r\nИван Петров;ivan@example.ru\r\nМария Смирнова;maria@example.ru\r\n',
    ],
    [
      'windows-1250',
      'Imię;Email\r\nŁukasz Żółć;l@example.pl\r\nŚwiętosław Wójcik;s@example.pl\r\n',
    ],
    ['Shift_JIS', '名前,メール\r\n山田太郎,taro@example.jp\r\n鈴木花子,hanako@example.jp\r\n'],
  ])(
    'refuses %s text with INVALID_CSV naming what was seen and how to save as UTF-8',
    async (enc, text) => {
      const err = await rowsOf(iconv.encode(text, enc)).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'INVALID_CSV', details: { line: 1 } });
      expect((err as Error).message).toMatch(/not UTF-8 text: .* look like [\w-]+, .*CSV UTF-8/);
    },
  );

  it('honours an Excel sep= first line: the delimiter, and not a header', async () => {
    const csv = Buffer.from(
      'sep=;\r\nName;Email\r\nAnn, Jr.;ann@example.com\r\nBob;bob@example.com\r\n',
    );
    const { layout, rows } = await rowsOf(csv);
    expect(layout).toEqual({ delimiter: ';', header: ['Name', 'Email'], emailColumn: 1 });
    expect(rows).toEqual([
      ['Ann, Jr.', 'ann@example.com'],
      ['Bob', 'bob@example.com'],
    ]);
    // A parse error still names the line of the file (the sep= line is line 1).
    const broken = Buffer.from('sep=,\nemail,name\na@b.co,"open\n');
    await expect(rowsOf(broken)).rejects.toMatchObject({ details: { line: 3 } });
  });
});
