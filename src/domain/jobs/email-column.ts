/**
 * How a CSV's header row and email column are found from its first rows. Pure (no Node, no
 * parser), so the web page's preview (web/src/csv-preview.ts) applies the very rules the API does
 * and highlights the column the API would pick.
 */

const HEADER_NAMES = new Set([
  'email',
  'emails',
  'emailaddress',
  'mail',
  'emailaddr',
  'mailaddress',
]);

export const looksLikeEmail = (s: string) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s.trim());

function normaliseHeader(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s_\-.]/g, '');
}

export interface DetectedColumns {
  /** The first row when it is a header, else null. */
  header: string[] | null;
  /** The email column, or null when none can be told. */
  emailColumn: number | null;
  /** Cells of the widest sampled row. */
  width: number;
}

/**
 * The first row is a header when none of its cells looks like an address and it names an email
 * column or a later row holds an address. The email column: the header's, else the first column
 * where at least half the rows look like addresses, else the only column of a headerless file.
 */
export function detectEmailColumn(sample: string[][]): DetectedColumns {
  const first = sample[0] ?? [];
  const width = Math.max(0, ...sample.map((r) => r.length));
  const firstHasEmail = first.some(looksLikeEmail);
  const namedIndex = first.findIndex((h) => HEADER_NAMES.has(normaliseHeader(h)));
  const header =
    !firstHasEmail && (namedIndex >= 0 || sample.slice(1).some((r) => r.some(looksLikeEmail)))
      ? first
      : null;
  if (header && namedIndex >= 0) return { header, emailColumn: namedIndex, width };
  const rows = header ? sample.slice(1) : sample;
  let best = { index: -1, hits: 0 };
  for (let c = 0; c < width; c++) {
    const hits = rows.filter((r) => looksLikeEmail(r[c] ?? '')).length;
    if (hits > best.hits) best = { index: c, hits };
  }
  if (best.index >= 0 && best.hits * 2 >= rows.length)
    return { header, emailColumn: best.index, width };
  if (width === 1 && !header) return { header: null, emailColumn: 0, width };
  return { header, emailColumn: null, width };
}
