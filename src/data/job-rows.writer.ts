import { from as copyFrom } from 'pg-copy-streams';
import { copyEscape, copyText } from './copy-text.ts';
import { packFields } from './stored-forms.ts';
import { once } from 'node:events';
import { clientOf, type Tx } from './transaction.ts';

export interface JobRowInput {
  idx: number;
  /** The input row's cells; null for a list of addresses. */
  fields: string[] | null;
  email: string;
  normalized: string | null;
  domain: string;
  syntaxValid: boolean;
  duplicateOf: number | null;
}

/**
 * Streams a job's rows into job_rows with COPY, inside the caller's transaction.
 * Measured: ~20x faster than createMany; rows are buffered into ~64 KB writes.
 */
export function openJobRowsCopy(tx: Tx, jobId: string) {
  const stream = clientOf(tx).query(
    copyFrom(
      'COPY job_rows (job_id, idx, fields, email, normalized, domain, syntax_valid, duplicate_of) FROM STDIN',
    ),
  );
  const job = copyEscape(jobId);
  let buffer = '';
  let failed: Error | null = null;
  stream.on('error', (err) => {
    failed = err;
  });

  const drained = () =>
    new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        stream.off('drain', onDrain);
        stream.off('error', done);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = () => done();
      stream.on('drain', onDrain);
      stream.on('error', done);
    });

  async function flush() {
    if (failed) throw failed;
    if (!buffer) return;
    const chunk = buffer;
    buffer = '';
    if (!stream.write(chunk)) await drained();
    if (failed) throw failed;
  }

  return {
    async write(row: JobRowInput) {
      buffer +=
        `${job}\t${row.idx}\t${copyText(packFields(row.fields, row.email))}\t${copyEscape(row.email)}\t${copyText(row.normalized)}\t` +
        `${copyEscape(row.domain)}\t${row.syntaxValid ? 't' : 'f'}\t${row.duplicateOf ?? '\\N'}\n`;
      if (buffer.length >= 65536) await flush();
    },
    async end() {
      await flush();
      const finished = once(stream, 'finish');
      stream.end();
      await finished;
      if (failed) throw failed;
    },
    abort() {
      stream.destroy();
    },
  };
}
