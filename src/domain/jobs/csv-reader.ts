import { Readable, Transform, pipeline } from 'node:stream';
import Papa from 'papaparse';
import { invalidCsv, validationError } from '../errors.ts';

export interface CsvLayout {
  delimiter: string;
  /** The header row, or null for a file without one. */
  header: string[] | null;
  emailColumn: number;
}

const DELIMITERS = [',', ';', '\t'] as const;
const HEADER_NAMES = new Set([
  'email',
  'emails',
  'emailaddress',
  'mail',
  'emailaddr',
  'mailaddress',
]);
const SAMPLE_ROWS = 50;

export const looksLikeEmail = (s: string) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s.trim());

/**
 * Decodes bytes to text as they stream: drops a BOM, and rejects NUL bytes (binary files) and
 * byte sequences that are not UTF-8. Emits strings (object mode) so no character is ever split.
 */
export function utf8Decoder(): Transform {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  return new Transform({
    readableObjectMode: true,
    transform(chunk: Buffer, _enc, done) {
      if (chunk.includes(0)) return done(invalidCsv('The file is binary, not CSV text.'));
      try {
        done(null, decoder.decode(chunk, { stream: true }));
      } catch {
        done(invalidCsv('The file is not UTF-8 text.'));
      }
    },
    flush(done) {
      try {
        done(null, decoder.decode());
      } catch {
        done(invalidCsv('The file is not UTF-8 text.'));
      }
    },
  });
}

/** Counts a delimiter outside quotes on each of the first lines; the steadiest non-zero count wins. */
export function detectDelimiter(head: string): string {
  const lines = head
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .slice(0, 20);
  if (lines.length > 1) lines.pop(); // the last line of a head may be cut short
  let best: { d: string; score: number } = { d: ',', score: 0 };
  for (const d of DELIMITERS) {
    const counts = lines.map((line) => {
      let n = 0;
      let quoted = false;
      for (const ch of line) {
        if (ch === '"') quoted = !quoted;
        else if (ch === d && !quoted) n++;
      }
      return n;
    });
    const first = counts[0] ?? 0;
    const steady = counts.filter((c) => c === first).length;
    const score = first > 0 ? steady * 1000 + first : 0;
    if (score > best.score) best = { d, score };
  }
  return best.d;
}

/**
 * Rows of CSV text in batches, one batch per chunk of text, parsed by papaparse's own streamer
 * (it carries records that span chunks, RFC 4180 2.6). The parser pauses after each batch and
 * resumes when it is taken, so the file is read only as fast as rows are used.
 */
async function* parseRows(text: Readable, delimiter: string): AsyncGenerator<string[][]> {
  const queue: string[][][] = [];
  let done = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  let parser: Papa.Parser | null = null;
  let paused = false;
  let rowsBefore = 0;
  const notify = () => {
    wake?.();
    wake = null;
  };
  text.on('error', (err) => {
    failure = err;
    notify();
  });
  Papa.parse<string[]>(text as unknown as Papa.LocalFile, {
    delimiter,
    skipEmptyLines: 'greedy',
    chunk(result, p) {
      parser = p;
      const err = result.errors[0];
      if (err) {
        failure = invalidCsv(
          `The file is not valid CSV: ${err.message}.`,
          rowsBefore + (err.row ?? 0) + 1,
        );
        p.abort();
        notify();
        return;
      }
      rowsBefore += result.data.length;
      queue.push(result.data);
      if (!paused) {
        paused = true;
        p.pause();
      }
      notify();
    },
    complete() {
      done = true;
      notify();
    },
    error(err: Error) {
      failure = err;
      notify();
    },
  });
  for (;;) {
    if (failure) throw failure;
    const batch = queue.shift();
    if (batch) {
      if (queue.length === 0 && paused) {
        paused = false;
        parser!.resume();
      }
      if (batch.length > 0) yield batch;
      continue;
    }
    if (done) return;
    await new Promise<void>((resolve) => (wake = resolve));
  }
}

function normaliseHeader(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s_\-.]/g, '');
}

export function chooseLayout(
  sample: string[][],
  delimiter: string,
  emailColumn?: string | number,
): CsvLayout {
  const first = sample[0]!;
  const width = Math.max(...sample.map((r) => r.length));
  if (typeof emailColumn === 'string') {
    const wanted = emailColumn.trim().toLowerCase();
    const index = first.findIndex((h) => h.trim().toLowerCase() === wanted);
    if (index < 0) {
      throw validationError({ email_column: [`No column named '${emailColumn}' in the header.`] });
    }
    return { delimiter, header: first, emailColumn: index };
  }
  const firstHasEmail = first.some(looksLikeEmail);
  const namedIndex = first.findIndex((h) => HEADER_NAMES.has(normaliseHeader(h)));
  const header =
    !firstHasEmail && (namedIndex >= 0 || sample.slice(1).some((r) => r.some(looksLikeEmail)))
      ? first
      : null;
  if (typeof emailColumn === 'number') {
    if (emailColumn >= width) {
      throw validationError({
        email_column: [`The file has ${width} column(s); index ${emailColumn} is out of range.`],
      });
    }
    return { delimiter, header, emailColumn };
  }
  if (header && namedIndex >= 0) return { delimiter, header, emailColumn: namedIndex };
  const rows = header ? sample.slice(1) : sample;
  let best = { index: -1, hits: 0 };
  for (let c = 0; c < width; c++) {
    const hits = rows.filter((r) => looksLikeEmail(r[c] ?? '')).length;
    if (hits > best.hits) best = { index: c, hits };
  }
  if (best.index >= 0 && best.hits * 2 >= rows.length)
    return { delimiter, header, emailColumn: best.index };
  if (width === 1 && !header) return { delimiter, header: null, emailColumn: 0 };
  throw invalidCsv(
    'No email column found: name it in `email_column`, or use a header such as "email".',
  );
}

/**
 * Reads CSV bytes as a stream (never whole in memory). Without a known layout, detects the
 * delimiter, header and email column from the first rows; with one (a worker re-reading a stored
 * upload), uses it. Yields data rows in batches, header excluded.
 */
export async function openCsv(
  bytes: Readable,
  o: { emailColumn?: string | number; layout?: CsvLayout } = {},
): Promise<{ layout: CsvLayout; batches: AsyncGenerator<string[][]> }> {
  const decoded = pipeline(
    bytes,
    utf8Decoder(),
    () => undefined,
  ) as unknown as AsyncIterable<string>;
  const it = decoded[Symbol.asyncIterator]();
  let head = '';
  while (head.length < 65536) {
    const next = await it.next();
    if (next.done) break;
    head += next.value;
  }
  if (head.trim() === '') throw invalidCsv('The file is empty.');
  const delimiter = o.layout?.delimiter ?? detectDelimiter(head);
  const text = Readable.from(
    (async function* () {
      yield head;
      for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
    })(),
  );
  const rows = parseRows(text, delimiter);

  if (o.layout) {
    const layout = o.layout;
    return {
      layout,
      batches: (async function* () {
        let skipHeader = layout.header !== null;
        for await (const batch of rows) {
          if (skipHeader) {
            batch.shift();
            skipHeader = false;
          }
          if (batch.length > 0) yield batch;
        }
      })(),
    };
  }

  const sample: string[][] = [];
  const pending: string[][][] = [];
  while (sample.length < SAMPLE_ROWS) {
    const next = await rows.next();
    if (next.done) break;
    pending.push(next.value);
    sample.push(...next.value.slice(0, SAMPLE_ROWS - sample.length));
  }
  if (sample.length === 0) throw invalidCsv('The file holds no rows.');
  const layout = chooseLayout(sample, delimiter, o.emailColumn);
  if (layout.header && pending.flat().length === 1 && (await peekDone(rows, pending))) {
    throw invalidCsv('The file holds a header but no rows.');
  }
  return {
    layout,
    batches: (async function* () {
      let skipHeader = layout.header !== null;
      for (const batch of pending) {
        if (skipHeader) {
          batch.shift();
          skipHeader = false;
        }
        if (batch.length > 0) yield batch;
      }
      yield* rows;
    })(),
  };
}

/** True when the row source is exhausted; a batch read while checking is kept in `pending`. */
async function peekDone(rows: AsyncGenerator<string[][]>, pending: string[][][]): Promise<boolean> {
  const next = await rows.next();
  if (next.done) return true;
  pending.push(next.value);
  return false;
}
