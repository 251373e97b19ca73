import { mxZones, startDnsServer, type DnsServer, type DnsZones } from './dns-server.ts';
import { startSmtpServers, type SmtpServerSpec } from './smtp-server.ts';

/**
 * Scripted SMTP servers on their own loopback addresses and a DNS server whose zones point
 * `domains` at them, with the environment that aims the engine there.
 */
export async function startMailWorld(
  servers: SmtpServerSpec[],
  domains: Record<string, string>,
  extraZones: DnsZones = {},
) {
  const smtp = await startSmtpServers(servers);
  const dns: DnsServer = await startDnsServer({ ...mxZones(domains), ...extraZones });
  return {
    smtp,
    dns,
    env: {
      DNS_SERVERS: dns.address,
      SMTP_PORT: String(smtp.port),
      SMTP_ALLOW_PRIVATE: 'true',
    } as Record<string, string>,
    async close() {
      await smtp.close();
      await dns.close();
    },
  };
}
