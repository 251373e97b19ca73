import { describe, expect, it } from 'vitest';
import { literalIpOf, refusalOf } from '../../../../src/domain/webhooks/address-policy.ts';
import {
  DestinationRefusedError,
  resolveDestination,
} from '../../../../src/domain/webhooks/destination.ts';

/** The send-time path for a literal: WHATWG URL parsing, then the classifier. */
const refusalOfUrl = (raw: string) => {
  const ip = literalIpOf(new URL(raw));
  if (ip === null) throw new Error(`${raw} is not a literal IP`);
  return refusalOf(ip);
};

describe('webhook destination addresses', () => {
  it.each([
    ['http://127.0.0.1/', 'loopback'],
    ['http://127.1/', 'loopback'],
    ['http://0x7f000001/', 'loopback'],
    ['http://0x7f.1/', 'loopback'],
    ['http://2130706433/', 'loopback'],
    ['http://017700000001/', 'loopback'],
    ['http://0177.0.0.1/', 'loopback'],
    ['http://127.0.0.1./', 'loopback'],
    ['http://%31%32%37.0.0.1/', 'loopback'],
    ['http://１２７.0.0.1/', 'loopback'],
    ['http://[::1]/', 'loopback'],
    ['http://[0:0:0:0:0:0:0:1]/', 'loopback'],
    ['http://[::ffff:127.0.0.1]/', 'ipv4-mapped loopback'],
    ['http://[0:0:0:0:0:ffff:7f00:1]/', 'ipv4-mapped loopback'],
    ['http://[::ffff:10.0.0.1]/', 'ipv4-mapped private'],
    ['http://[::127.0.0.1]/', 'ipv4-compatible'],
    ['http://0/', 'unspecified'],
    ['http://0.0.0.0/', 'unspecified'],
    ['http://[::]/', 'unspecified'],
    ['http://10.1.2.3/', 'private'],
    ['http://172.16.0.1/', 'private'],
    ['http://172.31.255.255/', 'private'],
    ['http://192.168.1.1/', 'private'],
    ['http://0xa.1/', 'private'],
    ['http://169.254.169.254/', 'linkLocal'],
    ['http://100.64.0.1/', 'carrierGradeNat'],
    ['http://100.127.255.254/', 'carrierGradeNat'],
    ['http://224.0.0.1/', 'multicast'],
    ['http://255.255.255.255/', 'broadcast'],
    ['http://240.0.0.1/', 'reserved'],
    ['http://192.0.2.1/', 'reserved'],
    ['http://198.18.0.1/', 'reserved'],
    ['http://[fe80::1]/', 'linkLocal'],
    ['http://[fc00::1]/', 'uniqueLocal'],
    ['http://[fd12:3456::1]/', 'uniqueLocal'],
    ['http://[ff02::1]/', 'multicast'],
    ['http://[64:ff9b::7f00:1]/', 'rfc6052'],
    ['http://[64:ff9b:1::a00:1]/', 'rfc6052'],
    ['http://[2002:7f00:1::]/', '6to4'],
    ['http://[2002:a00:1::1]/', '6to4'],
    ['http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', 'teredo'],
    ['http://[2001:db8::1]/', 'reserved'],
    ['http://[::ffff:0:7f00:1]/', 'rfc6145'],
  ])('when the webhook URL is %s, then it is refused as %s', (url, range) => {
    expect(refusalOfUrl(url)).toMatch(new RegExp(`^${range}`));
  });

  it.each([
    'http://8.8.8.8/',
    'http://1.1.1.1:8443/',
    'http://93.184.216.34/',
    'https://[2606:4700:4700::1111]/',
    'http://[2a00:1450:4001:82a::200e]/',
  ])('when the webhook URL is the public address %s, then it is allowed', (url) => {
    expect(refusalOfUrl(url)).toBeNull();
  });

  it('when an IPv4-mapped address names a public host, then it is still refused (no reason to spell it so)', () => {
    expect(refusalOf('::ffff:8.8.8.8')).toBe('ipv4-mapped address');
  });

  it('when the host is a name, then it is not a literal (it is resolved and checked at send time)', () => {
    expect(literalIpOf(new URL('http://localhost/'))).toBeNull();
    expect(literalIpOf(new URL('https://hooks.example.com/x'))).toBeNull();
  });

  it('when something that is no IP address reaches the classifier, then it is refused', () => {
    expect(refusalOf('not-an-ip')).toBe('not an IP address');
    expect(refusalOf('')).toBe('not an IP address');
  });
});

describe('resolving a webhook destination at send time', () => {
  const fakeDns = (records: Record<string, string[]>) => async (host: string) =>
    (records[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  it('when a name resolves to loopback, then it is refused with no address named', async () => {
    const err = await resolveDestination('http://localhost:8080/', {
      allowPrivate: false,
      resolve: fakeDns({ localhost: ['127.0.0.1', '::1'] }),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DestinationRefusedError);
    expect((err as Error).message).toBe(
      'destination not allowed: host resolves to a loopback address',
    );
  });

  it('when a name resolves to a public and a private address, then the host is refused as a whole', async () => {
    await expect(
      resolveDestination('https://mixed.example/', {
        allowPrivate: false,
        resolve: fakeDns({ 'mixed.example': ['93.184.216.34', '10.0.0.7'] }),
      }),
    ).rejects.toThrow(/host resolves to a private address/);
  });

  it('when a name resolves to public addresses, then the first is the one to connect to', async () => {
    const d = await resolveDestination('https://hooks.example/cb?x=1', {
      allowPrivate: false,
      resolve: fakeDns({ 'hooks.example': ['93.184.216.34', '2606:2800:220:1::1'] }),
    });
    expect(d).toMatchObject({ host: 'hooks.example', address: '93.184.216.34', family: 4 });
  });

  it('when WEBHOOK_ALLOW_PRIVATE is on, then loopback is allowed', async () => {
    const d = await resolveDestination('http://[::1]:9000/', {
      allowPrivate: true,
      resolve: fakeDns({}),
    });
    expect(d).toMatchObject({ host: '::1', address: '::1', family: 6 });
  });

  it.each(['ftp://example.com/', 'http://user:pw@example.com/', 'not a url'])(
    'when the URL is %s, then it is refused for good',
    async (url) => {
      await expect(
        resolveDestination(url, { allowPrivate: true, resolve: fakeDns({}) }),
      ).rejects.toBeInstanceOf(DestinationRefusedError);
    },
  );

  it('when the name does not resolve, then that is a retryable error, not a refusal', async () => {
    const err = await resolveDestination('http://nowhere.example/', {
      allowPrivate: false,
      resolve: fakeDns({}),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(DestinationRefusedError);
  });
});
