import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/env.ts';
import { parseProxies, parseRoutes } from '../../../src/validation/network-config.ts';
import { RouteTable } from '../../../src/validation/routes.ts';

describe('SMTP_PROXIES, SMTP_ROUTES, SMTP_SOURCE_ADDRESSES', () => {
  it('when proxies carry credentials and a cap, then each is parsed (percent-decoded)', () => {
    expect(
      parseProxies(
        'eu1=socks5://u%40x:p%3Ass@10.0.0.1:1080?max_connections=4, us1=socks5://[::1]:9050',
      ),
    ).toEqual([
      {
        name: 'eu1',
        host: '10.0.0.1',
        port: 1080,
        userId: 'u@x',
        password: 'p:ss',
        maxConnections: 4,
      },
      { name: 'us1', host: '::1', port: 9050 },
    ]);
  });

  it.each([
    ['eu1=http://10.0.0.1:3128', /only socks5/],
    ['socks5://10.0.0.1:1080', /not name=socks5/],
    ['direct=socks5://10.0.0.1', /not a usable proxy name/],
    ['a=socks5://h:1,a=socks5://h:2', /defined twice/],
    ['a=socks5://h:1?max_connections=0', /max_connections/],
  ])('when SMTP_PROXIES is %s, then the config names the problem', (value, message) => {
    expect(() => loadConfig({ SMTP_PROXIES: value })).toThrow(/SMTP_PROXIES/);
    expect(() => parseProxies(value)).toThrow(message);
  });

  it('when routes match by MX suffix, provider and default, then the first match wins, with its identity', () => {
    const proxies = parseProxies('eu1=socks5://10.0.0.1:1080');
    const routes = parseRoutes(
      'mx:.outlook.com -> eu1 helo=p1.example.com from=v@example.com; provider:google -> direct helo=d.example.com\ndefault -> eu1',
      new Set(['eu1']),
    );
    const table = new RouteTable({
      heloName: 'h.example.com',
      mailFrom: 'f@example.com',
      proxies,
      routes,
    });
    expect(table.routeFor('x.mail.protection.outlook.com', ['microsoft'])).toMatchObject({
      id: 'eu1',
      heloName: 'p1.example.com',
      mailFrom: 'v@example.com',
    });
    expect(table.routeFor('aspmx.l.google.com', ['google'])).toMatchObject({
      id: 'direct',
      heloName: 'd.example.com',
      mailFrom: 'f@example.com',
    });
    expect(table.routeFor('mx.other.example', [])).toMatchObject({
      id: 'eu1',
      heloName: 'h.example.com',
    });
    // outlook.com itself matches the suffix; notoutlook.com does not.
    expect(table.routeIdFor('outlook.com', [])).toBe('eu1');
    expect(table.routeFor('notoutlook.com', []).heloName).toBe('h.example.com');
  });

  it('when a route names an unknown proxy or has a bad option, then loadConfig says SMTP_ROUTES', () => {
    expect(() => loadConfig({ SMTP_ROUTES: 'default -> nowhere' })).toThrow(
      /SMTP_ROUTES: .*no proxy named "nowhere"/,
    );
    expect(() =>
      loadConfig({ SMTP_PROXIES: 'a=socks5://h:1', SMTP_ROUTES: 'default -> a colour=blue' }),
    ).toThrow(/unknown option "colour"/);
    expect(() => loadConfig({ SMTP_ROUTES: 'sometimes -> direct' })).toThrow(/not mx:<suffix>/);
  });

  it('when source addresses are given, then direct routes take them in turn, and a bad one is refused', () => {
    const table = new RouteTable({
      heloName: 'h.example.com',
      mailFrom: 'f@example.com',
      sourceAddresses: ['192.0.2.10', '192.0.2.11'],
    });
    const picks = [1, 2, 3, 4].map(() => table.routeFor('mx.example.com', []).localAddress);
    expect(picks).toEqual(['192.0.2.10', '192.0.2.11', '192.0.2.10', '192.0.2.11']);
    expect(() => loadConfig({ SMTP_SOURCE_ADDRESSES: '192.0.2.10, mail.example.com' })).toThrow(
      /SMTP_SOURCE_ADDRESSES: "mail.example.com" is not an IP address/,
    );
  });

  it('when DNS_CANARY_DOMAINS is unset, none, or a list, then the canaries follow', () => {
    expect(loadConfig({}).dns.canaries).toEqual(['gmail.com', 'outlook.com', 'yahoo.com']);
    expect(loadConfig({ DNS_CANARY_DOMAINS: 'none' }).dns.canaries).toEqual([]);
    expect(loadConfig({ DNS_CANARY_DOMAINS: 'a.test, B.test.' }).dns.canaries).toEqual([
      'a.test',
      'b.test',
    ]);
    expect(() => loadConfig({ DNS_CANARY_DOMAINS: 'not a domain!' })).toThrow(/DNS_CANARY_DOMAINS/);
  });
});
