import { from as copyFrom, type CopyStreamQuery } from 'pg-copy-streams';
import { copyEscape, copyText } from './copy-text.ts';
import { jobSeqOf } from './job-seq.ts';
import { packFields, packNormalized } from './stored-forms.ts';
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
 * Measured: ~20x faster than createMany; rows are buffered into ~64 KB writes. The COPY starts
 * with the first write, once the job's seq (its key in job_rows) is known.
 */
export function openJobRowsCopy(tx: Tx, jobId: string) {
  let stream: CopyStreamQuery | null = null;
  let job = '';
  let buffer = '';
  let failed: Error | null = null;

  async function open(): Promise<CopyStreamQuery> {
    if (stream) return stream;
    const seq = await jobSeqOf(tx, jobId);
    if (seq === null) throw new Error(`job ${jobId} not found`);
    job = String(seq);
    const s = clientOf(tx).query(
      copyFrom(
        'COPY job_rows (job_seq, idx, fields, email, normalized, domain, syntax_valid, duplicate_of) FROM STDIN',
      ),
    );
    s.on('error', (err) => {
      failed = err;
    });
    return (stream = s);
  }

  const drained = (s: CopyStreamQuery) =>
    new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        s.off('drain', onDrain);
        s.off('error', done);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = () => done();
      s.on('drain', onDrain);
      s.on('error', done);
    });

  async function flush() {
    if (failed) throw failed;
    if (!buffer) return;
    const chunk = buffer;
    buffer = '';
    const s = await open();
    if (!s.write(chunk)) await drained(s);
    if (failed) throw failed;
  }

  return {
    async write(row: JobRowInput) {
      if (!stream) await open();
      buffer +=
        `${job}\t${row.idx}\t${copyText(packFields(row.fields, row.email))}\t${copyEscape(row.email)}\t${copyText(packNormalized(row.normalized, row.email))}\t` +
        `${copyEscape(row.domain)}\t${row.syntaxValid ? 't' : 'f'}\t${row.duplicateOf ?? '\\N'}\n`;
      if (buffer.length >= 65536) await flush();
    },
    async end() {
      if (!stream) return; // no row: nothing to copy
      await flush();
      const finished = once(stream, 'finish');
      stream.end();
      await finished;
      if (failed) throw failed;
    },
    abort() {
      stream?.destroy();
    },
  };
}
