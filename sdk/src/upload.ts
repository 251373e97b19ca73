import type { BodySource, RequestBody } from './http.js';

/**
 * What `jobs.create` accepts as a file: a path on disk (Node), a Blob or File, a web
 * ReadableStream, or any async iterable of bytes (a Node Readable is one).
 */
export type FileInput = string | Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** Told after each piece of the file is handed to the connection. */
export type UploadProgress = (sentBytes: number, totalBytes: number | null) => void;

const CHUNK = 64 * 1024;
const encoder = new TextEncoder();
const isNode = typeof process !== 'undefined' && !!process.versions?.node;

interface Opened {
  chunks: AsyncIterable<Uint8Array>;
  size: number | null;
  filename: string;
}

async function* readStream(stream: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

async function open(file: FileInput): Promise<Opened> {
  if (typeof file === 'string') {
    // Node only; imported here so that browsers never load it.
    const fs = await import('node:fs');
    const path = await import('node:path');
    const { size } = await fs.promises.stat(file);
    return {
      chunks: fs.createReadStream(file, { highWaterMark: CHUNK }),
      size,
      filename: path.basename(file),
    };
  }
  if (typeof Blob !== 'undefined' && file instanceof Blob) {
    const name = (file as { name?: unknown }).name;
    return {
      chunks: readStream(file.stream()),
      size: file.size,
      filename: typeof name === 'string' && name ? name : 'upload.csv',
    };
  }
  if (file instanceof ReadableStream) {
    return { chunks: readStream(file), size: null, filename: 'upload.csv' };
  }
  return { chunks: file as AsyncIterable<Uint8Array>, size: null, filename: 'upload.csv' };
}

function quoted(s: string): string {
  return s.replace(/[\r\n"]/g, (c) => ({ '\r': '%0D', '\n': '%0A', '"': '%22' })[c]!);
}

/**
 * A multipart/form-data body that streams the file: each piece is read only when the connection
 * asks for more (a pull stream with no read-ahead), so a file of any size is never held whole.
 * A path or Blob is reopened for each attempt; a stream can be sent only once.
 */
export function multipartUpload(
  file: FileInput,
  fields: Record<string, string | undefined>,
  onProgress?: UploadProgress,
): BodySource {
  const oneShot =
    typeof file !== 'string' && !(typeof Blob !== 'undefined' && file instanceof Blob);
  let started = false;
  return {
    replayable: () => !(oneShot && started),
    async make(touch): Promise<{ body: RequestBody; headers: Record<string, string> }> {
      // Browsers stream a Blob through FormData themselves (and cannot send stream bodies over HTTP/1.1).
      if (!isNode && typeof Blob !== 'undefined' && file instanceof Blob) {
        const form = new FormData();
        for (const [k, v] of Object.entries(fields)) if (v !== undefined) form.append(k, v);
        form.append('csv_file', file, (file as { name?: string }).name || 'upload.csv');
        return { body: form, headers: {} };
      }
      const opened = await open(file);
      const boundary = `----mailsift${Math.random().toString(16).slice(2)}${Date.now().toString(16)}`;
      let head = '';
      for (const [k, v] of Object.entries(fields)) {
        if (v === undefined) continue;
        head += `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`;
      }
      head +=
        `--${boundary}\r\nContent-Disposition: form-data; name="csv_file"; filename="${quoted(opened.filename)}"\r\n` +
        'Content-Type: text/csv\r\n\r\n';
      const tail = `\r\n--${boundary}--\r\n`;
      const iterator = (async function* () {
        yield encoder.encode(head);
        let sent = 0;
        for await (const chunk of opened.chunks) {
          sent += chunk.byteLength;
          yield chunk;
          onProgress?.(sent, opened.size);
        }
        if (sent === 0) onProgress?.(0, opened.size);
        yield encoder.encode(tail);
      })();
      const body = new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            started = true;
            touch();
            const next = await iterator.next();
            if (next.done) controller.close();
            else controller.enqueue(next.value);
          },
          async cancel() {
            await iterator.return(undefined);
          },
        },
        { highWaterMark: 0 },
      );
      return { body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
    },
  };
}
