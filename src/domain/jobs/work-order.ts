import { pgHashtext } from '../../data/pg-hashtext.ts';
import type { WorkKey } from '../../data/results.repository.ts';

/** A row number takes 21 bits beside the 32 of its hash in the 53 exact bits of a double. */
const IDX_RANGE = 2 ** 21;
/** Domains whose hash is remembered at once: a list of a million domains must not keep them all. */
const REMEMBERED_DOMAINS = 100_000;

/**
 * A job's unique rows in work order, (hashtext(domain), idx), the key of job_rows_work_order_idx,
 * learnt by the ingest as it writes them: the job's chunks are planned from it instead of by
 * reading the rows back (`chunkStarts`, ~1 s at 1M, serial between the ingest and the first
 * chunk; issue 13). Each key is one double, (hash + 2^31) · 2^21 + idx, sorted as a number. A
 * job of 2^21 rows or more (MAX_EMAILS_PER_JOB above the default) is planned by `chunkStarts`.
 *
 * Should the hash ever differ from Postgres's, the chunks would still cover every row once: the
 * first chunk starts at the job's start, the last ends at its end, and each bound is a key of the
 * same order the chunk reads by (only the chunks' sizes would be uneven).
 */
export class WorkOrder {
  private keys: Float64Array;
  private count = 0;
  private sorted = false;
  private readonly hashes = new Map<string, number>();

  constructor(rows: number) {
    this.keys = new Float64Array(Math.max(rows, 1));
  }

  /** Whether a job of `rows` rows fits the packed keys. */
  static fits(rows: number): boolean {
    return rows < IDX_RANGE;
  }

  /** A unique row (duplicate_of null), with the domain as job_rows stores it. */
  add(domain: string, idx: number): void {
    let hash = this.hashes.get(domain);
    if (hash === undefined) {
      hash = pgHashtext(domain);
      if (this.hashes.size >= REMEMBERED_DOMAINS) this.hashes.clear();
      this.hashes.set(domain, hash);
    }
    if (this.count === this.keys.length) {
      const more = new Float64Array(this.keys.length * 2);
      more.set(this.keys);
      this.keys = more;
    }
    this.keys[this.count++] = (hash + 2 ** 31) * IDX_RANGE + idx;
    this.sorted = false;
  }

  /** Sorts the keys (about 0.1 s at 1M): the ingest calls it while Postgres ends its COPY. */
  seal(): this {
    if (!this.sorted) {
      this.keys = this.keys.subarray(0, this.count).sort();
      this.sorted = true;
    }
    return this;
  }

  /** The key of every `size`-th unique row in work order: what `chunkStarts` answers. */
  startsEvery(size: number): WorkKey[] {
    this.seal();
    const starts: WorkKey[] = [];
    for (let i = 0; i < this.count; i += size) {
      const key = this.keys[i]!;
      const idx = key % IDX_RANGE;
      starts.push([(key - idx) / IDX_RANGE - 2 ** 31, idx]);
    }
    return starts;
  }
}
