/**
 * A set of strings kept as 64-bit fingerprints in typed arrays: 16 bytes a slot instead of the
 * ~150 bytes a Map entry with its string costs, and no string copies. Used where only counts are
 * needed (creating a job counts unique addresses of up to a million rows within the request's
 * memory budget). Two strings share a fingerprint with probability ~n²/2⁶⁵ (3·10⁻⁸ for a million):
 * a count may then be one low, never a verdict wrong (ingest links duplicates exactly).
 */
export class Fingerprints {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private used = 0;

  constructor(capacity = 1024) {
    let size = 1024;
    while (size < capacity * 2) size *= 2;
    this.hi = new Uint32Array(size);
    this.lo = new Uint32Array(size);
  }

  get size(): number {
    return this.used;
  }

  /** Adds the string; false when it (its fingerprint) was there already. */
  add(s: string): boolean {
    // Two independent 32-bit FNV-1a variants over UTF-16 code units.
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193 ^ s.length;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    h1 >>>= 0;
    h2 = (h2 | 1) >>> 0; // lo 0 marks an empty slot
    if ((this.used + 1) * 2 > this.hi.length) this.grow();
    return this.insert(h1, h2);
  }

  private insert(h1: number, h2: number): boolean {
    const mask = this.hi.length - 1;
    for (let i = (h1 ^ h2) & mask; ; i = (i + 1) & mask) {
      const lo = this.lo[i]!;
      if (lo === 0) {
        this.hi[i] = h1;
        this.lo[i] = h2;
        this.used++;
        return true;
      }
      if (lo === h2 && this.hi[i] === h1) return false;
    }
  }

  private grow() {
    const { hi, lo } = this;
    this.hi = new Uint32Array(hi.length * 2);
    this.lo = new Uint32Array(lo.length * 2);
    this.used = 0;
    for (let i = 0; i < hi.length; i++) if (lo[i] !== 0) this.insert(hi[i]!, lo[i]!);
  }
}
