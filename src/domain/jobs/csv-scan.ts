/**
 * A fast reader for the common shapes of CSV, used to count an upload before the 201: it cuts
 * only the email column out of each row, with `indexOf` over the text, instead of building every
 * field of every row. It reads rows exactly as the papaparse path of csv-reader.ts does (the same
 * delimiter and newline, `skipEmptyLines: 'greedy'`), and vouches only for what it knows to
 * read the same way: unquoted fields, and quoted fields (RFC 4180 2.5-2.7, `""` inside) closed
 * right before a delimiter, a newline or the end of the text. At the first row it cannot vouch
 * for (a quote inside an unquoted field, text after a closing quote, a quote never closed) it
 * stops, and the caller hands that row and the rest to papaparse, which reads it (and reports
 * its errors with their lines) as it always did. test/unit/domain/jobs/csv-scan.test.ts compares both
 * on generated files.
 */

const QUOTE = 34;

export interface ScanOptions {
  delimiter: string;
  newline: string;
  /** The column to cut out of each row, or -1 for whole rows. */
  column: number;
}

export interface ScanResult {
  /** Offset after the last row read (always at a row boundary). */
  end: number;
  /** True when it stopped at `end` on a row it cannot vouch for (not for want of text). */
  unsure: boolean;
}

/** papaparse's `greedy` rule: a row whose fields joined trim to nothing is skipped. */
const isBlank = (fields: string[]) => fields.join('').trim() === '';

/**
 * Reads the complete rows of `text` from `start` (all of it when `final`: the text ends the
 * file) into `out`: for each row that is not blank, its cell at `column` ('' when the row is
 * shorter) or the whole row. Stops early after `limit` rows, or at a row it cannot vouch for.
 */
export function scanRows(
  text: string,
  start: number,
  final: boolean,
  o: ScanOptions,
  out: (string | string[])[],
  limit = Infinity,
): ScanResult {
  const { delimiter: d, newline: nl, column } = o;
  const dl = d.length;
  const d0 = d.charCodeAt(0);
  const len = text.length;
  let pos = start;
  let nextQuote = -2; // unknown
  let nextNewline = -2;
  while (pos < len && out.length < limit) {
    if (nextNewline !== -1 && nextNewline < pos) nextNewline = text.indexOf(nl, pos);
    if (nextQuote !== -1 && nextQuote < pos) nextQuote = text.indexOf('"', pos);
    const lineEnd = nextNewline === -1 ? (final ? len : -1) : nextNewline;
    if (lineEnd < 0) break; // the row may go on in the next piece
    if (nextQuote === -1 || nextQuote >= lineEnd) {
      // No quote up to the newline: the row is its line, split at each delimiter.
      const next = nextNewline === -1 ? len : nextNewline + nl.length;
      const c0 = text.charCodeAt(pos);
      const solid = pos < lineEnd && c0 > 32 && c0 < 127 && c0 !== d0;
      if (column < 0) {
        const row = text.slice(pos, lineEnd).split(d);
        if (solid || !isBlank(row)) out.push(row);
      } else if (solid || !isBlank(text.slice(pos, lineEnd).split(d))) {
        let s = pos;
        for (let c = 0; c < column && s <= lineEnd; c++) {
          const k = text.indexOf(d, s);
          s = k === -1 || k >= lineEnd ? lineEnd + 1 : k + dl;
        }
        if (s > lineEnd) out.push('');
        else {
          const k = text.indexOf(d, s);
          out.push(text.slice(s, k === -1 || k > lineEnd ? lineEnd : k));
        }
      }
      pos = next;
      continue;
    }
    // A quote before the newline: field by field. Only the wanted cell is cut (whole rows: every
    // field); a row whose fields all start blank is read again whole to apply the blank rule.
    const fields: string[] | null = column < 0 ? [] : null;
    let cell = '';
    let solid = false;
    let field = 0;
    let p = pos;
    let rowEnd: number;
    for (; ; field++) {
      if (text.charCodeAt(p) === QUOTE) {
        let q = p;
        for (;;) {
          q = text.indexOf('"', q + 1);
          if (q === -1 || (q === len - 1 && !final)) break;
          if (q !== len - 1 && text.charCodeAt(q + 1) === QUOTE) {
            q++;
            continue;
          }
          break;
        }
        // Never closed: papaparse's error when the text is all there, else more text is needed.
        if (q === -1) return { end: pos, unsure: final };
        if (q === len - 1 && !final) return { end: pos, unsure: false };
        if (fields || field === column) {
          const raw = text.slice(p + 1, q);
          const value = raw.includes('"') ? raw.replaceAll('""', '"') : raw;
          if (fields) fields.push(value);
          else cell = value;
        }
        if (!solid && q > p + 1) {
          const c = text.charCodeAt(p + 1);
          solid = c > 32 && c < 127;
        }
        const after = q + 1;
        nextQuote = -2;
        if (after === len) {
          rowEnd = len;
          break;
        }
        if (text.startsWith(d, after)) {
          p = after + dl;
          continue;
        }
        if (text.startsWith(nl, after)) {
          rowEnd = after + nl.length;
          break;
        }
        return { end: pos, unsure: true }; // text after a closing quote
      }
      if (nextNewline !== -1 && nextNewline < p) nextNewline = text.indexOf(nl, p);
      if (nextQuote !== -1 && nextQuote < p) nextQuote = text.indexOf('"', p);
      if (nextNewline === -1 && !final) return { end: pos, unsure: false };
      const n = nextNewline === -1 ? len : nextNewline;
      let k = text.indexOf(d, p);
      if (k > n) k = -1;
      const end = k === -1 ? n : k;
      if (nextQuote !== -1 && nextQuote < end) return { end: pos, unsure: true }; // a quote inside a field
      if (fields) fields.push(text.slice(p, end));
      else if (field === column) cell = text.slice(p, end);
      if (!solid && end > p) {
        const c = text.charCodeAt(p);
        solid = c > 32 && c < 127 && c !== d0;
      }
      if (k === -1) {
        rowEnd = n === len ? len : n + nl.length;
        break;
      }
      p = k + dl;
    }
    if (fields) {
      if (solid || !isBlank(fields)) out.push(fields);
    } else if (solid) out.push(cell);
    else {
      const row: (string | string[])[] = [];
      scanRows(text.slice(pos, rowEnd), 0, true, { ...o, column: -1 }, row);
      if (row.length > 0) out.push(cell); // the whole-row reader skipped it if blank
    }
    pos = rowEnd;
  }
  return { end: pos, unsure: false };
}
