/**
 * A preview of an uploaded CSV, read from its first bytes in the browser before anything is sent:
 * the delimiter, whether the first row is a header, and the column that holds the addresses. The
 * header and column come from the API's own rules (src/domain/jobs/email-column.ts), so the
 * highlighted column is the one the API would pick; the API stays the judge of the whole file.
 */

import { detectEmailColumn } from '../../src/domain/jobs/email-column.ts';

export interface CsvPreview {
  delimiter: string;
  /** The header row, or null when the first row is data. */
  header: string[] | null;
  /** Up to `maxRows` data rows. */
  rows: string[][];
  /** Columns of the widest sampled row. */
  width: number;
  /** The detected email column (0-based), or null when none looks like one. */
  emailColumn: number | null;
}

const DELIMITERS = [',', ';', '\t'];

/** Splits CSV text into records (quoted fields, doubled quotes, CRLF / LF / CR); drops a partial last line. */
export function parseRecords(text: string, delimiter: string, complete: boolean): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endRecord = () => {
    record.push(field);
    if (record.some((c) => c.trim() !== '')) records.push(record);
    record = [];
    field = '';
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === delimiter) {
      record.push(field);
      field = '';
    } else if (ch === '\r' || ch === '\n') {
      endRecord();
      if (ch === '\r' && text[i + 1] === '\n') i++;
    } else field += ch;
    i++;
  }
  // The sample may stop mid-record: keep the last one only when the text is the whole file.
  if (complete && (field !== '' || record.length > 0)) endRecord();
  return records;
}

/** The delimiter that splits the first lines most steadily into more than one column. */
export function detectDelimiter(text: string): string {
  const lines = text
    .split(/\r\n|\r|\n/)
    .filter((l) => l.trim() !== '')
    .slice(0, 20);
  let best = { delimiter: ',', score: -1 };
  for (const d of DELIMITERS) {
    const widths = parseRecords(lines.join('\n'), d, true).map((r) => r.length);
    if (widths.length === 0) continue;
    const first = widths[0]!;
    const steady = widths.filter((w) => w === first).length;
    const score = first > 1 ? steady * 1000 + first : 0;
    if (score > best.score) best = { delimiter: d, score };
  }
  return best.delimiter;
}

/** Reads the start of a file (BOM dropped) into a preview. `complete`: the text is the whole file. */
export function previewCsv(text: string, complete: boolean, maxRows = 5): CsvPreview {
  const clean = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const delimiter = detectDelimiter(clean);
  const sample = parseRecords(clean, delimiter, complete).slice(0, 51);
  if (sample.length === 0)
    return { delimiter, header: null, rows: [], width: 0, emailColumn: null };
  const { header, emailColumn, width } = detectEmailColumn(sample);
  const body = header ? sample.slice(1) : sample;
  return { delimiter, header, rows: body.slice(0, maxRows), width, emailColumn };
}

/** What the picker shows for column `i`: its header, or "Column N". */
export function columnLabel(preview: CsvPreview, i: number): string {
  const name = preview.header?.[i]?.trim();
  return name ? name : `Column ${i + 1}`;
}
