import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { Request } from 'express';
import type multer from 'multer';
import { countInput, packUploadBytes, type UploadWork } from '../../domain/jobs/count-input.ts';
import { emailColumnOf } from '../schemas/jobs.schemas.ts';

/** The work started while the upload arrived, if any (see countingDiskStorage). */
export function countedUpload(req: Request): UploadWork | undefined {
  return (req as Request & { counted?: UploadWork }).counted;
}

/**
 * multer storage that streams the file to disk and, on the same bytes as they arrive, counts it
 * (CSV checks, rows, unique and billable addresses) and packs it for storage (gzip, on libuv's
 * threads, so on the other core), so a large upload is counted and packed by the time it has
 * landed. The count assumes the `email_column` field sent before the file; if the field
 * comes after it, the job counts again from disk.
 */
export function countingDiskStorage(dir: string, maxRows: number): multer.StorageEngine {
  return {
    _handleFile(req, file, cb) {
      const target = path.join(dir, `upload-${randomUUID()}.csv`);
      const out = createWriteStream(target);
      const counter = new PassThrough({ highWaterMark: 1 << 20 });
      const emailColumn = emailColumnOf(
        (req.body as Record<string, unknown> | undefined)?.email_column,
      );
      const result = countInput(counter, { source: 'csv_file', emailColumn, maxRows });
      // A count that fails early (not CSV, too many rows) stops reading: let the upload go on to
      // disk regardless; the failure is reported when the job is created.
      result.catch(() => counter.resume());
      const packer = new PassThrough({ highWaterMark: 1 << 20 });
      const packed = packUploadBytes(packer);
      (req as Request & { counted?: UploadWork }).counted = { emailColumn, result, packed };
      let size = 0;
      let settled = false;
      // multer removes only files whose engine reported success: after a failure (the client
      // went away, a cut-off body, a disk error) the half-written file is ours to delete, once
      // the stream has closed it (an unlink before a pending open would let the open recreate
      // it). The callback runs once, after the file is gone.
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        file.stream.unpipe(counter);
        file.stream.unpipe(packer);
        file.stream.unpipe(out);
        file.stream.resume();
        counter.destroy(err);
        packer.destroy(err);
        const remove = () => {
          unlink(target).then(
            () => cb(err),
            () => cb(err),
          );
        };
        if (out.closed) remove();
        else {
          out.once('close', remove);
          out.destroy();
        }
      };
      file.stream.on('data', (chunk: Buffer) => (size += chunk.length));
      file.stream.pipe(counter);
      file.stream.pipe(packer);
      file.stream.pipe(out);
      file.stream.on('error', fail);
      out.on('error', fail);
      out.on('finish', () => {
        if (settled) return;
        settled = true;
        cb(null, { path: target, size });
      });
    },
    _removeFile(_req, file, cb) {
      unlink(file.path).then(
        () => cb(null),
        () => cb(null),
      );
    },
  };
}
