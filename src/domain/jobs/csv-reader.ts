import { Readable, Transform, pipeline } from 'node:stream';
import Papa from 'papaparse';
import { invalidCsv, validationError } from '../errors.ts';
import { breaksBetween, scanRows, type ScanOptions } from './csv-scan.ts';
import { detectEmailColumn } from './email-column.ts';
import { SAVE_AS_UTF8, toUtf8 } from './text-encoding.ts';

export interface CsvLayout {
  delimiter: string;
  /** The header row, or null for a file without one. */
  header: string[] | null;
  emailColumn: number;
}

const DELIMITERS = [',', ';', '\t'] as const;
const SAMPLE_ROWS = 50;

/** Line breaks in text: CRLF, LF or a lone CR, each one break. */
function countBreaks(text: string): number {
  return text.match(/\r\n|\r|\n/g)?.length ?? 0;
}

/** Bytes of a UTF-8 sequence led by `byte` (0 for a continuation byte or a byte UTF-8 never uses). */
function sequenceLength(byte: number): number {
  if (byte < 0x80) return 1;
  if (byte >= 0xc2 && byte < 0xe0) return 2;
  if (byte >= 0xe0 && byte < 0xf0) return 3;
  if (byte >= 0xf0 && byte < 0xf5) return 4;
  return 0;
}

/** The bytes at the end of well-formed UTF-8 that start a sequence not yet complete. */
function incompleteTail(bytes: Buffer): Buffer {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: the lead is further back
    return sequenceLength(byte) > back ? bytes.subarray(bytes.length - back) : Buffer.alloc(0);
  }
  return Buffer.alloc(0);
}

/**
 * Counts line breaks in bytes as in text (CRLF, LF or a lone CR, each one break), across chunks:
 * `state.cr` says the previous chunk ended with CR. CR and LF are ASCII, never part of a
 * multi-byte sequence, so this holds whatever the bytes decode to.
 */
function breaksIn(bytes: Buffer, state: { cr: boolean }, end = bytes.length): number {
  if (end === 0) return 0;
  let n = 0;
  for (let i = bytes.indexOf(0x0d); i >= 0 && i < end; i = bytes.indexOf(0x0d, i + 1)) n++;
  for (let i = bytes.indexOf(0x0a); i >= 0 && i < end; i = bytes.indexOf(0x0a, i + 1)) {
    if (!(i === 0 ? state.cr : bytes[i - 1] === 0x0d)) n++;
  }
  state.cr = bytes[end - 1] === 0x0d;
  return n;
}

/**
 * The line (counted from the chunk's first, 0) of the first byte sequence in `bytes` that is
 * not UTF-8. Each piece between line breaks must decode on its own, since no character spans
 * one; only the last may stop inside a character (the next chunk completes it).
 */
function badUtf8Offset(bytes: Buffer, cr: boolean): number {
  let start = 0;
  for (;;) {
    let end = start;
    while (end < bytes.length && bytes[end] !== 0x0a && bytes[end] !== 0x0d) end++;
    const last = end === bytes.length;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start, end), {
        stream: last,
      });
    } catch {
      return breaksIn(bytes, { cr }, start);
    }
    if (last) return breaksIn(bytes, { cr }); // not expected: the decoder failed on this chunk
    start = end + 1;
  }
}

/**
 * Decodes bytes to text as they stream: drops a BOM, and rejects NUL bytes (binary files) and
 * byte sequences that are not UTF-8, with the line (1-based, as in the file) where the first
 * one is. Emits strings (object mode) so no character is ever split.
 */
export function utf8Decoder(): Transform {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  /** Line breaks before the current chunk, and whether it ended with CR. */
  let linesBefore = 0;
  const state = { cr: false };
  /** The end of the previous chunk: a character that this chunk completes (no CR or LF). */
  let carry: Buffer = Buffer.alloc(0);
  return new Transform({
    readableObjectMode: true,
    transform(chunk: Buffer, _enc, done) {
      const nul = chunk.indexOf(0);
      if (nul >= 0) {
        const line = linesBefore + breaksIn(chunk, { cr: state.cr }, nul) + 1;
        return done(invalidCsv('The file is binary, not CSV text.', line));
      }
      // Only a chunk shorter than a character needs the carry to find its own incomplete end.
      const withCarry = () => (carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk);
      // Decoded 64 KB at a time: V8 reads strings decoded from a megabyte several times slower.
      const texts: string[] = [];
      try {
        for (let i = 0; i < chunk.length; i += 65536) {
          texts.push(decoder.decode(chunk.subarray(i, i + 65536), { stream: true }));
        }
      } catch {
        const line = linesBefore + badUtf8Offset(withCarry(), state.cr) + 1;
        return done(invalidCsv(`The file is not UTF-8 text. ${SAVE_AS_UTF8}`, line));
      }
      carry = incompleteTail(chunk.length >= 4 ? chunk : withCarry());
      linesBefore += breaksIn(chunk, state);
      for (const text of texts) if (text !== '') this.push(text);
      done();
    },
    flush(done) {
      try {
        done(null, decoder.decode());
      } catch {
        // The file ends inside a character: that is on its last line.
        done(invalidCsv(`The file is not UTF-8 text. ${SAVE_AS_UTF8}`, linesBefore + 1));
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
 * The row separator: LF, unless CR comes first (outside quotes) and then CRLF or a lone CR, by
 * which is more common. The rule papaparse applies to its first chunk when not told, given to it
 * explicitly so the fast reader (csv-scan.ts) and papaparse always split rows alike.
 */
export function detectNewline(head: string): '\n' | '\r\n' | '\r' {
  const text = head.slice(0, 65536).replace(/"[^]*?"/g, '');
  const byCr = text.split('\r');
  const byLf = text.split('\n');
  if (byCr.length === 1 || (byLf.length > 1 && byLf[0]!.length < byCr[0]!.length)) return '\n';
  const crlf = byCr.filter((piece) => piece.startsWith('\n')).length;
  return crlf >= byCr.length / 2 ? '\r\n' : '\r';
}

/**
 * Physical lines of the text papaparse has been given, so a parse error can name its line
 * (1-based, blank lines and the lines inside quoted fields counted). papaparse parses each chunk
 * from the end of the last complete record (its `meta.cursor`), and an error's `index` is
 * relative to that point; only the text from there on is kept.
 */
class LineTracker {
  /** Absolute offset of `pending`'s first character, and the line breaks before it. */
  private base = 0;
  private pending = '';

  /** `breaks`: line breaks in the file before the text this tracker is given. */
  constructor(private breaks = 0) {}

  feed(piece: string) {
    this.pending += piece;
  }

  /** papaparse has consumed the text up to `cursor` (absolute, at a record boundary). */
  advance(cursor: number) {
    const n = cursor - this.base;
    if (n <= 0) return;
    this.breaks += countBreaks(this.pending.slice(0, n));
    this.pending = this.pending.slice(n);
    this.base = cursor;
  }

  /** The 1-based line of the character at `index` past the last cursor. */
  lineAt(index: number): number {
    return this.breaks + countBreaks(this.pending.slice(0, index)) + 1;
  }
}

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

export function chooseLayout(
  sample: string[][],
  delimiter: string,
  emailColumn?: string | number,
): CsvLayout {
  const first = sample[0]!;
  if (typeof emailColumn === 'string') {
    const wanted = emailColumn.trim().toLowerCase();
    const index = first.findIndex((h) => h.trim().toLowerCase() === wanted);
    if (index < 0) {
      throw validationError({ email_column: [`No column named '${emailColumn}' in the header.`] });
    }
    return { delimiter, header: first, emailColumn: index };
  }
  const found = detectEmailColumn(sample);
  if (typeof emailColumn === 'number') {
    if (emailColumn >= found.width) {
      throw validationError({
        email_column: [
          `The file has ${found.width} column(s); index ${emailColumn} is out of range.`,
        ],
      });
    }
    return { delimiter, header: found.header, emailColumn };
  }
  if (found.emailColumn !== null)
    return { delimiter, header: found.header, emailColumn: found.emailColumn };
  throw invalidCsv(
    'No email column found: name it in `email_column`, or use a header such as "email".',
  );
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
