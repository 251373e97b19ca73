import { describe, expect, it } from 'vitest';
import { mxZones, startDnsServer } from '../../support/dns-server.ts';
import { ADMIN_TOKEN, api, useHarness } from '../../support/harness.ts';
import { useResource } from '../../support/use-resource.ts';
import { startSmtpServers } from '../../support/smtp-server.ts';

// GET /admin/diagnostics and its gauges, against the project's DNS server and a scripted MX:
// the canary domain's MX greets, 127.0.0.5 (a source address) has a PTR matching the HELO name
// and is listed on one of two blocklists, 127.0.0.6 has no PTR.

describe('GET /admin/diagnostics', () => {
  const smtp = useResource(() =>
    startSmtpServers([{ host: '127.0.0.2', behaviour: { acceptAll: true } }]),
  );
  const dns = useResource(() =>
    startDnsServer({
      ...mxZones({ 'canary.test': '127.0.0.2' }),
      '5.0.0.127.in-addr.arpa': { ptr: ['probe.mailsift.test'] },
      'probe.mailsift.test': { a: ['127.0.0.5'] },
      '5.0.0.127.listed.test': { a: ['127.0.0.2'] },
    }),
  );
  const h = useHarness(() => ({
    DNS_SERVERS: dns.address,
    DNS_CANARY_DOMAINS: 'canary.test',
    DIAGNOSTICS_DNSBL_ZONES: 'listed.test,clean.test',
    SMTP_PORT: String(smtp.port),
    SMTP_ALLOW_PRIVATE: 'true',
    SMTP_HELO_NAME: 'probe.mailsift.test',
    SMTP_SOURCE_ADDRESSES: '127.0.0.5,127.0.0.6',
  }));

  it('when no admin token is sent, then 401 like the other admin routes', async () => {
    const r = await api(h.url)('GET', '/admin/diagnostics');
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe('INVALID_API_KEY');
  });

  it('when asked, then every check is reported: resolver, port 25 from each source address, reverse DNS, blocklists; and the gauges follow', async () => {
    const r = await api(h.url, ADMIN_TOKEN)('GET', '/admin/diagnostics?refresh=true');
    expect(r.status).toBe(200);
    const find = (check: string, target: string) =>
      r.json.checks.find(
        (c: { check: string; target: string }) => c.check === check && c.target === target,
      );
    expect(find('resolver', 'dns')).toMatchObject({ status: 'ok' });
    expect(find('smtp_outbound', 'direct from 127.0.0.5')).toMatchObject({ status: 'ok' });
    expect(find('smtp_outbound', 'direct from 127.0.0.6')).toMatchObject({ status: 'ok' });
    expect(smtp.servers[0]!.remoteAddresses).toEqual(
      expect.arrayContaining(['127.0.0.5', '127.0.0.6']),
    );
    expect(smtp.servers[0]!.rcpts).toEqual([]); // a greeting is all the self-check asks for
    expect(find('reverse_dns', '127.0.0.5')).toMatchObject({ status: 'ok' });
    expect(find('reverse_dns', '127.0.0.6')).toMatchObject({ status: 'fail' });
    expect(find('blocklist', '127.0.0.5 @ listed.test')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('127.0.0.2'),
    });
    expect(find('blocklist', '127.0.0.5 @ clean.test')).toMatchObject({ status: 'ok' });
    expect(r.json.ok).toBe(false);

    const metrics = await fetch(`${h.url}/metrics`).then((m) => m.text());
    expect(metrics).toMatch(/mailsift_network_check_ok\{check="resolver",target="dns"\} 1/);
    expect(metrics).toMatch(
      /mailsift_network_check_ok\{check="blocklist",target="127\.0\.0\.5 @ listed\.test"\} 0/,
    );
  });

  it('when the canary MX stops answering, then the next refresh reports port 25 as failing', async () => {
    await smtp.close();
    const r = await api(h.url, ADMIN_TOKEN)('GET', '/admin/diagnostics?refresh=true');
    expect(r.status).toBe(200);
    const outbound = r.json.checks.filter((c: { check: string }) => c.check === 'smtp_outbound');
    expect(outbound).toHaveLength(2);
    for (const c of outbound) expect(c.status).toBe('fail');
  });
});
