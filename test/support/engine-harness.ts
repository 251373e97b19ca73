/**
 * Wires a real verifier to scripted DNS and SMTP servers on loopback for the engine's
 * integration tests. Every test gets its own servers, port and Redis key prefix.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { startDnsServer, type DnsServer, type DnsZones } from './dns-server.ts';
import { startSmtpServers, type SmtpServerHandle, type SmtpServerSpec } from './smtp-server.ts';
import { createVerifier, type EngineConfig } from '../../src/validation/engine.ts';
import type { Verifier, VerifyOptions } from '../../src/validation/types.ts';

export const LIVE: VerifyOptions = { mode: 'live', smtp: true, quickMode: false };
export const QUICK: VerifyOptions = { mode: 'live', smtp: true, quickMode: true };

export interface EngineFixture {
  verifier: Verifier;
  dns: DnsServer;
  port: number;
  servers: SmtpServerHandle[];
  config: EngineConfig;
  keyPrefix: string;
  close(): Promise<void>;
}

export interface FixtureOptions {
  servers?: SmtpServerSpec[];
  /** Zones, or a function of the shared SMTP port. */
  zones?: DnsZones;
  smtp?: Partial<EngineConfig['smtp']>;
  dnsTimeoutMs?: number;
  /** Resolver canaries (served by the fixture's DNS server) and blocklist zones. */
  canaries?: string[];
  dnsblZones?: string[];
  redis?: Redis | null;
}

export async function engineFixture(opts: FixtureOptions = {}): Promise<EngineFixture> {
  const smtp = await startSmtpServers(opts.servers ?? []);
  const dns = await startDnsServer(opts.zones ?? {});
  const config: EngineConfig = {
    production: false,
    dns: {
      servers: [dns.address],
      timeoutMs: opts.dnsTimeoutMs ?? 1000,
      ...(opts.canaries ? { canaries: opts.canaries } : {}),
    },
    ...(opts.dnsblZones ? { diagnostics: { dnsblZones: opts.dnsblZones } } : {}),
    smtp: {
      port: smtp.port,
      heloName: 'probe.mailsift.test',
      mailFrom: 'verify@probe.mailsift.test',
      timeoutMs: 3000,
      allowPrivate: true,
      maxConnectionsPerHost: 3,
      ...opts.smtp,
    },
  };
  const keyPrefix = `mailsift-test:${randomUUID()}:`;
  const verifier = createVerifier(config, {
    redis: opts.redis ?? null,
    logger: pino({ level: 'silent' }),
    keyPrefix,
  });
  return {
    verifier,
    dns,
    port: smtp.port,
    servers: smtp.servers,
    config,
    keyPrefix,
    async close() {
      await verifier.close();
      await Promise.all([smtp.close(), dns.close()]);
    },
  };
}
