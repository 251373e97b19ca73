import dgram from 'node:dgram';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mxZones, startDnsServer, type DnsServer } from '../../support/dns-server.ts';
import { ADMIN_TOKEN, api, jobWhen, startHarness, type Harness } from '../../support/harness.ts';
import { engineFixture, LIVE, type EngineFixture } from '../../support/engine-harness.ts';

// Resolver canaries (src/validation/resolver-health.ts): the "well-known domains" are served by
// the test DNS server, named through DNS_CANARY_DOMAINS like an operator would.

describe('resolver canaries in the engine', () => {
  let fixture: EngineFixture | undefined;
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });

  it('when the canaries are right, then an NXDOMAIN is believed (undeliverable / invalid_domain) after they were asked', async () => {
    fixture = await engineFixture({
      zones: { ...mxZones({ 'canary-a.test': '127.0.0.2' }), 'gone.test': { nxdomain: true } },
      canaries: ['canary-a.test', 'canary-b.test'],
    });
    expect(await fixture.verifier.verify('a@gone.test', LIVE)).toMatchObject({
      status: 'undeliverable',
      reason: 'invalid_domain',
    });
    expect(fixture.dns.queriesFor('canary-a.test', 'MX')).toBe(1);
    expect(fixture.dns.log.some((l) => /^mailsift-canary-[0-9a-f]{16}\.test$/.test(l.name))).toBe(
      true,
    );
  });

  it('when the resolver answers NXDOMAIN for everything, then unknown / dns_error with a warning, never undeliverable', async () => {
    fixture = await engineFixture({ zones: {}, canaries: ['canary-a.test'] });
    const verdicts = await fixture.verifier.verifyDomainGroup(
      'gone.test',
      ['a@gone.test', 'b@gone.test'],
      LIVE,
    );
    for (const v of verdicts)
      expect(v).toMatchObject({
        status: 'unknown',
        reason: 'dns_error',
        temporary: true,
        warning: 'dns_unhealthy',
      });
  });

  it('when the resolver answers NODATA for everything (no canary has MX), then unknown / dns_error, not no_mx', async () => {
    fixture = await engineFixture({
      zones: { 'canary-a.test': {}, 'bare.test': {} },
      canaries: ['canary-a.test'],
    });
    expect(await fixture.verifier.verify('a@bare.test', LIVE)).toMatchObject({
      status: 'unknown',
      reason: 'dns_error',
    });
  });

  it('when the resolver never answers, then unknown / dns_error: a DNS timeout is never an SMTP reason', async () => {
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    const dns = await startDnsServer({});
    try {
      const { createVerifier } = await import('../../../src/validation/engine.ts');
      const { pino } = await import('pino');
      const verifier = createVerifier(
        {
          production: false,
          dns: {
            servers: [`127.0.0.1:${silent.address().port}`],
            timeoutMs: 300,
            canaries: ['canary-a.test'],
          },
          smtp: {
            port: 2525,
            heloName: 'probe.mailsift.test',
            mailFrom: 'verify@probe.mailsift.test',
            timeoutMs: 3000,
            allowPrivate: true,
            maxConnectionsPerHost: 3,
          },
        },
        { redis: null, logger: pino({ level: 'silent' }) },
      );
      const v = await verifier.verify('a@anything.test', LIVE);
      expect(v).toMatchObject({ status: 'unknown', reason: 'dns_error', warning: 'dns_unhealthy' });
      await verifier.close();
    } finally {
      silent.close();
      await dns.close();
    }
  });
});

describe('a broken resolver through a whole job', () => {
  let h: Harness | undefined;
  let dns: DnsServer | undefined;
  afterAll(async () => {
    await h?.close();
    await dns?.close();
  });

  it('when the resolver answers NXDOMAIN for everything, then every address is unknown / dns_error, refunded, and the job warns', async () => {
    dns = await startDnsServer({}); // no zones: NXDOMAIN for every name, canaries included
    h = await startHarness(
      {
        DNS_SERVERS: dns.address,
        DNS_CANARY_DOMAINS: 'canary-a.test,canary-b.test',
        SMTP_RETRY_ATTEMPTS: '0',
        SMTP_ALLOW_PRIVATE: 'true',
      },
      { workers: true },
    );
    const acct = await h.account('business', 100);
    const call = api(h.url, acct.live);
    const created = await call('POST', '/v1/jobs', {
      emails: ['ann@alpha.test', 'bob@beta.test', 'cat@gamma.test', 'not-an-address'],
    });
    expect(created.status).toBe(201);
    expect(created.json.warnings).toEqual([]);
    const done = await jobWhen(call, created.json.id);
    expect(done.counts).toEqual({ deliverable: 0, undeliverable: 1, risky: 0, unknown: 3 });
    expect(done.credits_charged).toBe(0);
    expect(done.warnings).toEqual([
      expect.objectContaining({ code: 'dns_unhealthy', message: expect.stringContaining('DNS') }),
    ]);
    const results = await call('GET', `/v1/jobs/${created.json.id}/results`);
    expect(
      results.json.data.map((r: { status: string; reason: string }) => [r.status, r.reason]),
    ).toEqual([
      ['unknown', 'dns_error'],
      ['unknown', 'dns_error'],
      ['unknown', 'dns_error'],
      ['undeliverable', 'invalid_syntax'],
    ]);
    const account = await call('GET', '/v1/account');
    expect(account.json.remaining_credits).toBe(100);
    expect(dns.queriesFor('canary-a.test', 'MX')).toBeGreaterThan(0);
    // The admin's diagnostics say the same.
    const diag = await api(h.url, ADMIN_TOKEN)('GET', '/admin/diagnostics?refresh=true');
    expect(diag.status).toBe(200);
    expect(diag.json.checks).toContainEqual(
      expect.objectContaining({ check: 'resolver', status: 'fail' }),
    );
  });
});
