import { isAscii } from 'node:buffer';
import { Transform } from 'node:stream';
import chardet from 'chardet';
import iconv from 'iconv-lite';
import { invalidCsv } from '../errors.ts';

/**
 * The text encodings an upload may come in, turned into UTF-8 bytes before the CSV reader sees
 * them (csv-reader.ts then checks UTF-8, NUL bytes and lines as before). Excel saves "CSV
 * (Comma delimited)" in the system's ANSI code page: Windows-1252 in Western Europe and the
 * Americas. So:
 *
 * - a UTF-8 BOM, or no byte above 0x7F: UTF-8, passed through untouched;
 * - a UTF-16 BOM (Excel's "Unicode Text"): transcoded from UTF-16;
 * - otherwise the first non-ASCII byte decides, with the 64 KB from there: valid UTF-8 stays
 *   UTF-8; else chardet names the encoding, and the text is read as Windows-1252 when that is
 *   a Western single-byte encoding (ISO-8859-1/15, Windows-1252) and the decoded text reads like
 *   Western words (see looksWestern); anything else is refused with INVALID_CSV naming the
 *   encoding seen and how to save the file as UTF-8.
 *
 * The decision depends on the bytes only, never on how they were cut into chunks, so the
 * upload (counted as it arrives) and the ingest (re-reading the stored bytes) agree.
 */

export const SAVE_AS_UTF8 =
  "Save it as UTF-8 and upload it again: in Excel, File > Save As > 'CSV UTF-8 (Comma delimited) (*.csv)'; " +
  "in LibreOffice, tick 'Edit filter settings' and pick 'Unicode (UTF-8)'; in Google Sheets, File > Download > CSV.";

const DECIDE_BYTES = 65_536;
const WESTERN = new Set(['ISO-8859-1', 'ISO-8859-15', 'windows-1252']);
/** Bytes that Windows-1252 leaves undefined: a file holding one is not Windows-1252. */
const UNDEFINED_1252 = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d]);

export type SourceEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

/**
 * Line breaks (CRLF, LF or a lone CR, each one) in bytes, across chunks (`state.cr`: the
 * previous chunk ended with CR). Native indexOf: an ASCII upload is scanned at memory speed.
 */
function breaksIn(bytes: Buffer, state: { cr: boolean }): number {
  if (bytes.length === 0) return 0;
  let n = 0;
  for (let i = bytes.indexOf(0x0d); i >= 0; i = bytes.indexOf(0x0d, i + 1)) n++;
  for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) {
    if (!(i === 0 ? state.cr : bytes[i - 1] === 0x0d)) n++;
  }
  state.cr = bytes[bytes.length - 1] === 0x0d;
  return n;
}

/** Windows-1252 differs from Latin-1 only in 0x80-0x9F (€, –, curly quotes…): iconv-lite's table. */
const C1_1252 = new Map(
  Array.from({ length: 32 }, (_, i) => [
    String.fromCharCode(0x80 + i),
    iconv.decode(Buffer.from([0x80 + i]), 'windows-1252'),
  ]),
);

/** Windows-1252 to UTF-8 with native Latin-1 decoding and UTF-8 encoding (measured ~10x a byte loop). */
function from1252(bytes: Buffer): Buffer {
  const text = bytes.toString('latin1').replace(/[\x80-\x9f]/g, (c) => C1_1252.get(c) ?? c);
  return Buffer.from(text, 'utf8');
}

/** Valid UTF-8 throughout; a sequence cut by the end of `bytes` counts as valid unless `atEnd`. */
function isUtf8(bytes: Buffer, atEnd: boolean): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: !atEnd });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether text decoded as Windows-1252 reads like a Western language: a non-ASCII character
 * next to a letter is a letter itself (not `³`, `¹`, `¿`, `¯` in the middle of a word, which is
 * what Central European text turns into), and runs of three or more non-ASCII letters (Cyrillic
 * or Greek text read as Windows-1252: `Èâàí`) stay rare.
 */
export function looksWestern(text: string): boolean {
  let high = 0;
  let strayInWords = 0;
  let inRuns = 0;
  const chars = [...text];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c.charCodeAt(0) < 0x80) continue;
    high++;
    const letter = /\p{L}/u.test(c);
    const beside = [chars[i - 1], chars[i + 1]].some((n) => n !== undefined && /\p{L}/u.test(n));
    if (!letter && beside) strayInWords++;
    let run = 0;
    for (let j = i; j < chars.length && chars[j]!.charCodeAt(0) >= 0x80; j++) run++;
    for (let j = i - 1; j >= 0 && chars[j]!.charCodeAt(0) >= 0x80; j--) run++;
    if (run >= 3) inRuns++;
  }
  if (high === 0) return true;
  return strayInWords / high <= 0.02 && inRuns / high <= 0.2;
}

/** The encoding of bytes that start at the file's first non-ASCII byte, or the refusal. */
export function decideEncoding(window: Buffer, atEnd: boolean, line: number): SourceEncoding {
  // NUL bytes: a binary file, which the UTF-8 reader refuses as such (naming its line).
  if (isUtf8(window, atEnd) || window.includes(0)) return 'utf-8';
  const matches = chardet.analyse(window);
  const best = matches.find((m) => m.name !== 'UTF-8' && m.name !== 'ASCII');
  const seen = best?.name ?? 'an unknown encoding';
  const western =
    best !== undefined &&
    WESTERN.has(best.name) &&
    !window.some((b) => UNDEFINED_1252.has(b)) &&
    looksWestern(iconv.decode(window, 'windows-1252'));
  if (western) return 'windows-1252';
  throw invalidCsv(
    `The file is not UTF-8 text: its first non-ASCII characters (line ${line}) look like ${seen}, ` +
      `which mailsift does not read. ${SAVE_AS_UTF8}`,
    line,
  );
}

/**
 * Bytes in, UTF-8 bytes out (see the module comment). `onEncoding` is told the decision once.
 */
export function toUtf8(onEncoding?: (e: SourceEncoding) => void): Transform {
  let mode: 'start' | 'scan' | 'decide' | SourceEncoding = 'start';
  let held: Buffer = Buffer.alloc(0);
  let linesBefore = 0;
  const cr = { cr: false };
  let utf16: ReturnType<typeof iconv.getDecoder> | null = null;

  const settle = (encoding: SourceEncoding) => {
    mode = encoding;
    onEncoding?.(encoding);
    if (encoding === 'utf-16le' || encoding === 'utf-16be') utf16 = iconv.getDecoder(encoding);
  };
  const convert = (bytes: Buffer): Buffer => {
    if (mode === 'windows-1252') return from1252(bytes);
    if (utf16) return Buffer.from(utf16.write(bytes), 'utf8');
    return bytes;
  };

  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      try {
        if (mode === 'start') {
          held = Buffer.concat([held, chunk]);
          if (held.length < 3) return done();
          chunk = held;
          held = Buffer.alloc(0);
          if (chunk[0] === 0xff && chunk[1] === 0xfe) settle('utf-16le');
          else if (chunk[0] === 0xfe && chunk[1] === 0xff) settle('utf-16be');
          else if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) settle('utf-8');
          else mode = 'scan';
        }
        if (mode === 'scan') {
          if (isAscii(chunk)) {
            linesBefore += breaksIn(chunk, cr);
            return done(null, chunk);
          }
          const first = chunk.findIndex((b) => b >= 0x80);
          const ascii = chunk.subarray(0, first);
          linesBefore += breaksIn(ascii, cr);
          if (ascii.length > 0) this.push(ascii);
          held = chunk.subarray(first);
          mode = 'decide';
          chunk = Buffer.alloc(0);
        }
        if (mode === 'decide') {
          held = Buffer.concat([held, chunk]);
          if (held.length < DECIDE_BYTES) return done();
          const window = held.subarray(0, DECIDE_BYTES);
          settle(decideEncoding(window, false, linesBefore + 1));
          chunk = held;
          held = Buffer.alloc(0);
        }
        done(null, convert(chunk));
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done) {
      try {
        if (mode === 'start' || mode === 'scan') {
          if (held.length > 0) this.push(held);
          return done();
        }
        if (mode === 'decide') settle(decideEncoding(held, true, linesBefore + 1));
        if (held.length > 0) this.push(convert(held));
        const rest = utf16 ? (utf16 as { end(): string | undefined }).end() : undefined;
        if (rest) this.push(Buffer.from(rest, 'utf8'));
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
}
