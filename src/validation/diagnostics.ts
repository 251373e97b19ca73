import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { DnsTimeoutError, type DnsClient, type DnsResponse, type QueryType } from './dns-client.ts';
import type { NetworkState } from './network-state.ts';
import type { ResolverHealth } from './resolver-health.ts';
import type { ProbeRoute, RouteTable } from './routes.ts';
import { mayConnect } from './safety.ts';
import { SmtpConnection } from './smtp-client.ts';

/**
 * The probing host's self-check (docs/network.md), at start and every few minutes: is the
 * resolver truthful, is port 25 reachable (directly, from each source address, and through
 * each proxy) at a canary MX, does each probing IP's reverse DNS match its HELO name
 * (forward-confirmed), and is any probing IP on the main DNS blocklists. Served at
 * GET /admin/diagnostics and as gauges; a route found blocked makes jobs answer at once.
 */

export type CheckKind = 'resolver' | 'smtp_outbound' | 'reverse_dns' | 'blocklist' | 'proxy';
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skipped';

export interface DiagnosticCheck {
  check: CheckKind;
  /** What was checked: `direct`, `direct from 192.0.2.10`, `proxy eu1`, an IP, `IP @ zone`. */
  target: string;
  status: CheckStatus;
  detail: string;
}

export interface DiagnosticsReport {
  /** No check failed (warnings and skipped checks do not count). */
  ok: boolean;
  checked_at: string;
  duration_ms: number;
  checks: DiagnosticCheck[];
}

/** Spamhaus ZEN, Barracuda's BRBL and SpamCop: the lists most receiving servers consult. */
export const DEFAULT_DNSBL_ZONES = ['zen.spamhaus.org', 'b.barracudacentral.org', 'bl.spamcop.net'];

export interface SelfCheckContext {
  client: DnsClient;
  health: ResolverHealth;
  routes: RouteTable;
  state: NetworkState;
  canaries: string[];
  dnsblZones: string[];
  smtp: { port: number; allowPrivate: boolean; timeoutMs: number };
}

export async function runSelfCheck(ctx: SelfCheckContext): Promise<DiagnosticsReport> {
  const started = Date.now();
  const checks: DiagnosticCheck[] = [];
  const ask = askWith(ctx.client);

  if (ctx.health.enabled) {
    const r = await ctx.health.check(true);
    checks.push({
      check: 'resolver',
      target: 'dns',
      status: r.healthy ? 'ok' : 'fail',
      detail: r.detail,
    });
  } else {
    checks.push({
      check: 'resolver',
      target: 'dns',
      status: 'skipped',
      detail: 'no canary domains (DNS_CANARY_DOMAINS=none)',
    });
  }

  const canary = await canaryMx(ctx, ask);
  for (const way of outboundWays(ctx.routes)) {
    const target = way.route.proxy
      ? `proxy ${way.route.proxy.name}`
      : way.route.localAddress
        ? `direct from ${way.route.localAddress}`
        : 'direct';
    if (!canary.ip) {
      checks.push({ check: 'smtp_outbound', target, status: 'skipped', detail: canary.detail });
      continue;
    }
    const detail = await bannerFrom(ctx, way.route, canary.ip);
    checks.push({
      check: 'smtp_outbound',
      target,
      status: detail.ok ? 'ok' : 'fail',
      detail: `${canary.host} (${canary.ip}) port ${ctx.smtp.port}: ${detail.text}`,
    });
  }
  // A route is blocked only when every way of it failed (one dead source address is not all).
  if (canary.ip) {
    const byRoute = new Map<string, DiagnosticCheck[]>();
    for (const c of checks.filter((x) => x.check === 'smtp_outbound')) {
      const id = c.target.startsWith('proxy ') ? c.target.slice(6) : 'direct';
      byRoute.set(id, [...(byRoute.get(id) ?? []), c]);
    }
    for (const [id, list] of byRoute) {
      const blocked = list.every((c) => c.status === 'fail');
      ctx.state.setBlocked(id, blocked ? (list[0]?.detail ?? 'unreachable') : null);
    }
  }

  for (const [name, r] of ctx.state.proxies) {
    checks.push({
      check: 'proxy',
      target: name,
      status: r.failing ? 'warn' : 'ok',
      detail:
        `${r.successes} connections made, ${r.failures} failed since start` +
        (r.lastError ? `; last failure ${r.lastErrorAt?.toISOString()}: ${r.lastError}` : ''),
    });
  }

  for (const { ip, helo } of await probingIps(ctx, ask)) {
    if (!mayConnect(ip, ctx.smtp.allowPrivate)) {
      const detail = 'a private address: the public one (after NAT) is not known here';
      checks.push({ check: 'reverse_dns', target: ip, status: 'skipped', detail });
      checks.push({ check: 'blocklist', target: ip, status: 'skipped', detail });
      continue;
    }
    checks.push(await reverseDns(ip, helo, ask));
    for (const zone of ctx.dnsblZones) checks.push(await blocklist(ip, zone, ask));
  }

  return {
    ok: checks.every((c) => c.status !== 'fail'),
    checked_at: new Date(started).toISOString(),
    duration_ms: Date.now() - started,
    checks,
  };
}

type Ask = (name: string, type: QueryType) => Promise<DnsResponse | 'timeout'>;

function askWith(client: DnsClient): Ask {
  return async (name, type) => {
    try {
      return await client.query(name, type);
    } catch (err) {
      if (err instanceof DnsTimeoutError) return 'timeout';
      throw err;
    }
  };
}

async function canaryMx(
  ctx: SelfCheckContext,
  ask: Ask,
): Promise<{ host: string; ip: string | null; detail: string }> {
  for (const domain of ctx.canaries) {
    const mx = await ask(domain, 'MX');
    if (mx === 'timeout' || mx.rcode !== 'NOERROR') continue;
    const hosts = mx.answers
      .flatMap((a) => (a.type === 'MX' ? [a.data] : []))
      .sort((a, b) => (a.preference ?? 0) - (b.preference ?? 0))
      .map((d) => d.exchange.replace(/\.$/, ''))
      .filter(Boolean);
    for (const host of hosts) {
      const a = await ask(host, 'A');
      const ip =
        a === 'timeout' ? undefined : a.answers.flatMap((x) => (x.type === 'A' ? [x.data] : []))[0];
      if (typeof ip === 'string' && mayConnect(ip, ctx.smtp.allowPrivate))
        return { host, ip, detail: '' };
    }
  }
  return {
    host: '',
    ip: null,
    detail: ctx.canaries.length
      ? 'no canary MX host could be resolved (see the resolver check)'
      : 'no canary domains (DNS_CANARY_DOMAINS=none)',
  };
}

function outboundWays(routes: RouteTable): { route: ProbeRoute }[] {
  const ways: { route: ProbeRoute }[] = [];
  for (const route of routes.ways()) {
    if (!route.proxy && routes.sourceAddresses.length > 0) {
      for (const localAddress of routes.sourceAddresses)
        ways.push({ route: { ...route, localAddress } });
    } else {
      ways.push({ route });
    }
  }
  return ways;
}

async function bannerFrom(
  ctx: SelfCheckContext,
  route: ProbeRoute,
  ip: string,
): Promise<{ ok: boolean; text: string }> {
  const ms = Math.min(10_000, ctx.smtp.timeoutMs);
  const signal = AbortSignal.timeout(ms);
  try {
    const conn = await SmtpConnection.connect({
      host: ip,
      port: ctx.smtp.port,
      signal,
      connectTimeoutMs: ms,
      ...(route.localAddress ? { localAddress: route.localAddress } : {}),
      proxy: route.proxy,
    });
    try {
      const banner = await conn.read(signal);
      await conn.quit(500);
      // Any greeting, even a refusal, proves that port 25 is open on this way out.
      return { ok: true, text: `greeted ${banner.code}` };
    } finally {
      conn.destroy();
    }
  } catch (err) {
    return { ok: false, text: err instanceof Error ? err.message : String(err) };
  }
}

/** The addresses receiving servers see: source addresses, else the addresses of each HELO name. */
async function probingIps(
  ctx: SelfCheckContext,
  ask: Ask,
): Promise<{ ip: string; helo: string }[]> {
  const out = new Map<string, string>();
  const ways = ctx.routes.ways();
  const direct = ways.find((w) => !w.proxy);
  for (const ip of ctx.routes.sourceAddresses) out.set(ip, direct?.heloName ?? '');
  for (const way of ways) {
    if (!way.proxy && ctx.routes.sourceAddresses.length > 0) continue;
    const a = await ask(way.heloName, 'A');
    if (a === 'timeout') continue;
    for (const r of a.answers)
      if (r.type === 'A' && !out.has(r.data)) out.set(r.data, way.heloName);
  }
  return [...out].map(([ip, helo]) => ({ ip, helo }));
}

function reverseName(ip: string): string | null {
  if (isIP(ip) === 4) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  if (isIP(ip) === 6) {
    const hex = ipaddr.IPv6.parse(ip)
      .toNormalizedString()
      .split(':')
      .map((g) => g.padStart(4, '0'))
      .join('');
    return `${[...hex].reverse().join('.')}.ip6.arpa`;
  }
  return null;
}

/** Forward-confirmed reverse DNS: PTR(ip) names the HELO name, and that name resolves to ip. */
async function reverseDns(ip: string, helo: string, ask: Ask): Promise<DiagnosticCheck> {
  const base = { check: 'reverse_dns' as const, target: ip };
  const name = reverseName(ip);
  if (!name) return { ...base, status: 'skipped', detail: 'not an IP address' };
  const ptr = await ask(name, 'PTR');
  if (ptr === 'timeout') return { ...base, status: 'warn', detail: 'the PTR lookup got no answer' };
  const names = ptr.answers.flatMap((a) =>
    a.type === 'PTR' ? [a.data.replace(/\.$/, '').toLowerCase()] : [],
  );
  if (names.length === 0)
    return {
      ...base,
      status: 'fail',
      detail: `no PTR record (${ptr.rcode}); receiving servers distrust such clients`,
    };
  const want = helo.toLowerCase().replace(/\.$/, '');
  if (!names.includes(want))
    return {
      ...base,
      status: 'fail',
      detail: `PTR ${names.join(', ')} does not match the HELO name ${helo}`,
    };
  const fwd = await ask(want, isIP(ip) === 6 ? 'AAAA' : 'A');
  const addrs =
    fwd === 'timeout'
      ? []
      : fwd.answers.flatMap((a) => (a.type === 'A' || a.type === 'AAAA' ? [a.data] : []));
  if (!addrs.includes(ip))
    return {
      ...base,
      status: 'fail',
      detail: `PTR ${want}, but ${want} does not resolve back to ${ip}`,
    };
  return {
    ...base,
    status: 'ok',
    detail: `PTR ${want} resolves back to ${ip} and matches the HELO name`,
  };
}

/** DNSBL lookup (RFC 5782): an A record under the zone lists the address; NXDOMAIN does not. */
async function blocklist(ip: string, zone: string, ask: Ask): Promise<DiagnosticCheck> {
  const base = { check: 'blocklist' as const, target: `${ip} @ ${zone}` };
  if (isIP(ip) !== 4)
    return { ...base, status: 'skipped', detail: 'IPv6 addresses are not checked' };
  const r = await ask(`${ip.split('.').reverse().join('.')}.${zone}`, 'A');
  if (r === 'timeout') return { ...base, status: 'warn', detail: 'the list did not answer' };
  if (r.rcode === 'NXDOMAIN') return { ...base, status: 'ok', detail: 'not listed' };
  const codes = r.answers.flatMap((a) => (a.type === 'A' ? [a.data] : []));
  if (r.rcode !== 'NOERROR' || codes.length === 0)
    return { ...base, status: 'warn', detail: `no usable answer (${r.rcode})` };
  // Spamhaus answers 127.255.255.x when it refuses the query (public or unregistered resolver).
  if (codes.every((c) => c.startsWith('127.255.255.')))
    return {
      ...base,
      status: 'warn',
      detail: `the list refused the query (${codes.join(', ')}): use a resolver of your own`,
    };
  return { ...base, status: 'fail', detail: `listed (${codes.join(', ')})` };
}
