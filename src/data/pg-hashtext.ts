/**
 * Postgres's `hashtext(text)` in JavaScript: Bob Jenkins' lookup3 hash of the text's UTF-8 bytes
 * (`hash_bytes` in src/common/hashfn.c, a little-endian machine; deterministic collations), as
 * the signed int4 Postgres returns. The work order is keyed on `hashtext(domain)`
 * (job_rows_work_order_idx), so the ingest can plan a job's chunks from the rows it writes
 * instead of reading them back (src/domain/jobs/work-order.ts). Held to Postgres's own answers
 * by test/integration/data/pg-hashtext.test.ts.
 */

const rot = (x: number, k: number) => (x << k) | (x >>> (32 - k));

export function pgHashtext(text: string): number {
  const k = Buffer.from(text, 'utf8');
  let len = k.length;
  let a = (0x9e3779b9 + len + 3923095) | 0;
  let b = a;
  let c = a;
  let i = 0;
  const word = (at: number) =>
    k[at]! | (k[at + 1]! << 8) | (k[at + 2]! << 16) | (k[at + 3]! << 24) | 0;
  while (len >= 12) {
    a = (a + word(i)) | 0;
    b = (b + word(i + 4)) | 0;
    c = (c + word(i + 8)) | 0;
    // mix(a, b, c)
    a = (a - c) | 0;
    a ^= rot(c, 4);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= rot(a, 6);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= rot(b, 8);
    b = (b + a) | 0;
    a = (a - c) | 0;
    a ^= rot(c, 16);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= rot(a, 19);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= rot(b, 4);
    b = (b + a) | 0;
    i += 12;
    len -= 12;
  }
  // The last 11 bytes (hash_bytes' switch, whose cases fall through); the lowest byte of c is
  // left to the length.
  const add = (at: number, shift: number) => (k[i + at]! << shift) | 0;
  if (len >= 11) c = (c + add(10, 24)) | 0;
  if (len >= 10) c = (c + add(9, 16)) | 0;
  if (len >= 9) c = (c + add(8, 8)) | 0;
  if (len >= 8) b = (b + add(7, 24)) | 0;
  if (len >= 7) b = (b + add(6, 16)) | 0;
  if (len >= 6) b = (b + add(5, 8)) | 0;
  if (len >= 5) b = (b + add(4, 0)) | 0;
  if (len >= 4) a = (a + add(3, 24)) | 0;
  if (len >= 3) a = (a + add(2, 16)) | 0;
  if (len >= 2) a = (a + add(1, 8)) | 0;
  if (len >= 1) a = (a + add(0, 0)) | 0;
  return final(a, b, c);
}

function final(a: number, b: number, c: number): number {
  c ^= b;
  c = (c - rot(b, 14)) | 0;
  a ^= c;
  a = (a - rot(c, 11)) | 0;
  b ^= a;
  b = (b - rot(a, 25)) | 0;
  c ^= b;
  c = (c - rot(b, 16)) | 0;
  a ^= c;
  a = (a - rot(c, 4)) | 0;
  b ^= a;
  b = (b - rot(a, 14)) | 0;
  c ^= b;
  c = (c - rot(b, 24)) | 0;
  return c | 0;
}
