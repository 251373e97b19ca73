import { describe, expect, it } from 'vitest';
import { pgHashtext } from '../../../../src/data/pg-hashtext.ts';
import { WorkOrder } from '../../../../src/domain/jobs/work-order.ts';

// WorkOrder packs each unique row's (hashtext(domain), idx) into one double and sorts them; its
// chunk bounds must be those of the plain pairs sorted by hash, then idx (chunkStarts' order:
// test/integration/http/jobs-work-order.test.ts holds it to chunkStarts on a real job).

/** Pairs over 3,000 domains (negative and positive hashes), idx up to the largest that fits. */
function rows(): { domain: string; idx: number }[] {
  const out: { domain: string; idx: number }[] = [];
  const last = 2 ** 21 - 1;
  for (let i = 0; i < 20_000; i++) {
    // Row numbers spread over the whole range, the last one included.
    const idx = i === 0 ? last : Math.floor((i * 104_729) % last);
    out.push({ domain: `d${i % 3000}.example`, idx });
  }
  return out;
}

describe('WorkOrder', () => {
  it('when rows are added in any order, then every size-th key of the packed order is the one of the (hash, idx) pairs sorted, the largest row number and both signs of hash included', () => {
    const input = rows();
    expect(WorkOrder.fits(2 ** 21)).toBe(false);
    expect(WorkOrder.fits(2 ** 21 - 1)).toBe(true);
    // Started small: the keys grow past the capacity given.
    const order = new WorkOrder(10);
    for (const r of input) order.add(r.domain, r.idx);
    const pairs = input
      .map((r) => [pgHashtext(r.domain), r.idx] as [number, number])
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(pairs.some(([h]) => h < 0) && pairs.some(([h]) => h > 0)).toBe(true);
    for (const size of [1, 7, 500, 20_000]) {
      const expected = pairs.filter((_, i) => i % size === 0);
      expect(order.startsEvery(size)).toEqual(expected);
    }
  });

  it('when Postgres hashes a domain otherwise, then agreesWith says so', async () => {
    const order = new WorkOrder(4);
    order.add('a.example', 0);
    order.add('b.example', 1);
    const same = (texts: string[]) => Promise.resolve(texts.map(pgHashtext));
    expect(await order.agreesWith(same)).toBe(true);
    const other = (texts: string[]) => Promise.resolve(texts.map((t) => pgHashtext(t) ^ 1));
    expect(await order.agreesWith(other)).toBe(false);
  });
});
