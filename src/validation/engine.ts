import type { RedisClient } from '../lib/redis-client.ts';
import type { Logger } from 'pino';
import { withDeadline } from '../lib/deadline.ts';
import { countProbeResult } from '../lib/probe-metrics.ts';
import { CatchAllMemory } from './catch-all.ts';
import { createConnectionLimiter } from './connection-limit.ts';
import { DnsClient } from './dns-client.ts';
import { DnsResolver, type DomainMail } from './dns.ts';
import { DEFAULT_DNSBL_ZONES, runSelfCheck, type DiagnosticsReport } from './diagnostics.ts';
import type { ProxyConfig, RouteConfig } from './network-config.ts';
import { NetworkState } from './network-state.ts';
import { ResolverHealth } from './resolver-health.ts';
import { RouteTable } from './routes.ts';
import { ProviderPacer } from './pacing.ts';
import { probeDomain, type DomainProbe, type ProbeRules, type ProbeTarget } from './probe.ts';
import { answeringService, detectServices, type DomainServices } from './providers.ts';
import { preloadLists } from './lists.ts';
import { parseAddress } from './syntax.ts';
import { preloadTypoTables } from './typo.ts';
import { simulateTestVerdict } from './test-mode.ts';
import type { NetworkWarning, Verdict, Verifier, VerifyOptions } from './types.ts';
import { composeVerdict, factsOf, invalidSyntax, type AddressFacts } from './verdict.ts';

export { assertProbeIdentity } from './identity.ts';

/** The part of src/config/env.ts's Config the engine reads. */
export interface EngineConfig {
  production: boolean;
  dns: {
    servers: string[];
    timeoutMs: number;
    /** Domains that must have MX (resolver-health.ts); absent or empty: no canaries. */
    canaries?: string[];
  };
  /** DNS blocklists the self-check asks about each probing IP (default Spamhaus, Barracuda, SpamCop). */
  diagnostics?: { dnsblZones?: string[] };
  smtp: {
    port: number;
    heloName: string;
    mailFrom: string;
    timeoutMs: number;
    allowPrivate: boolean;
    maxConnectionsPerHost: number;
    /** Fleet-wide pauses after a provider's throttling answer (pacing.ts); defaults below. */
    pacing?: { baseMs: number; maxMs: number };
    /** Rejected RCPTs after which a session ends (default 5, see probe.ts). */
    maxRejectionsPerSession?: number;
    /** SOCKS5 proxies, routes and source addresses (routes.ts, docs/network.md). */
    proxies?: ProxyConfig[];
    routes?: RouteConfig[];
    sourceAddresses?: string[];
    /** Sessions open through one proxy at once, fleet-wide (a proxy's max_connections wins). */
    maxConnectionsPerProxy?: number;
  };
}

const DEFAULT_PACING = { baseMs: 60_000, maxMs: 3_600_000 };

export interface EngineDeps {
  /** Shares the per-host connection limit and catch-all results across processes; null: in-process. */
  redis: RedisClient | null;
  logger: Logger;
  /** Prefix of the engine's Redis keys (default `mailsift:`; tests use a unique one). */
  keyPrefix?: string;
}

export function createVerifier(config: EngineConfig, deps: EngineDeps): Verifier {
  // The lists and the typo matcher load lazily in about a second of CPU; pay it here, at start,
  // not inside the first address's SMTP deadline.
  preloadLists();
  preloadTypoTables();
  const prefix = deps.keyPrefix ?? 'mailsift:';
  const logger = deps.logger.child({ component: 'verifier' });
  const dns = new DnsResolver({ servers: config.dns.servers, timeoutMs: config.dns.timeoutMs });
  const dnsClient = new DnsClient({ servers: config.dns.servers, timeoutMs: config.dns.timeoutMs });
  const health = new ResolverHealth(dnsClient, { canaries: config.dns.canaries ?? [] });
  const routes = new RouteTable({
    heloName: config.smtp.heloName,
    mailFrom: config.smtp.mailFrom,
    proxies: config.smtp.proxies ?? [],
    routes: config.smtp.routes ?? [],
    sourceAddresses: config.smtp.sourceAddresses ?? [],
  });
  const network = new NetworkState();
  const proxyLimiters = new Map(
    (config.smtp.proxies ?? []).map((p) => [
      p.name,
      createConnectionLimiter(
        deps.redis,
        p.maxConnections ?? config.smtp.maxConnectionsPerProxy ?? 10,
        logger,
        { prefix: `${prefix}smtp:proxy:` },
      ),
    ]),
  );
  let lastReport: DiagnosticsReport | null = null;
  const probeDeps = {
    proxyLimiter: (name: string) => {
      const limiter = proxyLimiters.get(name);
      if (!limiter) throw new Error(`no proxy named ${name}`);
      return limiter;
    },
    dns,
    limiter: createConnectionLimiter(deps.redis, config.smtp.maxConnectionsPerHost, logger, {
      prefix: `${prefix}smtp:conn:`,
    }),
    catchAll: new CatchAllMemory(deps.redis, `${prefix}smtp:catchall:`, logger),
    logger,
  };
  const pacer = new ProviderPacer(
    deps.redis,
    `${prefix}smtp:pause:`,
    config.smtp.pacing ?? DEFAULT_PACING,
    logger,
  );

  /** What the provider table says about probing a domain (docs/providers.md). */
  function probeRules(services: DomainServices): ProbeRules {
    const s = answeringService(services);
    const ids = [services.provider?.id, services.gateway?.id].filter((x): x is string => !!x);
    return {
      route: (mx) => routes.routeFor(mx, ids),
      routeId: (mx) => routes.routeIdFor(mx, ids),
      ...(s?.rcpt === 'reliable' ? { catchAll: false } : {}),
      // Accepting every address is the provider's known behaviour: no made-up RCPT needed.
      ...(s?.rcpt === 'accepts_all' ? { catchAll: true } : {}),
      newSessionOn452: s?.newSessionOn452 === true,
      unknownDeferred: s?.unknownDeferred === true,
      // Only known providers are paced fleet-wide: their throttling covers every domain they host.
      pacing: { pacer, keyOf: () => (s ? `service:${s.id}` : null) },
    };
  }
  // Closing the verifier aborts every session in flight (their connection slots are released).
  const life = new AbortController();

  async function verifyMany(
    emails: string[],
    options: VerifyOptions,
    outer: AbortSignal,
  ): Promise<Verdict[]> {
    const start = performance.now();
    if (options.mode === 'test') return emails.map(simulateTestVerdict);
    const verdicts: (Verdict | undefined)[] = emails.map(() => undefined);
    const byDomain = new Map<string, { index: number; facts: AddressFacts }[]>();
    emails.forEach((email, index) => {
      const facts = factsOf(parseAddress(email));
      if (!facts) {
        verdicts[index] = { ...invalidSyntax(), durationMs: elapsed(start) };
        return;
      }
      const list = byDomain.get(facts.parsed.domain) ?? [];
      list.push({ index, facts });
      byDomain.set(facts.parsed.domain, list);
    });
    const probe = options.smtp && !options.quickMode;
    await Promise.all(
      [...byDomain].map(([domain, members]) =>
        verifyDomain(domain, members).catch((err: unknown) => {
          // A bug must not sink the other domains of a chunk: these addresses become unknown.
          logger.error({ err, domain }, 'verification failed unexpectedly');
          for (const m of members) {
            verdicts[m.index] = {
              ...composeVerdict(m.facts, { kind: 'error', error: 'servfail' }, null),
              status: 'unknown',
              reason: 'unexpected_error',
              temporary: false,
              durationMs: elapsed(start),
            };
          }
        }),
      ),
    );
    return verdicts.map((v) => v ?? { ...invalidSyntax(), durationMs: elapsed(start) });

    async function verifyDomain(domain: string, members: { index: number; facts: AddressFacts }[]) {
      const literal = members[0]?.facts.parsed.domainLiteral === true;
      // RFC 5321 4.1.3 address literals are never resolved or probed (see docs/engine.md).
      let mail = literal ? null : await dns.resolveMail(domain);
      let warning: NetworkWarning | undefined;
      // A failure, an NXDOMAIN or an empty answer is believed only from a resolver whose
      // canaries are right: a broken one must not make a list undeliverable.
      if (mail && (mail.kind === 'error' || mail.kind === 'nxdomain' || mail.kind === 'no_mx')) {
        const state = await health.check();
        if (!state.healthy) {
          logger.warn(
            { domain, resolver: state.detail },
            'resolver unhealthy: DNS answer not trusted',
          );
          mail = { kind: 'error', error: 'servfail' };
          warning = 'dns_unhealthy';
        }
      }
      const toProbe =
        probe && mail?.kind === 'mx' ? members.filter((m) => !m.facts.disposable) : [];
      const probed =
        toProbe.length > 0 && mail?.kind === 'mx'
          ? await runProbe(domain, mail, toProbe, outer)
          : null;
      for (const m of members) {
        const p = probed?.get(m.index);
        const decision = composeVerdict(
          m.facts,
          mail,
          p ? { outcome: p.outcome, mxHost: p.mxHost, catchAll: p.catchAll } : null,
        );
        if (p) countProbeResult(decision.checks, decision.reason);
        const w = warning ?? p?.warning;
        verdicts[m.index] = {
          ...decision,
          durationMs: p ? Math.round(p.settledAt - start) : elapsed(start),
          ...(w && decision.status === 'unknown' ? { warning: w } : {}),
        };
      }
    }
  }

  async function runProbe(
    domain: string,
    mail: Extract<DomainMail, { kind: 'mx' }>,
    members: { index: number; facts: AddressFacts }[],
    outer: AbortSignal,
  ) {
    // The same mailbox twice in a group is asked once (RCPT is case-insensitive in practice).
    const targets: ProbeTarget[] = [];
    const slot = new Map<string, number>();
    const targetOf = members.map((m) => {
      const key = m.facts.parsed.normalized.toLowerCase();
      let t = slot.get(key);
      if (t === undefined) {
        t =
          targets.push({
            address: m.facts.parsed.normalized,
            smtpUtf8: m.facts.parsed.smtpUtf8 === true,
          }) - 1;
        slot.set(key, t);
      }
      return t;
    });
    const rules: ProbeRules = mail.implicit
      ? { route: (mx) => routes.routeFor(mx, []), routeId: (mx) => routes.routeIdFor(mx, []) }
      : probeRules(detectServices(mail.hosts));
    // The self-check found no way out to port 25 for every host's route: say so at once.
    const blocked = mail.hosts.every((h) =>
      network.blockedWhy(rules.routeId?.(h.exchange) ?? 'direct'),
    );
    let proxyFailed = false;
    const result: DomainProbe = blocked
      ? {
          outcomes: targets.map(() => ({ kind: 'no_connect' as const })),
          mxHost: null,
          catchAll: null,
        }
      : await probeDomain(
          domain,
          mail.hosts,
          targets,
          config.smtp,
          {
            ...probeDeps,
            onProxyResult: (name: string, error: string | null) => {
              network.recordProxy(name, error);
              if (error) {
                proxyFailed = true;
                logger.warn({ proxy: name, error }, 'SOCKS proxy failed');
              }
            },
          },
          outer,
          rules,
        );
    const warning: NetworkWarning | undefined = blocked
      ? 'smtp_blocked'
      : proxyFailed
        ? 'proxy_failed'
        : undefined;
    const done = performance.now();
    return new Map(
      members.map((m, i) => {
        const outcome = result.outcomes[targetOf[i] as number] ?? { kind: 'no_host' as const };
        return [
          m.index,
          { outcome, mxHost: result.mxHost, catchAll: result.catchAll, settledAt: done, warning },
        ];
      }),
    );
  }

  function timeoutVerdict(email: string, start: number): Verdict {
    const facts = factsOf(parseAddress(email));
    const base = facts
      ? composeVerdict(facts, { kind: 'error', error: 'timeout' }, null)
      : invalidSyntax();
    if (!facts || base.status === 'risky') return { ...base, durationMs: elapsed(start) };
    return {
      ...base,
      status: 'unknown',
      reason: 'timeout',
      temporary: false,
      durationMs: elapsed(start),
    };
  }

  /** The verifier's own life, and the caller's signal if it gave one. */
  const lifeOf = (options: VerifyOptions) =>
    options.signal ? AbortSignal.any([life.signal, options.signal]) : life.signal;

  return {
    async verify(email: string, options: VerifyOptions): Promise<Verdict> {
      const start = performance.now();
      if (options.mode === 'test') return simulateTestVerdict(email);
      // The hard deadline of one address covers everything: DNS, connection slot, SMTP. The work
      // is told to stop a little earlier so it can still say what it learnt (MX found...).
      const ms = config.smtp.timeoutMs;
      const soft = AbortSignal.any([
        lifeOf(options),
        AbortSignal.timeout(Math.max(1, ms - Math.min(100, ms / 10))),
      ]);
      const work = verifyMany([email], options, soft).then((v) => v[0] as Verdict);
      return withDeadline(work, ms, () => timeoutVerdict(email, start));
    },

    async verifyDomainGroup(
      domain: string,
      emails: string[],
      options: VerifyOptions,
    ): Promise<Verdict[]> {
      logger.debug({ domain, count: emails.length }, 'verifying a domain group');
      return verifyMany(emails, options, lifeOf(options));
    },

    async selfCheck(): Promise<DiagnosticsReport> {
      lastReport = await runSelfCheck({
        client: dnsClient,
        health,
        routes,
        state: network,
        canaries: config.dns.canaries ?? [],
        dnsblZones: config.diagnostics?.dnsblZones ?? DEFAULT_DNSBL_ZONES,
        smtp: config.smtp,
      });
      return lastReport;
    },

    lastSelfCheck(): DiagnosticsReport | null {
      return lastReport;
    },

    async close(): Promise<void> {
      life.abort(new Error('verifier closed'));
    },
  };
}

function elapsed(start: number): number {
  return Math.round(performance.now() - start);
}
