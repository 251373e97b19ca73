import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/env.ts';

describe('configuration from the environment', () => {
  it('when nothing is set, then the defaults of API.md apply', () => {
    const c = loadConfig({});
    expect(c.http.port).toBe(3000);
    expect(c.db.url).toBe('postgresql://postgres@127.0.0.1:5432/mailsift');
    expect(c.redis.url).toBe('redis://127.0.0.1:6379');
    expect(c.http.adminToken).toBeNull();
    expect(c.smtp).toMatchObject({
      port: 25,
      timeoutMs: 30000,
      allowPrivate: false,
      maxConnectionsPerHost: 3,
      maxRejectionsPerSession: 5,
      retryAttempts: 2,
      retryDelayMs: 300000,
    });
    expect(c.webhooks).toMatchObject({
      allowPrivate: false,
      timeoutMs: 10000,
      backoffBaseMs: 5000,
      maxAttempts: 10,
    });
    expect(c.limits).toMatchObject({
      maxUploadBytes: 104857600,
      maxEmailsPerJob: 1000000,
      testDailyLimit: 100,
    });
    expect(c.smtp.mailFrom).toBe(`verify@${c.smtp.heloName}`);
  });

  it('when DNS_SERVERS lists ip and ip:port, then each is kept', () => {
    expect(loadConfig({ DNS_SERVERS: '127.0.0.1:5353, 10.0.0.1,[::1]:53' }).dns.servers).toEqual([
      '127.0.0.1:5353',
      '10.0.0.1',
      '[::1]:53',
    ]);
  });

  it.each([
    [undefined, false],
    ['false', false],
    ['0', false],
    ['true', 1],
    ['3', 3],
    ['loopback, 10.0.0.0/8', ['loopback', '10.0.0.0/8']],
    ['2001:db8::1', ['2001:db8::1']],
  ])('when TRUST_PROXY is %s, then Express is told %j', (value, expected) => {
    expect(loadConfig(value === undefined ? {} : { TRUST_PROXY: value }).http.trustProxy).toEqual(
      expected,
    );
  });

  it.each(['maybe', '10.0.0.0/33', 'proxy.example'])(
    'when TRUST_PROXY is %s, then the start is refused naming it',
    (value) => {
      expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(/TRUST_PROXY: must be true, false/);
    },
  );

  it('when values are bad, then one error names every offending variable', () => {
    const bad = () =>
      loadConfig({
        PORT: 'abc',
        SMTP_ALLOW_PRIVATE: 'maybe',
        DNS_SERVERS: 'dns.example',
        REDIS_URL: 'http://x',
        MAX_UPLOAD_BYTES: '-1',
      });
    expect(bad).toThrow(ConfigError);
    try {
      bad();
    } catch (err) {
      const message = (err as Error).message;
      for (const name of [
        'PORT',
        'SMTP_ALLOW_PRIVATE',
        'DNS_SERVERS',
        'REDIS_URL',
        'MAX_UPLOAD_BYTES',
      ]) {
        expect(message).toContain(name);
      }
    }
  });
});
