/**
 * What this process knows of its ways out: proxies that failed while probing, and routes over
 * which the last self-check could not reach port 25 at all (diagnostics.ts). The engine answers
 * `unknown / no_connect` at once for a blocked route instead of spending minutes per domain.
 */

export interface ProxyRecord {
  successes: number;
  failures: number;
  lastError: string | null;
  lastErrorAt: Date | null;
  /** Whether the latest connection through it failed. */
  failing: boolean;
}

export class NetworkState {
  readonly proxies = new Map<string, ProxyRecord>();
  private readonly blocked = new Map<string, string>();

  recordProxy(name: string, error: string | null): void {
    const r = this.proxies.get(name) ?? {
      successes: 0,
      failures: 0,
      lastError: null,
      lastErrorAt: null,
      failing: false,
    };
    if (error === null) {
      r.successes++;
      r.failing = false;
    } else {
      r.failures++;
      r.lastError = error;
      r.lastErrorAt = new Date();
      r.failing = true;
    }
    this.proxies.set(name, r);
  }

  /** The self-check's word on a route: blocked with why, or reachable (null). */
  setBlocked(route: string, why: string | null): void {
    if (why === null) this.blocked.delete(route);
    else this.blocked.set(route, why);
  }

  blockedWhy(route: string): string | null {
    return this.blocked.get(route) ?? null;
  }
}
