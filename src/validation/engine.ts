import { setMaxListeners } from 'node:events';
import type { RedisClient } from '../lib/redis-client.ts';
import type { Logger } from 'pino';
import { Deadline } from './deadline-signal.ts';
import { withDeadline } from '../lib/deadline.ts';
import { CatchAllMemory } from './catch-all.ts';
import { createConnectionLimiter } from './connection-limit.ts';
import { DnsClient } from './dns-client.ts';
import { DnsResolver } from './dns.ts';
import { DEFAULT_DNSBL_ZONES, runSelfCheck, type DiagnosticsReport } from './diagnostics.ts';
import type { ProxyConfig, RouteConfig } from './network-config.ts';
import { NetworkState } from './network-state.ts';
import { ResolverHealth } from './resolver-health.ts';
import { RouteTable } from './routes.ts';
import { ProviderPacer } from './pacing.ts';
import { preloadLists } from './lists.ts';
import { preloadTypoTables } from './typo.ts';
import { simulateTestVerdict } from './test-mode.ts';
import type { Verdict, Verifier, VerifyOptions } from './types.ts';
import { timeoutVerdict, verifyMany, type Engine } from './verify-group.ts';

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
    /** RFC 2920 PIPELINING when offered (default true, SMTP_PIPELINING; see probe-session.ts). */
    pipelining?: boolean;
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
  const pacer = new ProviderPacer(
    deps.redis,
    `${prefix}smtp:pause:`,
    config.smtp.pacing ?? DEFAULT_PACING,
    logger,
  );
  const engine: Engine = {
    smtp: config.smtp,
    logger,
    dns,
    health,
    routes,
    network,
    pacer,
    probeDeps: {
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
    },
  };
  // Closing the verifier aborts every session in flight (their connection slots are released).
  const life = new AbortController();
  // Every probe in flight listens to it (deadline-signal.ts): hundreds at once in a worker.
  setMaxListeners(0, life.signal);
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
      const soft = new Deadline(
        Math.max(1, ms - Math.min(100, ms / 10)),
        [life.signal, options.signal],
        () => new Error('the address deadline passed'),
      );
      // One address has one verdict: the deadline's or the work's, never both.
      const own = { ...options, onVerdict: undefined };
      const work = verifyMany(engine, [email], own, soft.signal).then((v) => v[0] as Verdict);
      work.then(
        () => soft.dispose(),
        () => soft.dispose(),
      );
      return withDeadline(work, ms, () => timeoutVerdict(email, start));
    },

    async verifyDomainGroup(
      domain: string,
      emails: string[],
      options: VerifyOptions,
    ): Promise<Verdict[]> {
      logger.debug({ domain, count: emails.length }, 'verifying a domain group');
      return verifyMany(engine, emails, options, lifeOf(options));
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
