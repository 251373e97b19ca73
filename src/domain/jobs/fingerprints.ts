/**
 * Counts distinct strings kept as 64-bit fingerprints: 8 bytes a string instead of the ~150 bytes
 * a Map entry with its string costs, and no string copies. Used where only counts are needed
 * (creating a job counts unique addresses of up to a million rows within the request's memory
 * budget). The fingerprints are appended as they come (sequential writes; a hash table's random
 * probes into 16+ MB cost a cache miss each, ~4x the time) and sorted once when the count is
 * asked. Two strings share a fingerprint with probability ~n²/2⁶⁵ (3·10⁻⁸ for a million): a
 * count may then be one low, never a verdict wrong (ingest links duplicates exactly).
 */
export class Fingerprints {
  /** Fingerprint i: low half at 2i, high half at 2i+1 (a little-endian 64-bit word). */
  private words: Uint32Array;
  private added = 0;
  private distinct: number | null = 0;

  constructor(capacity = 1024) {
    this.words = new Uint32Array(Math.max(1024, capacity) * 2);
  }

  /** Distinct strings (distinct fingerprints) added so far. */
  get size(): number {
    if (this.distinct === null) this.distinct = this.countDistinct();
    return this.distinct;
  }

  add(s: string): void {
    this.addFolded(s, s.length);
  }

  /**
   * Adds `s` with the ASCII letters from `from` on lower-cased, as if that string were given
   * (an address whose domain is folded, without building it).
   */
  addFolded(s: string, from: number): void {
    // Two independent 32-bit FNV-1a variants over UTF-16 code units.
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193 ^ s.length;
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (i >= from && c >= 65 && c <= 90) c += 32;
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    if (this.added * 2 === this.words.length) {
      const words = new Uint32Array(this.words.length * 2);
      words.set(this.words);
      this.words = words;
    }
    this.words[2 * this.added] = h2 >>> 0;
    this.words[2 * this.added + 1] = h1 >>> 0;
    this.added++;
    this.distinct = null;
  }

  private countDistinct(): number {
    if (this.added === 0) return 0;
    // Sorted as 64-bit integers (native), then equal neighbours are repeats.
    new BigUint64Array(this.words.buffer, 0, this.added).sort();
    const w = this.words;
    let n = 1;
    for (let i = 1; i < this.added; i++) {
      if (w[2 * i] !== w[2 * i - 2] || w[2 * i + 1] !== w[2 * i - 1]) n++;
    }
    return n;
  }
}
