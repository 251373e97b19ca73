import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { packUpload } from '../../data/job-uploads.repository.ts';
import { openCsvEmails } from './csv-reader.ts';
import { openInput, RowCounter, type JobLayout } from './job-input.ts';

/**
 * The work done on an upload while it arrived (see http/middleware/upload-storage.ts): its
 * count, which assumed the `email_column` sent before the file, and its bytes packed for storage.
 */
export interface UploadWork {
  emailColumn: string | number | undefined;
  result: Promise<InputCount>;
  /** undefined when packing failed: the job then stores the file from disk. */
  packed: Promise<Buffer[] | undefined>;
}

/** Packs upload bytes for storage as they arrive (gzip runs on libuv's threads). */
export function packUploadBytes(bytes: Readable): Promise<Buffer[] | undefined> {
  return packUpload(bytes).catch(() => undefined);
}

export interface InputCount {
  layout: JobLayout;
  total: number;
  unique: number;
  billable: number;
  /** sha256 of the input's bytes, for Idempotency-Key comparisons. */
  bytesHash: string;
}

/**
 * One streaming pass over a job's input: checks it whole (CSV rules, row limit) and counts rows,
 * unique rows and billable addresses. Nothing is written. An upload can be counted while it is
 * still arriving (see http/middleware/upload-storage.ts).
 */
export async function countInput(
  bytes: Readable,
  o: { source: 'csv_file' | 'emails'; emailColumn?: string | number | undefined; maxRows: number },
): Promise<InputCount> {
  const hash = createHash('sha256');
  // Hashed on the way through (a 'data' listener would set the stream flowing before the parser
  // reads it, and lose what flows meanwhile).
  const hashed = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  bytes.on('error', (err) => hashed.destroy(err));
  bytes.pipe(hashed);
  const rows = new RowCounter(o.maxRows);
  try {
    const { layout, emails } = await emailsOf(hashed, o);
    for await (const batch of emails) for (const email of batch) rows.add(email);
    return {
      layout,
      total: rows.total,
      unique: rows.unique,
      billable: rows.billable,
      bytesHash: hash.digest('hex'),
    };
  } finally {
    bytes.destroy();
    hashed.destroy();
  }
}

/** Only the addresses: a CSV's email cells (the fast reader's path), or a list's entries. */
async function emailsOf(
  bytes: Readable,
  o: { source: 'csv_file' | 'emails'; emailColumn?: string | number | undefined },
): Promise<{ layout: JobLayout; emails: AsyncIterable<string[]> }> {
  if (o.source === 'csv_file') {
    const { layout, emails } = await openCsvEmails(bytes, { emailColumn: o.emailColumn });
    return {
      layout: {
        columns: layout.header,
        delimiter: layout.delimiter,
        emailColumn: layout.emailColumn,
      },
      emails,
    };
  }
  const { layout, batches } = await openInput({ source: 'emails', bytes });
  return {
    layout,
    emails: (async function* () {
      for await (const batch of batches) yield batch.map((row) => row.email);
    })(),
  };
}
