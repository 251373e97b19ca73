import { Readable, pipeline } from 'node:stream';
import Papa from 'papaparse';
import { invalidCsv } from '../errors.ts';
import { chooseLayout, detectDelimiter, detectNewline, type CsvLayout } from './csv-layout.ts';
import { scanRows, type ScanOptions } from './csv-scan.ts';
import { breaksBetween, LineTracker } from './line-breaks.ts';
import { toUtf8 } from './text-encoding.ts';
import { utf8Decoder } from './utf8-decoder.ts';

export type { CsvLayout } from './csv-layout.ts';

const SAMPLE_ROWS = 50;

/**
 * Rows of CSV text in batches, one batch per chunk of text, parsed by papaparse's own streamer
 * (it carries records that span chunks, RFC 4180 2.6). The parser pauses after each batch and
 * resumes when it is taken, so the file is read only as fast as rows are used.
 */
async function* parseRows(
  source: AsyncIterable<string>,
  delimiter: string,
  newline: string,
  breaksBefore = 0,
): AsyncGenerator<string[][]> {
  const lines = new LineTracker(breaksBefore);
  const text = Readable.from(
    (async function* () {
      // A piece never ends with CR: papaparse would take the CR of a CRLF split between two
      // pieces for text after a closing quote ("Trailing quote … malformed").
      let held = '';
      for await (const piece of source) {
        const all = held + piece;
        held = all.endsWith('\r') ? '\r' : '';
        const out = held ? all.slice(0, -1) : all;
        if (out === '') continue;
        lines.feed(out);
        yield out;
      }
      if (held) {
        lines.feed(held);
        yield held;
      }
    })(),
  );
  const queue: string[][][] = [];
  let done = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  let parser: Papa.Parser | null = null;
  let paused = false;
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
    newline: newline as Papa.ParseConfig['newline'],
    skipEmptyLines: 'greedy',
    chunk(result, p) {
      parser = p;
      const err = result.errors[0];
      if (err) {
        // papaparse's `row` counts records, not lines; its `index` is into this chunk's text.
        failure = invalidCsv(
          `The file is not valid CSV: ${err.message}.`,
          lines.lineAt(err.index ?? 0),
        );
        p.abort();
        notify();
        return;
      }
      lines.advance(result.meta.cursor);
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

/** Excel's first line naming the delimiter (`sep=;`), sometimes quoted by other programs. */
const SEP_LINE = /^"?sep=([^\r\n"])"?(?:\r\n|\n|\r)/i;

/**
 * Decodes CSV bytes (any encoding text-encoding.ts reads, to UTF-8) and reads the first 64 KB of
 * text, from which delimiter and newline are told. Excel's `sep=;` first line is taken off the
 * text: it names the delimiter (`sep`) and is neither the header nor a row; `breaksBefore`
 * counts it, so errors still name the file's own lines.
 */
async function readHead(bytes: Readable): Promise<{
  head: string;
  rest: AsyncIterator<string>;
  sep: string | null;
  breaksBefore: number;
}> {
  const decoded = pipeline(
    bytes,
    toUtf8(),
    utf8Decoder(),
    () => undefined,
  ) as unknown as AsyncIterable<string>;
  const rest = decoded[Symbol.asyncIterator]();
  let head = '';
  while (head.length < 65536) {
    const next = await rest.next();
    if (next.done) break;
    head += next.value;
  }
  const sep = SEP_LINE.exec(head);
  if (sep) head = head.slice(sep[0].length);
  if (head.trim() === '') throw invalidCsv(sep ? 'The file holds no rows.' : 'The file is empty.');
  return { head, rest, sep: sep?.[1] ?? null, breaksBefore: sep ? 1 : 0 };
}

async function* textOf(first: string, rest: AsyncIterator<string>): AsyncGenerator<string> {
  yield first;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
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
  const { head, rest, sep, breaksBefore } = await readHead(bytes);
  const delimiter = o.layout?.delimiter ?? sep ?? detectDelimiter(head);
  const rows = parseRows(textOf(head, rest), delimiter, detectNewline(head), breaksBefore);

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

/**
 * Rows by the fast reader (csv-scan.ts) while it can vouch for them, then by papaparse from the
 * first row it cannot: whole rows while `scan.column` is -1, else that column's cells. The
 * same rows as parseRows gives, the same errors with the same lines.
 */
async function* scanBatches(
  head: string,
  rest: AsyncIterator<string>,
  scan: ScanOptions,
  /** Whole rows to read at most while `scan.column` is -1 (the sample). */
  wholeRows: number,
  /** Line breaks of the file before `head` (an Excel `sep=` line). */
  breaksBefore = 0,
): AsyncGenerator<(string | string[])[]> {
  let text = head;
  let pos = 0;
  let final = false;
  /** Line breaks before `text[pos]`, and whether the text before it ended with CR. */
  let breaks = breaksBefore;
  let cr = false;
  let whole = 0;
  for (;;) {
    const out: (string | string[])[] = [];
    const limit = scan.column < 0 ? Math.max(1, wholeRows - whole) : Infinity;
    const { end, unsure } = scanRows(text, pos, final, scan, out, limit);
    breaks += breaksBetween(text, pos, end, pos > 0 ? text.charCodeAt(pos - 1) === 13 : cr);
    if (end > 0) cr = text.charCodeAt(end - 1) === 13;
    pos = end;
    if (scan.column < 0) whole += out.length;
    if (out.length > 0) yield out;
    if (unsure) {
      for await (const batch of parseRows(
        textOf(text.slice(pos), rest),
        scan.delimiter,
        scan.newline,
        breaks,
      )) {
        yield scan.column < 0 ? batch : batch.map((row) => row[scan.column] ?? '');
      }
      return;
    }
    // Stopped at the limit: the caller has set the column meanwhile (or takes one more row).
    if (out.length >= limit) continue;
    if (final) return;
    const next = await rest.next();
    if (next.done) final = true;
    else {
      text = text.slice(pos) + next.value;
      pos = 0;
    }
  }
}

/**
 * The email cells of a CSV upload, one batch of strings per piece of text, with the layout (as
 * openCsv tells it): what counting a job needs, read by the fast reader where it can vouch for
 * the rows (csv-scan.ts) and by papaparse from the first row it cannot.
 */
export async function openCsvEmails(
  bytes: Readable,
  o: { emailColumn?: string | number } = {},
): Promise<{ layout: CsvLayout; emails: AsyncGenerator<string[]> }> {
  const { head, rest, sep, breaksBefore } = await readHead(bytes);
  const scan: ScanOptions = {
    delimiter: sep ?? detectDelimiter(head),
    newline: detectNewline(head),
    column: -1,
  };
  // One row more than the sample, to tell a lone header from a header with rows.
  const batches = scanBatches(head, rest, scan, SAMPLE_ROWS + 1, breaksBefore);
  const read: string[][] = [];
  while (read.length <= SAMPLE_ROWS) {
    const next = await batches.next();
    if (next.done) break;
    read.push(...(next.value as string[][]));
  }
  if (read.length === 0) throw invalidCsv('The file holds no rows.');
  const layout = chooseLayout(read.slice(0, SAMPLE_ROWS), scan.delimiter, o.emailColumn);
  // Rows past the sample (papaparse's batches are whole pieces) were read whole: cut them too.
  const column = layout.emailColumn;
  scan.column = column;
  // Fewer rows than asked for means the file ended.
  if (layout.header && read.length === 1) throw invalidCsv('The file holds a header but no rows.');
  const first = read.slice(layout.header ? 1 : 0).map((row) => row[column] ?? '');
  return {
    layout,
    emails: (async function* () {
      if (first.length > 0) yield first;
      yield* batches as AsyncGenerator<string[]>;
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
