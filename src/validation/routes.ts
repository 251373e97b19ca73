import type { ProxyConfig, RouteConfig } from './network-config.ts';

/**
 * Chooses how a probe reaches an MX host: directly (from one of SMTP_SOURCE_ADDRESSES, spread
 * round-robin) or through a SOCKS5 proxy, with the HELO name and MAIL FROM of that way out, so
 * that the identity a receiving server sees matches the reverse DNS of the address it sees.
 */

export interface ProbeRoute {
  /** `direct` or the proxy's name: the key of its health and its session cap. */
  id: string;
  proxy: ProxyConfig | null;
  heloName: string;
  mailFrom: string;
  /** Local address a direct connection binds to. */
  localAddress?: string;
}

export interface RouteSettings {
  heloName: string;
  mailFrom: string;
  proxies?: ProxyConfig[];
  routes?: RouteConfig[];
  sourceAddresses?: string[];
}

export class RouteTable {
  private readonly proxies: Map<string, ProxyConfig>;
  private next = 0;

  constructor(private readonly settings: RouteSettings) {
    this.proxies = new Map((settings.proxies ?? []).map((p) => [p.name, p]));
  }

  get sourceAddresses(): string[] {
    return this.settings.sourceAddresses ?? [];
  }

  /** Every way out that some route can take, for the self-check (`direct` first). */
  ways(): ProbeRoute[] {
    const direct = this.build({ match: { kind: 'default' }, via: 'direct' });
    const byProxy = new Map<string, ProbeRoute>();
    for (const r of this.settings.routes ?? []) {
      if (r.via !== 'direct' && !byProxy.has(r.via)) byProxy.set(r.via, this.build(r));
    }
    for (const p of this.proxies.values())
      if (!byProxy.has(p.name))
        byProxy.set(p.name, this.build({ match: { kind: 'default' }, via: p.name }));
    return [direct, ...byProxy.values()];
  }

  /**
   * The route of an MX host, given the domain's provider / gateway ids (providers.ts). Each
   * call for a direct route takes the next source address (one call per session).
   */
  routeFor(mxHost: string, serviceIds: readonly string[]): ProbeRoute {
    return this.build(this.match(mxHost, serviceIds));
  }

  /** The route's id (`direct` or a proxy), without taking a source address. */
  routeIdFor(mxHost: string, serviceIds: readonly string[]): string {
    const r = this.match(mxHost, serviceIds);
    return r.via === 'direct' || !this.proxies.has(r.via) ? 'direct' : r.via;
  }

  private match(mxHost: string, serviceIds: readonly string[]): RouteConfig {
    const host = mxHost.toLowerCase().replace(/\.$/, '');
    const route = (this.settings.routes ?? []).find((r) => {
      switch (r.match.kind) {
        case 'mx':
          return host === r.match.suffix || host.endsWith(`.${r.match.suffix}`);
        case 'provider':
          return serviceIds.includes(r.match.id);
        case 'default':
          return true;
      }
    });
    return route ?? { match: { kind: 'default' }, via: 'direct' };
  }

  private build(r: RouteConfig): ProbeRoute {
    const proxy = r.via === 'direct' ? null : (this.proxies.get(r.via) ?? null);
    const base: ProbeRoute = {
      id: proxy ? proxy.name : 'direct',
      proxy,
      heloName: r.heloName ?? this.settings.heloName,
      mailFrom: r.mailFrom ?? this.settings.mailFrom,
    };
    const sources = this.sourceAddresses;
    if (!proxy && sources.length > 0) {
      base.localAddress = sources[this.next % sources.length];
      this.next = (this.next + 1) % sources.length;
    }
    return base;
  }
}
