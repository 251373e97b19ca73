/**
 * Counting line breaks, so an error in an upload names the line of the file it is on: CRLF, LF
 * or a lone CR is each one break, in text and in bytes alike.
 */

/** Line breaks in text: CRLF, LF or a lone CR, each one break. */
export function countBreaks(text: string): number {
  return text.match(/\r\n|\r|\n/g)?.length ?? 0;
}

/** Line breaks (CRLF, LF or a lone CR, each one) in `text` between `from` and `to`. */
export function breaksBetween(text: string, from: number, to: number, crBefore: boolean): number {
  let n = 0;
  for (let i = text.indexOf('\r', from); i !== -1 && i < to; i = text.indexOf('\r', i + 1)) n++;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) {
    const prevCr = i === from ? crBefore : text.charCodeAt(i - 1) === 13;
    if (!prevCr) n++;
  }
  return n;
}

/**
 * Counts line breaks in bytes as in text (CRLF, LF or a lone CR, each one break), across chunks:
 * `state.cr` says the previous chunk ended with CR. CR and LF are ASCII, never part of a
 * multi-byte sequence, so this holds whatever the bytes decode to.
 */
export function breaksIn(bytes: Buffer, state: { cr: boolean }, end = bytes.length): number {
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
 * Physical lines of the text papaparse has been given, so a parse error can name its line
 * (1-based, blank lines and the lines inside quoted fields counted). papaparse parses each chunk
 * from the end of the last complete record (its `meta.cursor`), and an error's `index` is
 * relative to that point; only the text from there on is kept.
 */
export class LineTracker {
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
