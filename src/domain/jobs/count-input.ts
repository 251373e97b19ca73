import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { openInput, RowCounter, type InputSource, type JobLayout } from './job-input.ts';

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
  const source: InputSource =
    o.source === 'csv_file'
      ? { source: 'csv_file', bytes: hashed, emailColumn: o.emailColumn }
      : { source: 'emails', bytes: hashed };
  const { layout, batches } = await openInput(source);
  const rows = new RowCounter(o.maxRows);
  try {
    for await (const batch of batches) for (const row of batch) rows.add(row.email);
  } finally {
    bytes.destroy();
    hashed.destroy();
  }
  return {
    layout,
    total: rows.total,
    unique: rows.unique,
    billable: rows.billable,
    bytesHash: hash.digest('hex'),
  };
}
