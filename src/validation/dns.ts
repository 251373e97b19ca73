import type { Answer } from 'dns-packet';
import { countDnsLookup } from '../lib/probe-metrics.ts';
import { DnsClient, DnsTimeoutError, type DnsResponse } from './dns-client.ts';

/**
 * Where mail for a domain goes (RFC 5321 5.1), cached per name for the records' TTL, with
 * in-flight de-duplication: 10,000 addresses at one domain cost one lookup.
 */

export interface MxHost {
  exchange: string;
  preference: number;
}

export type DomainMail =
  /** `implicit`: no MX, the domain's own A/AAAA stands in (RFC 5321 5.1). */
  | { kind: 'mx'; hosts: MxHost[]; implicit: boolean }
  /** RFC 7505: a single `MX 0 .` says the domain accepts no mail. */
  | { kind: 'null_mx' }
  | { kind: 'nxdomain' }
  /** The name exists but has neither MX nor A/AAAA. */
  | { kind: 'no_mx' }
  /** SERVFAIL, REFUSED or no answer in time: says nothing about the domain. */
  | { kind: 'error'; error: 'servfail' | 'timeout' };

export type HostAddresses =
  | { kind: 'ok'; addresses: string[] }
  | { kind: 'none' }
  | { kind: 'error'; error: 'servfail' | 'timeout' };

export interface DnsResolverOptions {
  servers: string[];
  timeoutMs: number;
  /** Most names kept (each kind); the oldest go first. */
  maxEntries?: number;
  /** Injectable clock for cache tests. */
  now?: () => number;
}

// TTLs are honoured within bounds: a TTL of 0 would defeat the cache for a 10,000-row domain,
// and a week-long TTL would keep a moved domain wrong for too long.
const MIN_TTL_S = 5;
const MAX_TTL_S = 3600;
// RFC 2308 negative caching; the SOA minimum is not read, so a fixed, modest value.
const NEGATIVE_TTL_S = 300;
// A failing resolver is asked again soon, but not by every address of a big domain at once.
const ERROR_TTL_S = 5;

interface Entry<T> {
  value: T;
  expires: number;
}

class TtlCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly inflight = new Map<string, Promise<T>>();

  constructor(
    private readonly max: number,
    private readonly now: () => number,
  ) {}

  async get(key: string, load: () => Promise<{ value: T; ttlS: number }>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && hit.expires > this.now()) return hit.value;
    if (hit) this.entries.delete(key);
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const p = load().then(({ value, ttlS }) => {
      if (this.entries.size >= this.max) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
      this.entries.set(key, { value, expires: this.now() + ttlS * 1000 });
      return value;
    });
    this.inflight.set(key, p);
    try {
      return await p;
    } finally {
      this.inflight.delete(key);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

export class DnsResolver {
  private readonly client: DnsClient;
  private readonly mail: TtlCache<DomainMail>;
  private readonly hosts: TtlCache<HostAddresses>;
  /** Queries sent to DNS servers (for metrics and tests). */
  queries = 0;

  constructor(options: DnsResolverOptions) {
    this.client = new DnsClient({ servers: options.servers, timeoutMs: options.timeoutMs });
    const now = options.now ?? Date.now;
    this.mail = new TtlCache(options.maxEntries ?? 100_000, now);
    this.hosts = new TtlCache(options.maxEntries ?? 100_000, now);
  }

  /** MX hosts of a domain by preference, or why mail cannot go there. Never rejects. */
  resolveMail(domain: string): Promise<DomainMail> {
    return this.mail.get(domain, () => this.lookupMail(domain));
  }

  /** IPv4 then IPv6 addresses of a host. Never rejects. */
  resolveHost(host: string): Promise<HostAddresses> {
    return this.hosts.get(host, () => this.lookupHost(host));
  }

  private async ask(name: string, type: 'MX' | 'A' | 'AAAA'): Promise<DnsResponse | 'timeout'> {
    this.queries++;
    const started = performance.now();
    const r = await this.client.query(name, type).catch((err: unknown) => {
      countDnsLookup(type, err instanceof DnsTimeoutError ? 'timeout' : 'error', started);
      if (err instanceof DnsTimeoutError) return 'timeout' as const;
      throw err;
    });
    if (r !== 'timeout') countDnsLookup(type, r.rcode, started);
    return r;
  }

  private async lookupMail(domain: string): Promise<{ value: DomainMail; ttlS: number }> {
    const r = await this.ask(domain, 'MX');
    if (r === 'timeout') return { value: { kind: 'error', error: 'timeout' }, ttlS: ERROR_TTL_S };
    if (r.rcode === 'NXDOMAIN') return { value: { kind: 'nxdomain' }, ttlS: NEGATIVE_TTL_S };
    if (r.rcode !== 'NOERROR')
      return { value: { kind: 'error', error: 'servfail' }, ttlS: ERROR_TTL_S };

    const mx = r.answers.flatMap((a) => (a.type === 'MX' ? [a] : []));
    const hosts = mx
      .map((a) => ({
        exchange: a.data.exchange.toLowerCase().replace(/\.$/, ''),
        preference: a.data.preference ?? 0,
      }))
      .filter((h) => h.exchange !== '');
    if (mx.length > 0 && hosts.length === 0) return { value: { kind: 'null_mx' }, ttlS: ttlOf(mx) };
    if (hosts.length > 0) {
      hosts.sort((a, b) => a.preference - b.preference); // stable: equal preferences keep DNS order
      return { value: { kind: 'mx', hosts, implicit: false }, ttlS: ttlOf(mx) };
    }

    // RFC 5321 5.1: no MX records: the domain itself is the mail host, if it has an address.
    const addresses = await this.lookupHost(domain);
    if (addresses.value.kind === 'error') return addresses as { value: DomainMail; ttlS: number };
    if (addresses.value.kind === 'none') return { value: { kind: 'no_mx' }, ttlS: NEGATIVE_TTL_S };
    const value: DomainMail = {
      kind: 'mx',
      hosts: [{ exchange: domain, preference: 0 }],
      implicit: true,
    };
    await this.hosts.get(domain, async () => addresses);
    return { value, ttlS: addresses.ttlS };
  }

  private async lookupHost(host: string): Promise<{ value: HostAddresses; ttlS: number }> {
    const [a, aaaa] = await Promise.all([this.ask(host, 'A'), this.ask(host, 'AAAA')]);
    const records: Answer[] = [];
    for (const r of [a, aaaa])
      if (r !== 'timeout' && r.rcode === 'NOERROR') records.push(...r.answers);
    const addresses = [
      ...records.flatMap((x) => (x.type === 'A' ? [x.data] : [])),
      ...records.flatMap((x) => (x.type === 'AAAA' ? [x.data] : [])),
    ];
    if (addresses.length > 0) return { value: { kind: 'ok', addresses }, ttlS: ttlOf(records) };
    const failed = [a, aaaa].find(
      (r) => r === 'timeout' || (r.rcode !== 'NOERROR' && r.rcode !== 'NXDOMAIN'),
    );
    if (failed !== undefined) {
      const error = failed === 'timeout' ? 'timeout' : 'servfail';
      return { value: { kind: 'error', error }, ttlS: ERROR_TTL_S };
    }
    return { value: { kind: 'none' }, ttlS: NEGATIVE_TTL_S };
  }
}

function ttlOf(records: Answer[]): number {
  let ttl = MAX_TTL_S;
  for (const r of records) {
    const t = 'ttl' in r ? r.ttl : undefined;
    if (t !== undefined && t < ttl) ttl = t;
  }
  return Math.min(MAX_TTL_S, Math.max(MIN_TTL_S, ttl));
}
