import { pgHashtext } from '../../data/pg-hashtext.ts';
import type { WorkKey } from '../../data/results.repository.ts';

/** A row number takes 21 bits beside the 32 of its hash in the 53 exact bits of a double. */
const IDX_RANGE = 2 ** 21;
/** Domains whose hash is remembered at once: a list of a million domains must not keep them all. */
const REMEMBERED_DOMAINS = 100_000;
/** Domains whose hash Postgres confirms before the plan is used. */
const SAMPLED_DOMAINS = 16;

/**
 * A job's unique rows in work order, (hashtext(domain), idx), the key of job_rows_work_order_idx,
 * learnt by the ingest as it writes them: the job's chunks are planned from it instead of by
 * reading the rows back (`chunkStarts`, ~1 s at 1M, serial between the ingest and the first
 * chunk; issue 13). Each key is one double, (hash + 2^31) · 2^21 + idx, sorted as a number. A
 * job of 2^21 rows or more (MAX_EMAILS_PER_JOB above the default) is planned by `chunkStarts`.
 *
 * The ingest has Postgres confirm the hashes of the job's first domains before the plan is used
 * (agreesWith). Within one plan the chunks cover every row once whatever the bounds: the first
 * chunk starts at the job's start, the last ends at its end.
 */
export class WorkOrder {
  private keys: Float64Array;
  private count = 0;
  private sorted = false;
  private readonly hashes = new Map<string, number>();
  /** The first domains seen, with the hash given to each: Postgres checks them (agreesWith). */
  private readonly sample: { domain: string; hash: number }[] = [];

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
      if (this.sample.length < SAMPLED_DOMAINS) this.sample.push({ domain, hash });
    }
    if (this.count === this.keys.length) {
      const more = new Float64Array(Math.max(1, this.keys.length * 2));
      more.set(this.keys);
      this.keys = more;
    }
    this.keys[this.count++] = (hash + 2 ** 31) * IDX_RANGE + idx;
    this.sorted = false;
  }

  /**
   * Whether Postgres hashes the job's first domains as pgHashtext did (`hashtexts` answers for
   * them): a server whose hashtext differs (another byte order, a future release) plans by
   * `chunkStarts` instead, so a job planned twice (a retried ingest task) gets the same bounds.
   */
  async agreesWith(hashtexts: (texts: string[]) => Promise<number[]>): Promise<boolean> {
    if (this.sample.length === 0) return true;
    const theirs = await hashtexts(this.sample.map((s) => s.domain));
    return this.sample.every((s, i) => theirs[i] === s.hash);
  }

  /** Sorts the keys (about 0.1 s at 1M). */
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
