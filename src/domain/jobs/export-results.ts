import type { Deps } from '../../deps.ts';
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

/** The check columns `results.csv?columns=` can add, each as `mailsift_<name>` (README). */
export const CHECK_COLUMNS = [
  'free',
  'role',
  'disposable',
  'catch_all',
  'mx_found',
  'mx_host',
  'smtp_code',
  'smtp_enhanced_code',
  'smtp_message',
  'domain',
  'duration_ms',
] as const;
export type CheckColumn = (typeof CHECK_COLUMNS)[number];

export interface ExportOptions {
  /** Only rows with one of these verdicts; null or empty: every row. */
  statuses: string[] | null;
  /** Check columns appended after the default result columns, in this order. */
  columns: CheckColumn[];
  /** Start with a UTF-8 BOM, so Excel reads the file as UTF-8. */
  bom: boolean;
}

/** A scalar as a cell: booleans `true` / `false`, nothing for null or absent. */
function cellOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}

/** A field of the row's checks (jsonb; absent in results written before it existed). */
function checkOf(row: ResultRow, field: string): unknown {
  const checks = row.checks as Record<string, unknown> | null;
  return checks?.[field];
}

function smtpOf(row: ResultRow, field: 'code' | 'enhanced_code' | 'message'): unknown {
  const smtp = checkOf(row, 'smtp') as Record<string, unknown> | null | undefined;
  return smtp?.[field];
}

function checkCell(row: ResultRow, column: CheckColumn): string {
  if (row.status === null) return ''; // not verified yet
  switch (column) {
    case 'smtp_code':
      return cellOf(smtpOf(row, 'code'));
    case 'smtp_enhanced_code':
      return cellOf(smtpOf(row, 'enhanced_code'));
    case 'smtp_message':
      return cellOf(smtpOf(row, 'message'));
    case 'duration_ms':
      return row.duplicate_of !== null ? '0' : cellOf(row.duration_ms);
    case 'free':
    case 'role':
    case 'disposable':
    case 'catch_all':
    case 'mx_found':
    case 'mx_host':
    case 'domain':
      return cellOf(checkOf(row, column));
  }
}

/**
 * The result cells of a row. `mailsift_duplicate_of` is the spreadsheet row of the first
 * occurrence in the uploaded file, counting its header line when it has one (a JSON list's
 * download has an `email` header): what a spreadsheet user can go and find.
 */
function resultCells(row: ResultRow, columns: CheckColumn[], firstRow: number): string[] {
  return [
    row.status ?? '',
    row.reason ?? '',
    row.did_you_mean ?? '',
    row.normalized ?? '',
    row.duplicate_of === null ? '' : String(row.duplicate_of + firstRow),
    cellOf(checkOf(row, 'provider')),
    cellOf(checkOf(row, 'gateway')),
    ...columns.map((c) => checkCell(row, c)),
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
  deps: Pick<Deps, 'db'>,
  auth: AuthContext,
  jobId: string,
  o: ExportOptions,
): Promise<{ filename: string; lines: AsyncGenerator<string> }> {
  const job = await getJob(deps, auth, jobId);
  const db = deps.db.prisma;
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
  // Row numbers as a spreadsheet shows them: 1 is the header line when the file has one.
  const firstRow = header ? 2 : 1;
  const extra = o.columns.map((c) => `mailsift_${c}`);
  async function* lines() {
    // The header goes out with the first page, so a failure reading it is still an error reply.
    let out = (o.bom ? '\uFEFF' : '') + csvLine([...names, ...RESULT_COLUMNS, ...extra], delimiter);
    // Not ingested when read: no rows to give, and none written since may be wider than `width`.
    if (!job.ingestedAt) {
      yield out;
      return;
    }
    let afterIdx = -1;
    for (;;) {
      const rows = await pageResults(db, jobId, {
        afterIdx,
        limit: PAGE,
        statuses: o.statuses,
        onlyDone: false,
      });
      for (const row of rows) {
        const fields = row.fields ? [...row.fields] : [row.email];
        while (fields.length < width) fields.push('');
        out += csvLine([...fields, ...resultCells(row, o.columns, firstRow)], delimiter);
      }
      if (out) yield out;
      if (rows.length < PAGE) return;
      out = '';
      afterIdx = rows[rows.length - 1]!.idx;
    }
  }
  return { filename: `${job.id}-results.csv`, lines: lines() };
}
