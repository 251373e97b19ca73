import { Readable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import type { Database } from './db.ts';
import { clientOf, type Tx } from './transaction.ts';

const PART_BYTES = 1 << 20;

/** The parts of a stored upload: its bytes gzipped (level 1), cut into about 1 MB each. */
async function* gzipParts(input: Readable): AsyncGenerator<Buffer> {
  // Compressed on libuv's threads (CSV shrinks ~5x at level 1): a fifth of the bytes to send and
  // to write to the WAL, while the request's own thread parses.
  const bytes = input.pipe(createGzip({ level: 1, chunkSize: 256 * 1024 }));
  input.on('error', (err) => bytes.destroy(err));
  let pending: Buffer[] = [];
  let size = 0;
  for await (const chunk of bytes) {
    const buf = chunk as Buffer;
    pending.push(buf);
    size += buf.length;
    if (size >= PART_BYTES) {
      yield Buffer.concat(pending, size);
      pending = [];
      size = 0;
    }
  }
  if (size > 0) yield Buffer.concat(pending, size);
}

/**
 * A job's input packed for storeUpload ahead of time: an upload is compressed while it arrives,
 * so creating the job only inserts the parts (about a fifth of the bytes).
 */
export async function packUpload(input: Readable): Promise<Buffer[]> {
  const parts: Buffer[] = [];
  for await (const part of gzipParts(input)) parts.push(part);
  return parts;
}

/**
 * Stores a job's input (its bytes, or the parts packUpload made of them) in parts of about 1 MB,
 * inside the caller's transaction. Buffers go to Postgres as binary parameters.
 */
export async function storeUpload(
  tx: Tx,
  jobId: string,
  input: Readable | Buffer[],
): Promise<number> {
  let seq = 0;
  for await (const data of Array.isArray(input) ? input : gzipParts(input)) {
    await clientOf(tx).query('INSERT INTO job_uploads (job_id, seq, data) VALUES ($1, $2, $3)', [
      jobId,
      seq++,
      data,
    ]);
  }
  return seq;
}

/** Streams a stored upload back, one part in memory at a time. */
export function readUpload(db: Database, jobId: string): Readable {
  const parts = Readable.from(
    (async function* () {
      for (let seq = 0; ; seq++) {
        const { rows } = await db.pool.query<{ data: Buffer }>(
          'SELECT data FROM job_uploads WHERE job_id = $1 AND seq = $2',
          [jobId, seq],
        );
        if (!rows[0]) return;
        yield rows[0].data;
      }
    })(),
    { objectMode: false },
  );
  const out = createGunzip();
  parts.on('error', (err) => out.destroy(err));
  return parts.pipe(out);
}
