import { Readable, Transform, pipeline } from 'node:stream';
import Papa from 'papaparse';
import { invalidCsv, validationError } from '../errors.ts';
import { detectEmailColumn } from './email-column.ts';

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
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        const line = linesBefore + badUtf8Offset(withCarry(), state.cr) + 1;
        return done(invalidCsv('The file is not UTF-8 text.', line));
      }
      carry = incompleteTail(chunk.length >= 4 ? chunk : withCarry());
      linesBefore += breaksIn(chunk, state);
      done(null, text);
    },
    flush(done) {
      try {
        done(null, decoder.decode());
      } catch {
        // The file ends inside a character: that is on its last line.
        done(invalidCsv('The file is not UTF-8 text.', linesBefore + 1));
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
 * Physical lines of the text papaparse has been given, so a parse error can name its line
 * (1-based, blank lines and the lines inside quoted fields counted). papaparse parses each chunk
 * from the end of the last complete record (its `meta.cursor`), and an error's `index` is
 * relative to that point; only the text from there on is kept.
 */
class LineTracker {
  /** Absolute offset of `pending`'s first character, and the line breaks before it. */
  private base = 0;
  private breaks = 0;
  private pending = '';

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
): AsyncGenerator<string[][]> {
  const lines = new LineTracker();
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
  const text = (async function* () {
    yield head;
    for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
  })();
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
