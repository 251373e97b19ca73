import { describe, expect, it } from 'vitest';
import { columnLabel, previewCsv } from '../../../web/src/csv-preview.ts';

describe('the upload preview of the web page', () => {
  it('when a file has a BOM, quotes and an Email column that is not first, then the preview finds that column', () => {
    const p = previewCsv(
      '\uFEFFName,Email,Note\r\n"Doe, Ann",ann@example.com,"say ""hi"""\r\nBob,bob@example.com,x\r\n',
      true,
    );
    expect(p.delimiter).toBe(',');
    expect(p.header).toEqual(['Name', 'Email', 'Note']);
    expect(p.emailColumn).toBe(1);
    expect(p.rows).toEqual([
      ['Doe, Ann', 'ann@example.com', 'say "hi"'],
      ['Bob', 'bob@example.com', 'x'],
    ]);
    expect(columnLabel(p, 1)).toBe('Email');
  });

  it('when the delimiter is a semicolon or a tab and no header names the column, then the column of addresses is found', () => {
    expect(previewCsv('a;b\nx;ann@example.com\ny;bob@example.com\n', true).emailColumn).toBe(1);
    const tab = previewCsv('ann@example.com\tAnn\nbob@example.com\tBob\n', true);
    expect(tab).toMatchObject({ delimiter: '\t', header: null, emailColumn: 0 });
    expect(columnLabel(tab, 1)).toBe('Column 2');
  });

  it('when no column holds addresses, then the preview says so (null) rather than guess', () => {
    expect(previewCsv('name,city\nAnn,Paris\nBob,Rome\n', true).emailColumn).toBeNull();
  });

  it('when the sample stops mid-row, then the partial last row is left out', () => {
    const p = previewCsv('email\nann@example.com\nbob@exa', false);
    expect(p.rows).toEqual([['ann@example.com']]);
  });
});
