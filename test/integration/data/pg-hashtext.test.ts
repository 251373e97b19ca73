import { describe, expect, it } from 'vitest';
import { pgHashtext } from '../../../src/data/pg-hashtext.ts';
import { useHarness } from '../../support/harness.ts';

// pgHashtext must answer what Postgres's hashtext() answers: the ingest plans a job's chunks by
// it, as keys of job_rows_work_order_idx (src/domain/jobs/work-order.ts).

const h = useHarness();

/** Strings of every length from 0 to 44 (each tail case of the hash, several 12-byte rounds). */
function samples(): string[] {
  const out = [
    '',
    'a',
    'company1.example',
    'xn--bcher-kva.example',
    'bücher.example',
    '例え.テスト',
  ];
  for (let n = 0; n < 4000; n++) {
    const len = n % 45;
    let s = '';
    for (let j = 0; j < len; j++) {
      // Every seventh string runs over the Basic Multilingual Plane (2- and 3-byte UTF-8), the
      // others over a-z.
      const code =
        n % 7 === 0 ? 0x20 + ((n * 31 + j * 17) % 0x2fff) : 0x61 + ((n * 13 + j * 7) % 26);
      s += String.fromCodePoint(code);
    }
    out.push(s, `company${n}.example`);
  }
  out.push('😀.example', 'a'.repeat(300));
  return out;
}

describe('pgHashtext', () => {
  it("when given 8,000 strings of every length and of 1- to 4-byte characters, then it answers Postgres's hashtext() for each", async () => {
    const texts = samples();
    const { rows } = await h.deps.db.pool.query<{ hash: number }>(
      `SELECT hashtext(t) AS hash FROM unnest($1::text[]) WITH ORDINALITY AS u(t, o) ORDER BY o`,
      [texts],
    );
    expect(rows).toHaveLength(texts.length);
    const differing = texts.filter((t, i) => pgHashtext(t) !== rows[i]!.hash);
    expect(differing).toEqual([]);
  });
});
