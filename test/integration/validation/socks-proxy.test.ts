import { afterEach, describe, expect, it } from 'vitest';
import { mxZones } from '../../support/dns-server.ts';
import {
  DANTE_PASSWORD,
  DANTE_USER,
  danteInstalled,
  startSocksServer,
  type SocksServer,
} from '../../support/socks-server.ts';
import { findFreePort } from '../../support/smtp-server.ts';
import { parseProxies, parseRoutes } from '../../../src/validation/network-config.ts';
import { engineFixture, LIVE, type EngineFixture } from '../../support/engine-harness.ts';

// SOCKS5 probing through a real SOCKS server no one here wrote: Debian's dante-server, one
// private instance per test on loopback (.ci/services/dante.sh installs it).

/** Dante's worker processes answer slowly on a loaded machine: generous deadlines. */
const SLOW = { timeoutMs: 15_000 };

const proxyConfig = (text: string, routes: string) => {
  const proxies = parseProxies(text);
  return { proxies, routes: parseRoutes(routes, new Set(proxies.map((p) => p.name))) };
};

describe.skipIf(!danteInstalled())('probing through a SOCKS5 proxy (dante)', () => {
  let fixture: EngineFixture | undefined;
  let socks: SocksServer | undefined;
  afterEach(async () => {
    await fixture?.close();
    await socks?.close();
    fixture = undefined;
    socks = undefined;
  });

  it('when a route sends every MX through a proxy without authentication, then verdicts come through it with the route identity', async () => {
    socks = await startSocksServer();
    fixture = await engineFixture({
      servers: [{ host: '127.0.0.2', behaviour: { knownUsers: ['alice'] } }],
      zones: mxZones({ 'proxied.test': '127.0.0.2' }),
      smtp: {
        ...proxyConfig(
          `p1=${socks.url()}`,
          'default -> p1 helo=probe-p1.mailsift.test from=verify@p1.mailsift.test',
        ),
        ...SLOW,
      },
    });
    const [alice, bob] = await fixture.verifier.verifyDomainGroup(
      'proxied.test',
      ['alice@proxied.test', 'bob@proxied.test'],
      LIVE,
    );
    expect(alice).toMatchObject({ status: 'deliverable', reason: 'accepted_email' });
    expect(bob).toMatchObject({ status: 'undeliverable', reason: 'rejected_email' });
    const server = fixture.servers[0]!;
    expect(server.commands).toContain('EHLO probe-p1.mailsift.test');
    expect(server.commands).toContain('MAIL FROM:<verify@p1.mailsift.test>');
    // Dante logged the tunnel it opened to the MX host's address and port.
    expect(socks.log()).toContain(`127.0.0.2.${fixture.port}`);
    expect(socks.log()).toMatch(/pass\(\d+\): tcp\/connect/);
  });

  it('when the proxy needs a user and password, then the right ones pass and a wrong password is unknown / no_connect, never a mailbox verdict', async () => {
    socks = await startSocksServer({ auth: true });
    const good = socks.url({ user: DANTE_USER, password: DANTE_PASSWORD });
    fixture = await engineFixture({
      servers: [{ host: '127.0.0.2', behaviour: { knownUsers: ['alice'] } }],
      zones: mxZones({ 'auth.test': '127.0.0.2' }),
      // Dante checks the password with crypt(3) on each connection: slow on a loaded machine.
      smtp: { ...proxyConfig(`p1=${good}`, 'default -> p1'), timeoutMs: 15_000 },
    });
    expect(await fixture.verifier.verify('alice@auth.test', LIVE)).toMatchObject({
      status: 'deliverable',
    });
    expect(fixture.servers[0]!.sessions).toBe(1);
    expect(socks.log()).toContain(`username%${DANTE_USER}@`);
    await fixture.close();

    const bad = socks.url({ user: DANTE_USER, password: 'not-the-password' });
    fixture = await engineFixture({
      servers: [{ host: '127.0.0.2', behaviour: { knownUsers: ['alice'] } }],
      zones: mxZones({ 'auth.test': '127.0.0.2' }),
      smtp: { ...proxyConfig(`p1=${bad}`, 'default -> p1'), timeoutMs: 15_000 },
    });
    const refused = await fixture.verifier.verifyDomainGroup(
      'auth.test',
      ['alice@auth.test', 'carol@auth.test'],
      LIVE,
    );
    for (const v of refused) {
      expect(v).toMatchObject({ status: 'unknown', reason: 'no_connect', warning: 'proxy_failed' });
    }
    expect(fixture.servers[0]!.sessions).toBe(0);
  });

  it('when the proxy refuses the SMTP port, then unknown / no_connect, the server never hears from us, and the self-check reports the proxy', async () => {
    const port = await findFreePort(['127.0.0.2']);
    socks = await startSocksServer({ refusePorts: [port] });
    fixture = await engineFixture({
      servers: [{ host: '127.0.0.2', behaviour: { knownUsers: ['alice'] } }],
      zones: {
        ...mxZones({ 'blocked.test': '127.0.0.2', 'canary.test': '127.0.0.2' }),
      },
      canaries: ['canary.test'],
      dnsblZones: [],
      smtp: { ...proxyConfig(`p1=${socks.url()}`, 'default -> p1'), port, ...SLOW },
    });
    expect(fixture.port).not.toBe(port); // the fixture's servers listen on their own port...
    // ...so start the MX on the refused port: the proxy's rule, not a closed port, refuses.
    const { startSmtpServer } = await import('../../support/smtp-server.ts');
    const mx = await startSmtpServer({ host: '127.0.0.2', port, behaviour: { acceptAll: true } });
    try {
      const v = await fixture.verifier.verify('alice@blocked.test', LIVE);
      expect(v).toMatchObject({ status: 'unknown', reason: 'no_connect', warning: 'proxy_failed' });
      expect(mx.sessions).toBe(0);
      // danted logs the refusal after the client has it: wait for the line, then read the log.
      await socks.waitForLog(/block\(\d+\)/);
      expect(socks.log()).toMatch(/block\(\d+\)/);

      const report = await fixture.verifier.selfCheck();
      expect(report.checks).toContainEqual(
        expect.objectContaining({ check: 'smtp_outbound', target: 'proxy p1', status: 'fail' }),
      );
      expect(report.checks).toContainEqual(
        expect.objectContaining({ check: 'smtp_outbound', target: 'direct', status: 'ok' }),
      );
      expect(report.checks).toContainEqual(
        expect.objectContaining({ check: 'proxy', target: 'p1', status: 'warn' }),
      );
      expect(report.ok).toBe(false);
      // The route is now known blocked: the next domain is answered at once, without a try.
      const before = socks.log().length;
      const next = await fixture.verifier.verify('bob@blocked.test', LIVE);
      expect(next).toMatchObject({
        status: 'unknown',
        reason: 'no_connect',
        warning: 'smtp_blocked',
      });
      expect(socks.log().length).toBe(before);
    } finally {
      await mx.close();
    }
  });

  it('when routes pick the proxy by MX host suffix, then only those hosts go through it', async () => {
    socks = await startSocksServer();
    fixture = await engineFixture({
      servers: [
        { host: '127.0.0.2', behaviour: { knownUsers: ['alice'] } },
        { host: '127.0.0.3', behaviour: { knownUsers: ['alice'] } },
      ],
      zones: mxZones({ 'via-proxy.test': '127.0.0.2', 'direct.test': '127.0.0.3' }),
      smtp: {
        ...proxyConfig(
          `p1=${socks.url()}`,
          'mx:mx.2.test -> p1 helo=p1.mailsift.test; default -> direct',
        ),
        ...SLOW,
      },
    });
    expect(await fixture.verifier.verify('alice@via-proxy.test', LIVE)).toMatchObject({
      status: 'deliverable',
    });
    expect(await fixture.verifier.verify('alice@direct.test', LIVE)).toMatchObject({
      status: 'deliverable',
    });
    expect(socks.log()).toContain(`127.0.0.2.${fixture.port}`);
    expect(socks.log()).not.toContain(`127.0.0.3.${fixture.port}`);
    expect(fixture.servers[0]!.commands).toContain('EHLO p1.mailsift.test');
    expect(fixture.servers[1]!.commands).toContain('EHLO probe.mailsift.test');
  });

  it('when the proxy is down, then unknown / no_connect, not a mailbox verdict', async () => {
    const deadPort = await findFreePort(['127.0.0.1']);
    fixture = await engineFixture({
      servers: [{ host: '127.0.0.2', behaviour: { knownUsers: ['alice'] } }],
      zones: mxZones({ 'down.test': '127.0.0.2' }),
      smtp: proxyConfig(`p1=socks5://127.0.0.1:${deadPort}`, 'default -> p1'),
    });
    expect(await fixture.verifier.verify('carol@down.test', LIVE)).toMatchObject({
      status: 'unknown',
      reason: 'no_connect',
    });
    expect(fixture.servers[0]!.sessions).toBe(0);
  });

  it('when a proxy has a session cap of 1, then its sessions never overlap, while a cap of 3 lets them', async () => {
    socks = await startSocksServer();
    const run = async (cap: number) => {
      const f = await engineFixture({
        servers: [{ host: '127.0.0.2', behaviour: { acceptAll: true, latencyMs: 150 } }],
        zones: mxZones({ 'a.test': '127.0.0.2', 'b.test': '127.0.0.2', 'c.test': '127.0.0.2' }),
        smtp: {
          ...proxyConfig(`p1=${socks!.url()}?max_connections=${cap}`, 'default -> p1'),
          maxConnectionsPerHost: 3,
          timeoutMs: 10_000,
        },
      });
      try {
        const verdicts = await Promise.all(
          ['a.test', 'b.test', 'c.test'].map((d) => f.verifier.verify(`x@${d}`, LIVE)),
        );
        expect(verdicts.map((v) => v.checks.smtp?.code)).toEqual([250, 250, 250]);
        return f.servers[0]!.maxConcurrentSessions;
      } finally {
        await f.close();
      }
    };
    expect(await run(1)).toBe(1);
    expect(await run(3)).toBeGreaterThan(1);
  });
});

describe('probing from chosen source addresses', () => {
  let fixture: EngineFixture | undefined;
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });

  it('when SMTP_SOURCE_ADDRESSES lists 127.0.0.5 and 127.0.0.6, then direct sessions come from both, and only them', async () => {
    fixture = await engineFixture({
      servers: [{ host: '127.0.0.2', behaviour: { knownUsers: ['x'] } }],
      zones: mxZones({
        's1.test': '127.0.0.2',
        's2.test': '127.0.0.2',
        's3.test': '127.0.0.2',
        's4.test': '127.0.0.2',
      }),
      smtp: { sourceAddresses: ['127.0.0.5', '127.0.0.6'] },
    });
    for (const d of ['s1.test', 's2.test', 's3.test', 's4.test'])
      expect(await fixture.verifier.verify(`x@${d}`, LIVE)).toMatchObject({
        status: 'deliverable',
      });
    const seen = fixture.servers[0]!.remoteAddresses;
    expect(seen.length).toBeGreaterThanOrEqual(4);
    expect(new Set(seen)).toEqual(new Set(['127.0.0.5', '127.0.0.6']));
  });
});
