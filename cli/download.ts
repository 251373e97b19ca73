import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CHECK_COLUMNS,
  type CheckColumn,
  type Job,
  type Mailsift,
  type VerdictStatus,
} from '../sdk/src/index.ts';
import { UsageError } from './output.ts';

export const STATUSES: readonly VerdictStatus[] = [
  'deliverable',
  'undeliverable',
  'risky',
  'unknown',
];

/** What to download: the verdicts to keep, extra check columns, a BOM for Excel. */
export interface DownloadChoice {
  statuses: VerdictStatus[];
  columns: CheckColumn[] | 'all';
  bom: boolean;
}

export function parseDownload(opts: {
  status?: string;
  columns?: string;
  bom?: boolean;
}): DownloadChoice {
  return {
    statuses: parseStatuses(opts.status),
    columns: parseColumns(opts.columns),
    bom: opts.bom === true,
  };
}

/** The flags that ask for `choice` again (for the command printed on Ctrl-C). */
export function downloadFlags(choice: DownloadChoice): string[] {
  const columns = choice.columns === 'all' ? 'all' : choice.columns.join(',');
  return [
    ...(choice.statuses.length ? ['--status', choice.statuses.join(',')] : []),
    ...(columns ? ['--columns', columns] : []),
    ...(choice.bom ? ['--bom'] : []),
  ];
}

/**
 * Writes the job's results.csv to `file`, filtered by the API (one verdict or several), with
 * the check columns and BOM asked for. Returns the number of data rows written.
 */
export async function downloadTo(
  client: Mailsift,
  job: Job,
  file: string,
  choice: DownloadChoice,
  signal: AbortSignal,
): Promise<number> {
  const body = await client.jobs.download(
    job.id,
    {
      status: choice.statuses.length ? choice.statuses : undefined,
      columns: choice.columns === 'all' || choice.columns.length ? choice.columns : undefined,
      bom: choice.bom || undefined,
    },
    { signal },
  );
  await pipeline(Readable.fromWeb(body), createWriteStream(file), { signal });
  return choice.statuses.length
    ? choice.statuses.reduce((n, s) => n + job.counts[s], 0)
    : job.total;
}

function parseColumns(raw: string | undefined): CheckColumn[] | 'all' {
  if (!raw) return [];
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.includes('all')) return 'all';
  const bad = list.filter((s) => !CHECK_COLUMNS.includes(s as CheckColumn));
  if (bad.length > 0)
    throw new UsageError(
      `--columns takes ${CHECK_COLUMNS.join(', ')} or all; not ${bad.join(', ')}`,
    );
  return [...new Set(list)] as CheckColumn[];
}

export function parseStatuses(raw: string | undefined): VerdictStatus[] {
  if (!raw) return [];
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = list.filter((s) => !STATUSES.includes(s as VerdictStatus));
  if (bad.length > 0)
    throw new UsageError(`--status takes ${STATUSES.join(', ')}; not ${bad.join(', ')}`);
  return [...new Set(list)] as VerdictStatus[];
}
