import { createWriteStream } from 'node:fs';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import Papa from 'papaparse';
import type { Job, Mailsift, VerdictStatus } from '../sdk/src/index.ts';
import { UsageError } from './output.ts';

export const STATUSES: readonly VerdictStatus[] = [
  'deliverable',
  'undeliverable',
  'risky',
  'unknown',
];

/**
 * Keeps the header and the rows whose `mailsift_status` is one of `keep`, in the file's own
 * delimiter (the one before `mailsift_status` in the header). Streams: one record at a time.
 */
class StatusFilter extends Transform {
  private column = -1;
  private delimiter: string | null = null;
  private buffered = '';
  private readonly decoder = new StringDecoder('utf8');
  rows = 0;
  constructor(private readonly keep: Set<string>) {
    super();
  }
  private record(cells: string[]) {
    const line = Papa.unparse([cells], { delimiter: this.delimiter!, newline: '\r\n' }) + '\r\n';
    if (this.column < 0) {
      this.column = cells.indexOf('mailsift_status');
      this.push(line);
    } else if (this.keep.has(cells[this.column] ?? '')) {
      this.rows++;
      this.push(line);
    }
  }
  private parse(text: string) {
    const parsed = Papa.parse<string[]>(text, { delimiter: this.delimiter!, skipEmptyLines: true });
    for (const cells of parsed.data) this.record(cells);
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    const all = this.buffered + this.decoder.write(chunk);
    if (this.delimiter === null) {
      const newline = all.indexOf('\n');
      if (newline < 0) {
        this.buffered = all;
        return done();
      }
      const header = all.slice(0, newline);
      const at = header.indexOf('mailsift_status');
      const before = at > 0 ? header[at - 1] : undefined;
      this.delimiter = before === '"' ? (header[at - 2] ?? ',') : (before ?? ',');
    }
    // Only whole records are parsed; the unfinished tail waits for the next chunk.
    const cut = lastRecordEnd(all);
    this.buffered = all.slice(cut);
    if (cut > 0) this.parse(all.slice(0, cut));
    done();
  }
  override _flush(done: TransformCallback) {
    this.delimiter ??= ',';
    this.buffered += this.decoder.end();
    if (this.buffered) this.parse(this.buffered);
    done();
  }
}

/** The end of the last complete record: the last newline that is outside quotes. */
function lastRecordEnd(text: string): number {
  let quoted = false;
  let end = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === '\n' && !quoted) end = i + 1;
  }
  return end;
}

/**
 * Writes the job's results.csv to `file`: as served for no status or one status (the API
 * filters), through `StatusFilter` for several. Returns the number of data rows written.
 */
export async function downloadTo(
  client: Mailsift,
  job: Job,
  file: string,
  statuses: VerdictStatus[],
  signal: AbortSignal,
): Promise<number> {
  const one = statuses.length === 1 ? statuses[0] : undefined;
  const body = await client.jobs.download(job.id, { status: one }, { signal });
  const source = Readable.fromWeb(body);
  if (statuses.length <= 1) {
    await pipeline(source, createWriteStream(file), { signal });
    return one ? job.counts[one] : job.total;
  }
  const filter = new StatusFilter(new Set(statuses));
  await pipeline(source, filter, createWriteStream(file), { signal });
  return filter.rows;
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
