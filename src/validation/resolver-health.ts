import { randomBytes } from 'node:crypto';
import { DnsTimeoutError, type DnsClient, type DnsResponse, type QueryType } from './dns-client.ts';

/**
 * Whether the resolver tells the truth, from canaries (docs/network.md): well-known domains must
 * have MX records, and a random name must not exist. A resolver that answers NXDOMAIN (or
 * SERVFAIL, or nothing) for everything would otherwise turn a whole list into
 * `undeliverable / invalid_domain`; one that invents answers would hide dead domains. Asked when
 * lookups start failing and before an NXDOMAIN or an empty answer is believed; the answer is
 * kept a little while (shorter when unhealthy, so recovery is seen soon).
 */

export interface ResolverState {
  healthy: boolean;
  /** What the canaries showed, for diagnostics and logs. */
  detail: string;
  checkedAt: Date;
}

export interface ResolverHealthOptions {
  /** Domains that must have MX records; empty: the check is off (always healthy). */
  canaries: string[];
  healthyTtlMs?: number;
  unhealthyTtlMs?: number;
}

export class ResolverHealth {
  private state: ResolverState | null = null;
  private inflight: Promise<ResolverState> | null = null;
  private readonly healthyTtlMs: number;
  private readonly unhealthyTtlMs: number;

  constructor(
    private readonly client: DnsClient,
    private readonly options: ResolverHealthOptions,
  ) {
    this.healthyTtlMs = options.healthyTtlMs ?? 60_000;
    this.unhealthyTtlMs = options.unhealthyTtlMs ?? 10_000;
  }

  get enabled(): boolean {
    return this.options.canaries.length > 0;
  }

  latest(): ResolverState | null {
    return this.state;
  }

  /** The resolver's health, from the canaries unless a recent answer is known. */
  async check(force = false): Promise<ResolverState> {
    if (!this.enabled) return { healthy: true, detail: 'canaries off', checkedAt: new Date() };
    const s = this.state;
    if (!force && s) {
      const ttl = s.healthy ? this.healthyTtlMs : this.unhealthyTtlMs;
      if (Date.now() - s.checkedAt.getTime() < ttl) return s;
    }
    this.inflight ??= this.run().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async run(): Promise<ResolverState> {
    const canaries = this.options.canaries;
    const tld = canaries[0]?.split('.').pop() ?? 'com';
    const missing = `mailsift-canary-${randomBytes(8).toString('hex')}.${tld}`;
    const [answers, random] = await Promise.all([
      Promise.all(canaries.map((d) => this.ask(d, 'MX'))),
      this.ask(missing, 'MX'),
    ]);
    const withMx = canaries.filter((_, i) => {
      const r = answers[i];
      return (
        r && r !== 'timeout' && r.rcode === 'NOERROR' && r.answers.some((a) => a.type === 'MX')
      );
    });
    const problems: string[] = [];
    if (withMx.length === 0) {
      const seen = answers.map((r, i) => `${canaries[i]}: ${describe(r)}`).join(', ');
      problems.push(`no canary domain has MX records (${seen})`);
    }
    if (random === 'timeout' || random.rcode !== 'NXDOMAIN') {
      problems.push(`the random name ${missing} did not get NXDOMAIN (${describe(random)})`);
    }
    this.state = {
      healthy: problems.length === 0,
      detail:
        problems.length === 0
          ? `${withMx.length}/${canaries.length} canary domains have MX; a random name is NXDOMAIN`
          : problems.join('; '),
      checkedAt: new Date(),
    };
    return this.state;
  }

  private async ask(name: string, type: QueryType): Promise<DnsResponse | 'timeout'> {
    try {
      return await this.client.query(name, type);
    } catch (err) {
      if (err instanceof DnsTimeoutError) return 'timeout';
      throw err;
    }
  }
}

function describe(r: DnsResponse | 'timeout' | undefined): string {
  if (!r || r === 'timeout') return 'no answer in time';
  if (r.rcode === 'NOERROR') return r.answers.length > 0 ? 'answered with records' : 'no records';
  return r.rcode;
}
