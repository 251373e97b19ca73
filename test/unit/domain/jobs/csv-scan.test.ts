import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openCsv, openCsvEmails } from '../../../../src/domain/jobs/csv-reader.ts';

/** A small seeded generator, so a failure names a case that can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const pieces = (text: string, random: () => number) => {
  const bytes = Buffer.from(text);
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length;) {
    const n = 1 + Math.floor(random() * 40);
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return Readable.from(out);
};

type Outcome = { layout: unknown; emails: string[] } | { error: unknown };

const errorOf = (err: unknown) => {
  const e = err as { code?: string; message: string; details?: unknown };
  return { code: e.code, message: e.message, details: e.details };
};

/** The email cells as the papaparse path reads them. */
async function byPapaparse(text: string, column: number | undefined, random: () => number) {
  try {
    const { layout, batches } = await openCsv(pieces(text, random), { emailColumn: column });
    const emails: string[] = [];
    for await (const batch of batches)
      for (const row of batch) emails.push(row[layout.emailColumn] ?? '');
    return { layout, emails } as Outcome;
  } catch (err) {
    return { error: errorOf(err) } as Outcome;
  }
}

async function byScanner(text: string, column: number | undefined, random: () => number) {
  try {
    const { layout, emails } = await openCsvEmails(pieces(text, random), { emailColumn: column });
    const all: string[] = [];
    for await (const batch of emails) all.push(...batch);
    return { layout, emails: all } as Outcome;
  } catch (err) {
    return { error: errorOf(err) } as Outcome;
  }
}

const PLAIN = ['a@b.co', 'X@Y.ORG', 'name', 'email', ' ', '', '""', '"q, r"', '"x""y"', '\u00a0'];
const RARE = [
  '"',
  '"line\nbreak"',
  '"a@b.co"',
  'mid"quote',
  '"closed" tail',
  '"open',
  'é@ü.de',
  '\t',
];
const SEPARATORS = [',', ',', ',', ';', '\t', '\n', '\n', '\r\n', '\r', '\n\n', ', ,\n'];

function randomCsv(random: () => number): string {
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  const head = pick(['email,name\n', 'id;email\r\n', '', 'a\tb\temail\n']);
  let text = head;
  const n = Math.floor(random() * 30);
  const token = () => pick(random() < 0.04 ? RARE : PLAIN);
  for (let i = 0; i < n; i++) text += token() + pick(SEPARATORS);
  if (random() < 0.5) text += token();
  return text;
}

describe('the fast reader reads what papaparse reads', () => {
  it('when 3,000 generated files (quotes, blank rows, mixed newlines, cut anywhere) are read both ways, then cells, layouts and errors are the same', async () => {
    let compared = 0;
    let errors = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const text = randomCsv(rng(seed));
      const column = seed % 3 === 0 ? undefined : seed % 2;
      const expected = await byPapaparse(text, column, rng(seed * 7));
      const actual = await byScanner(text, column, rng(seed * 13));
      expect({ seed, text, ...actual }).toEqual({ seed, text, ...expected });
      compared++;
      if ('error' in expected) errors++;
    }
    // Both kinds of outcome were exercised, not only one.
    expect(compared).toBe(3000);
    expect(errors).toBeGreaterThan(300);
    expect(compared - errors).toBeGreaterThan(300);
  });

  it('when a quoted field spans pieces and rows, then its cell is whole and the rows after it count', async () => {
    const text = 'id,email,note\n1,a@b.co,"one\ntwo, ""three"""\n2,"c@d.co",x\n,,\n3,e@f.co,\n';
    const out = await byScanner(text, undefined, rng(5));
    expect(out).toEqual({
      layout: { delimiter: ',', header: ['id', 'email', 'note'], emailColumn: 1 },
      emails: ['a@b.co', 'c@d.co', 'e@f.co'],
    });
  });

  it('when a malformed quote comes after 2,000 plain rows, then the error names its line as papaparse does', async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => `u${i}@b.co,"n ${i}"`).join('\r\n');
    const text = `email,name\r\n${rows}\r\nbad@b.co,"broken" x\r\n`;
    const out = await byScanner(text, undefined, rng(9));
    expect(out).toEqual({
      error: {
        code: 'INVALID_CSV',
        message: 'The file is not valid CSV: Trailing quote on quoted field is malformed.',
        details: { line: 2002 },
      },
    });
    expect(await byPapaparse(text, undefined, rng(3))).toEqual(out);
  });
});
