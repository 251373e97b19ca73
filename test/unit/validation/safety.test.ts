import { describe, expect, it } from 'vitest';
import { isPublicUnicast, mayConnect } from '../../../src/validation/safety.ts';
import { LocalConnectionLimiter } from '../../../src/validation/connection-limit.ts';

describe('where the probe may connect', () => {
  it.each([
    '127.0.0.2',
    '10.0.0.5',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '255.255.255.255',
    '224.0.0.1',
    '192.0.2.1',
    '240.0.0.1',
    '::1',
    '::',
    'fe80::1',
    'fc00::1',
    '::ffff:10.0.0.1',
    '::ffff:8.8.8.8',
    '64:ff9b::a00:1',
    '2002:a00:1::1',
    '2001:db8::1',
    'not-an-ip',
  ])('refuses %s unless private addresses are allowed', (ip) => {
    expect(isPublicUnicast(ip)).toBe(false);
    expect(mayConnect(ip, false)).toBe(false);
  });

  it('allows public unicast addresses, and private ones when SMTP_ALLOW_PRIVATE is on', () => {
    expect(mayConnect('8.8.8.8', false)).toBe(true);
    expect(mayConnect('2a00:1450:4001:80b::201a', false)).toBe(true);
    expect(mayConnect('127.0.0.2', true)).toBe(true);
    expect(mayConnect('garbage', true)).toBe(false);
  });
});

describe('in-process connection limiter', () => {
  it('hands out at most N slots per host, in arrival order, and per host only', async () => {
    const limiter = new LocalConnectionLimiter(2);
    const signal = AbortSignal.timeout(5000);
    const a = await limiter.acquire('mx1', signal);
    const b = await limiter.acquire('mx1', signal);
    await limiter.acquire('mx2', signal); // another host is not affected
    const order: string[] = [];
    const c = limiter.acquire('mx1', signal).then((l) => (order.push('c'), l));
    const d = limiter.acquire('mx1', signal).then((l) => (order.push('d'), l));
    await a.release();
    await (await c).release();
    await b.release();
    await (await d).release();
    expect(order).toEqual(['c', 'd']);
  });

  it('gives up waiting when the signal aborts', async () => {
    const limiter = new LocalConnectionLimiter(1);
    await limiter.acquire('mx', AbortSignal.timeout(5000));
    await expect(limiter.acquire('mx', AbortSignal.timeout(20))).rejects.toThrow();
  });
});
