/**
 * DNS: RFC 5321 5.1 routing (MX by preference, A/AAAA fallback), RFC 7505 null MX, failures,
 * and the per-domain cache, against the scripted DNS server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mxZones, startDnsServer, type DnsServer } from '../../support/dns-server.ts';
import { DnsResolver } from '../../../src/validation/dns.ts';
import { engineFixture, LIVE, QUICK, type EngineFixture } from '../../support/engine-harness.ts';

let fixture: EngineFixture | null = null;
let dns: DnsServer | null = null;
afterEach(async () => {
  await fixture?.close();
  await dns?.close();
  fixture = null;
  dns = null;
});

describe('domain routing verdicts', () => {
  it('when the domain does not exist, then undeliverable / invalid_domain', async () => {
    fixture = await engineFixture({ zones: { 'gone.test': { nxdomain: true } } });
    expect(await fixture.verifier.verify('a@gone.test', LIVE)).toMatchObject({
      status: 'undeliverable',
      reason: 'invalid_domain',
    });
    expect(await fixture.verifier.verify('a@never-heard-of.test', QUICK)).toMatchObject({
      reason: 'invalid_domain',
    });
  });

  it('when the domain publishes a null MX, then undeliverable / invalid_domain without a probe', async () => {
    fixture = await engineFixture({
      servers: [{ host: '127.0.0.2', behaviour: { acceptAll: true } }],
      zones: { 'nomail.test': { nullMx: true, a: ['127.0.0.2'] } },
    });
    expect(await fixture.verifier.verify('a@nomail.test', LIVE)).toMatchObject({
      status: 'undeliverable',
      reason: 'invalid_domain',
    });
    expect(fixture.servers[0]?.sessions).toBe(0);
  });

  it('when the domain has neither MX nor address, then undeliverable / no_mx', async () => {
    fixture = await engineFixture({ zones: { 'bare.test': {} } });
    expect(await fixture.verifier.verify('a@bare.test', LIVE)).toMatchObject({
      status: 'undeliverable',
      reason: 'no_mx',
      checks: { mx_found: false },
    });
  });

  it('when the domain has no MX but an A record, then mail goes to that address (RFC 5321 5.1)', async () => {
    fixture = await engineFixture({
      servers: [{ host: '127.0.0.6', behaviour: { knownUsers: ['alice'] } }],
      zones: { 'a-only.test': { a: ['127.0.0.6'] } },
    });
    expect(await fixture.verifier.verify('alice@a-only.test', LIVE)).toMatchObject({
      status: 'deliverable',
      checks: { mx_found: true, mx_host: 'a-only.test' },
    });
  });

  it('when the resolver fails (SERVFAIL), then unknown / dns_error and temporary, never undeliverable', async () => {
    fixture = await engineFixture({ zones: { 'broken.test': { servfail: true } } });
    expect(await fixture.verifier.verify('a@broken.test', LIVE)).toMatchObject({
      status: 'unknown',
      reason: 'dns_error',
      temporary: true,
    });
  });

  it('when the resolver never answers, then unknown within the DNS timeout', async () => {
    fixture = await engineFixture({ zones: { 'slow.test': { timeout: true } }, dnsTimeoutMs: 400 });
    const started = Date.now();
    expect(await fixture.verifier.verify('a@slow.test', LIVE)).toMatchObject({
      status: 'unknown',
      temporary: true,
    });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('when the MX host name does not resolve, then undeliverable / no_mx', async () => {
    fixture = await engineFixture({
      zones: { 'dangling.test': { mx: [{ preference: 10, exchange: 'mx.nowhere.test' }] } },
    });
    expect(await fixture.verifier.verify('a@dangling.test', LIVE)).toMatchObject({
      status: 'undeliverable',
      reason: 'no_mx',
    });
  });

  it('when MX records have several preferences, then the lowest is tried first', async () => {
    fixture = await engineFixture({
      servers: [
        { host: '127.0.0.2', behaviour: { acceptAll: true } },
        { host: '127.0.0.3', behaviour: { acceptAll: true } },
      ],
      zones: {
        'pref.test': {
          mx: [
            { preference: 50, exchange: 'mx.2.test' },
            { preference: 5, exchange: 'mx.3.test' },
          ],
        },
        ...mxZones({ 'other.test': ['127.0.0.2', '127.0.0.3'] }),
      },
    });
    await fixture.verifier.verify('a@pref.test', LIVE);
    expect(fixture.servers.map((s) => s.sessions)).toEqual([0, 1]);
  });

  it('when a disposable domain is given, then risky / disposable with no probe', async () => {
    fixture = await engineFixture({
      servers: [{ host: '127.0.0.2', behaviour: { acceptAll: true } }],
      zones: mxZones({ 'mailinator.com': '127.0.0.2' }),
    });
    expect(await fixture.verifier.verify('a@mailinator.com', LIVE)).toMatchObject({
      status: 'risky',
      reason: 'disposable',
      checks: { disposable: true, mx_found: true, smtp: null },
    });
    expect(fixture.servers[0]?.sessions).toBe(0);
  });
});

describe('DNS cache', () => {
  it('when 10 addresses share a domain, then the domain is looked up once', async () => {
    const f = (fixture = await engineFixture({
      servers: [{ host: '127.0.0.2', behaviour: { acceptAll: true } }],
      zones: mxZones({ 'cached.test': '127.0.0.2' }),
    }));
    const emails = Array.from({ length: 10 }, (_, i) => `user${i}@cached.test`);
    // concurrently (in-flight de-duplication) and one after the other (cache)
    await Promise.all(emails.slice(0, 5).map((e) => f.verifier.verify(e, QUICK)));
    for (const e of emails.slice(5)) await f.verifier.verify(e, LIVE);
    expect(f.dns.queriesFor('cached.test', 'MX')).toBe(1);
    expect(f.dns.queriesFor('mx.2.test', 'A')).toBe(1);
  });

  it('when the TTL has passed, then the domain is asked again', async () => {
    dns = await startDnsServer(mxZones({ 'ttl.test': '127.0.0.2' }, 60));
    let now = 1_000_000;
    const resolver = new DnsResolver({ servers: [dns.address], timeoutMs: 1000, now: () => now });
    await resolver.resolveMail('ttl.test');
    now += 59_000;
    await resolver.resolveMail('ttl.test');
    expect(dns.queriesFor('ttl.test', 'MX')).toBe(1);
    now += 2_000;
    expect(await resolver.resolveMail('ttl.test')).toMatchObject({
      kind: 'mx',
      hosts: [{ exchange: 'mx.2.test', preference: 10 }],
    });
    expect(dns.queriesFor('ttl.test', 'MX')).toBe(2);
  });

  it('when the cache is full, then the oldest names make room', async () => {
    dns = await startDnsServer(
      mxZones({ 'one.test': '127.0.0.2', 'two.test': '127.0.0.2', 'three.test': '127.0.0.2' }),
    );
    const resolver = new DnsResolver({ servers: [dns.address], timeoutMs: 1000, maxEntries: 2 });
    for (const d of ['one.test', 'two.test', 'three.test', 'three.test', 'one.test'])
      await resolver.resolveMail(d);
    expect(dns.queriesFor('one.test', 'MX')).toBe(2);
    expect(dns.queriesFor('three.test', 'MX')).toBe(1);
  });

  it('when the first resolver is dead, then the next one in the list answers', async () => {
    dns = await startDnsServer(mxZones({ 'fallback.test': '127.0.0.2' }));
    const resolver = new DnsResolver({ servers: ['127.0.0.1:9', dns.address], timeoutMs: 1000 });
    expect(await resolver.resolveMail('fallback.test')).toMatchObject({ kind: 'mx' });
  });
});
