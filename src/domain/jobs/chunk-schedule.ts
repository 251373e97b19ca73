import type { WorkRow } from '../../data/results.repository.ts';
import type { Verifier } from '../../validation/types.ts';

/**
 * How a worker process spreads its chunks' domain groups over its sessions in flight
 * (SMTP_SESSIONS_IN_FLIGHT, docs/performance.md): one set of lanes shared by every chunk the
 * process runs, the largest group waiting first, so the lanes stay full until the last groups of
 * the last chunks; a big domain split into pieces that run side by side, never more of them at
 * once than SMTP_MAX_CONNECTIONS_PER_HOST (the fleet-wide per-MX cap in Redis still has the last
 * word across processes).
 */

/** A domain's addresses, or one address of invalid syntax; `key` names the domain. */
export interface WorkGroup {
  key: string;
  rows: WorkRow[];
}

/**
 * A piece of a split domain keeps at least this many addresses: each extra session costs a
 * greeting, EHLO, MAIL FROM and QUIT (four round trips), worth it only against many RCPTs.
 */
export const MIN_PIECE = 100;

/** The chunk's rows as groups: one per domain, a big domain in up to `maxPieces` pieces. */
export function planGroups(rows: WorkRow[], maxPieces: number): WorkGroup[] {
  const byDomain = new Map<string, WorkRow[]>();
  const groups: WorkGroup[] = [];
  for (const row of rows) {
    // Invalid syntax has no domain to share: each such row is verified alone.
    if (!row.syntax_valid || row.domain === '') {
      groups.push({ key: `row:${row.idx}`, rows: [row] });
      continue;
    }
    const group = byDomain.get(row.domain);
    if (group) group.push(row);
    else byDomain.set(row.domain, [row]);
  }
  for (const [domain, members] of byDomain) {
    const pieces = Math.max(1, Math.min(maxPieces, Math.floor(members.length / MIN_PIECE)));
    const size = Math.ceil(members.length / pieces);
    for (let i = 0; i < members.length; i += size) {
      groups.push({ key: `domain:${domain}`, rows: members.slice(i, i + size) });
    }
  }
  return groups;
}

interface Waiting {
  key: string;
  weight: number;
  start: () => void;
}

/**
 * Lanes shared by every chunk of a process. A free lane goes to the heaviest waiting group whose
 * domain has fewer than `perKey` groups running; among equals, the first come.
 */
export class SessionLanes {
  private free: number;
  private readonly waiting: Waiting[] = [];
  private readonly running = new Map<string, number>();

  constructor(
    size: number,
    private readonly perKey: number,
  ) {
    this.free = size;
  }

  /** Runs `work` in a lane; resolves to null without running it when `signal` aborts first. */
  async run<T>(
    key: string,
    weight: number,
    work: () => Promise<T>,
    signal: AbortSignal,
  ): Promise<T | null> {
    if (!(await this.enter(key, weight, signal))) return null;
    try {
      return await work();
    } finally {
      this.leave(key);
    }
  }

  private enter(key: string, weight: number, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const entry: Waiting = {
        key,
        weight,
        start: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(true);
        },
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      // Heaviest first; a newcomer goes behind the groups of its weight already waiting.
      let at = this.waiting.findIndex((w) => w.weight < weight);
      if (at < 0) at = this.waiting.length;
      this.waiting.splice(at, 0, entry);
      this.dispatch();
    });
  }

  private leave(key: string): void {
    this.free++;
    const n = (this.running.get(key) ?? 1) - 1;
    if (n > 0) this.running.set(key, n);
    else this.running.delete(key);
    this.dispatch();
  }

  private dispatch(): void {
    while (this.free > 0) {
      const i = this.waiting.findIndex((w) => (this.running.get(w.key) ?? 0) < this.perKey);
      if (i < 0) return;
      const [next] = this.waiting.splice(i, 1) as [Waiting];
      this.free--;
      this.running.set(next.key, (this.running.get(next.key) ?? 0) + 1);
      next.start();
    }
  }
}

const lanesOfVerifier = new WeakMap<Verifier, SessionLanes>();

/** The process's lanes: one set per verifier (a worker process has one). */
export function lanesFor(verifier: Verifier, size: number, perKey: number): SessionLanes {
  let lanes = lanesOfVerifier.get(verifier);
  if (!lanes) {
    lanes = new SessionLanes(size, perKey);
    lanesOfVerifier.set(verifier, lanes);
  }
  return lanes;
}
