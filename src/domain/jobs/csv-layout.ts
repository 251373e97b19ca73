import { invalidCsv, validationError } from '../errors.ts';
import { detectEmailColumn } from './email-column.ts';

/**
 * How a CSV upload is laid out, told from its first text and rows: the delimiter, the row
 * separator, whether it has a header and which column holds the addresses.
 */

export interface CsvLayout {
  delimiter: string;
  /** The header row, or null for a file without one. */
  header: string[] | null;
  emailColumn: number;
}

const DELIMITERS = [',', ';', '\t'] as const;

/** Counts a delimiter outside quotes on each of the first lines; the steadiest non-zero count wins. */
export function detectDelimiter(head: string): string {
  const lines = head
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .slice(0, 20);
  if (lines.length > 1) lines.pop(); // the last line of a head may be cut short
  let best: { d: string; score: number } = { d: ',', score: 0 };
  for (const d of DELIMITERS) {
    const counts = lines.map((line) => {
      let n = 0;
      let quoted = false;
      for (const ch of line) {
        if (ch === '"') quoted = !quoted;
        else if (ch === d && !quoted) n++;
      }
      return n;
    });
    const first = counts[0] ?? 0;
    const steady = counts.filter((c) => c === first).length;
    const score = first > 0 ? steady * 1000 + first : 0;
    if (score > best.score) best = { d, score };
  }
  return best.d;
}

/**
 * The row separator: LF, unless CR comes first (outside quotes) and then CRLF or a lone CR, by
 * which is more common. The rule papaparse applies to its first chunk when not told, given to it
 * explicitly so the fast reader (csv-scan.ts) and papaparse always split rows alike.
 */
export function detectNewline(head: string): '\n' | '\r\n' | '\r' {
  const text = head.slice(0, 65536).replace(/"[^]*?"/g, '');
  const byCr = text.split('\r');
  const byLf = text.split('\n');
  if (byCr.length === 1 || (byLf.length > 1 && byLf[0]!.length < byCr[0]!.length)) return '\n';
  const crlf = byCr.filter((piece) => piece.startsWith('\n')).length;
  return crlf >= byCr.length / 2 ? '\r\n' : '\r';
}

/** The layout from the first rows: the email column named, numbered, or found by its content. */
export function chooseLayout(
  sample: string[][],
  delimiter: string,
  emailColumn?: string | number,
): CsvLayout {
  const first = sample[0]!;
  if (typeof emailColumn === 'string') {
    const wanted = emailColumn.trim().toLowerCase();
    const index = first.findIndex((h) => h.trim().toLowerCase() === wanted);
    if (index < 0) {
      throw validationError({ email_column: [`No column named '${emailColumn}' in the header.`] });
    }
    return { delimiter, header: first, emailColumn: index };
  }
  const found = detectEmailColumn(sample);
  if (typeof emailColumn === 'number') {
    if (emailColumn >= found.width) {
      throw validationError({
        email_column: [
          `The file has ${found.width} column(s); index ${emailColumn} is out of range.`,
        ],
      });
    }
    return { delimiter, header: found.header, emailColumn };
  }
  if (found.emailColumn !== null)
    return { delimiter, header: found.header, emailColumn: found.emailColumn };
  throw invalidCsv(
    'No email column found: name it in `email_column`, or use a header such as "email".',
  );
}
