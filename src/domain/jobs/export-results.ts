import type { Db } from '../../data/db.ts';
import { pageResults, type ResultRow } from '../../data/jobs.repository.ts';
import { maxRowWidth } from '../../data/results.repository.ts';
import type { AuthContext } from '../accounts/authenticate.ts';
import { getJob } from './read-jobs.ts';

const RESULT_COLUMNS = [
  'mailsift_status',
  'mailsift_reason',
  'mailsift_did_you_mean',
  'mailsift_normalized',
  'mailsift_duplicate_of',
  'mailsift_provider',
  'mailsift_gateway',
];
const PAGE = 5000;

/** OWASP CSV injection: a cell a spreadsheet would run as a formula is prefixed with a quote. */
export function escapeFormula(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

function csvLine(cells: string[], delimiter: string): string {
  return (
    cells
      .map((raw) => {
        const cell = escapeFormula(raw);
        return cell.includes(delimiter) || /["\r\n]/.test(cell)
          ? `"${cell.replaceAll('"', '""')}"`
          : cell;
      })
      .join(delimiter) + '\r\n'
  );
}

/** A string field of the row's checks (jsonb; absent in results written before it existed). */
function checkOf(row: ResultRow, field: 'provider' | 'gateway'): string {
  const checks = row.checks as Record<string, unknown> | null;
  const v = checks?.[field];
  return typeof v === 'string' ? v : '';
}

function resultCells(row: ResultRow): string[] {
  return [
    row.status ?? '',
    row.reason ?? '',
    row.did_you_mean ?? '',
    row.normalized ?? '',
    row.duplicate_of === null ? '' : String(row.duplicate_of),
    checkOf(row, 'provider'),
    checkOf(row, 'gateway'),
  ];
}

/**
 * The client's own file back: its header and columns, in its row order, with the result columns
 * appended; generated page by page so a million rows stream in constant memory. Every row is
 * padded to the widest row of the upload (recorded at ingest), so ragged rows keep each result
 * cell under its name; header cells the file lacks are named `column_N` (and the address column
 * of a file without a header `email`).
 */
export async function exportResultsCsv(
  db: Db,
  auth: AuthContext,
  jobId: string,
  status: string | null,
): Promise<{ filename: string; lines: AsyncGenerator<string> }> {
  const job = await getJob(db, auth, jobId);
  const delimiter = job.delimiter ?? ',';
  const header = Array.isArray(job.columns) ? (job.columns as string[]) : null;
  // Rows only exist once ingested; the width of a job ingested before it was recorded is measured.
  const rowWidth = !job.ingestedAt ? 0 : (job.rowWidth ?? (await maxRowWidth(db, jobId)));
  const width = Math.max(1, header?.length ?? 0, rowWidth);
  const names = Array.from(
    { length: width },
    (_, i) =>
      header?.[i] ?? (!header && i === (job.emailColumn ?? 0) ? 'email' : `column_${i + 1}`),
  );
  async function* lines() {
    // The header goes out with the first page, so a failure reading it is still an error reply.
    let out = csvLine([...names, ...RESULT_COLUMNS], delimiter);
    // Not ingested when read: no rows to give, and none written since may be wider than `width`.
    if (!job.ingestedAt) {
      yield out;
      return;
    }
    let afterIdx = -1;
    for (;;) {
      const rows = await pageResults(db, jobId, { afterIdx, limit: PAGE, status, onlyDone: false });
      for (const row of rows) {
        const fields = row.fields ? (JSON.parse(row.fields) as string[]) : [row.email];
        while (fields.length < width) fields.push('');
        out += csvLine([...fields, ...resultCells(row)], delimiter);
      }
      if (out) yield out;
      if (rows.length < PAGE) return;
      out = '';
      afterIdx = rows[rows.length - 1]!.idx;
    }
  }
  return { filename: `${job.id}-results.csv`, lines: lines() };
}
