/**
 * SMTP_MAX_CONNECTIONS_PER_HOST: never more sessions open to one MX host than allowed, across
 * verifiers (processes) sharing Redis, and within one process without Redis.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mxZones } from '../../support/dns-server.ts';
import { waitFor } from '../../support/harness.ts';
import { RedisConnectionLimiter } from '../../../src/validation/connection-limit.ts';
import { createVerifier } from '../../../src/validation/engine.ts';
import { engineFixture, LIVE, type EngineFixture } from '../../support/engine-harness.ts';

let redis: Redis;
let fixture: EngineFixture | null = null;
const logger = pino({ level: 'silent' });

beforeAll(() => {
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
});
afterEach(async () => {
  await fixture?.close();
  fixture = null;
});
afterAll(async () => {
  await redis.quit();
});

async function deleteKeys(prefix: string) {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
}

const groups = (n: number) =>
  Array.from({ length: n }, (_, g) => Array.from({ length: 3 }, (_, i) => `g${g}u${i}@slow.test`));

describe('connection limit per MX host', () => {
  it('when two verifiers share Redis and run 6 groups at once, then the server never sees more than 2 sessions', async () => {
    fixture = await engineFixture({
      servers: [{ host: '127.0.0.2', behaviour: { acceptAll: true, latencyMs: 40 } }],
      zones: mxZones({ 'slow.test': '127.0.0.2' }),
      smtp: { maxConnectionsPerHost: 2, timeoutMs: 5000 },
      redis,
    });
    // a second "process": its own verifier, same Redis and key prefix
    const other = createVerifier(fixture.config, { redis, logger, keyPrefix: fixture.keyPrefix });
    try {
      const work = groups(6).map((emails, i) =>
        (i % 2 === 0 ? fixture!.verifier : other).verifyDomainGroup('slow.test', emails, LIVE),
      );
      const verdicts = (await Promise.all(work)).flat();
      expect(verdicts).toHaveLength(18);
      expect(verdicts.every((v) => v.status === 'risky' || v.status === 'deliverable')).toBe(true);
      const server = fixture.servers[0]!;
      expect(server.sessions).toBe(6);
      expect(server.maxConcurrentSessions).toBe(2);
      // Verdicts do not wait for QUIT's 221: each lease is returned when its connection closes.
      await waitFor(
        async () => (await redis.zcard(`${fixture!.keyPrefix}smtp:conn:127.0.0.2`)) === 0,
        {
          what: 'every lease returned',
          timeoutMs: 15_000,
        },
      );
    } finally {
      await other.close();
      await deleteKeys(fixture.keyPrefix);
    }
  });

  it('when there is no Redis, then one process still keeps to the limit', async () => {
    fixture = await engineFixture({
      servers: [{ host: '127.0.0.2', behaviour: { acceptAll: true, latencyMs: 30 } }],
      zones: mxZones({ 'slow.test': '127.0.0.2' }),
      smtp: { maxConnectionsPerHost: 2, timeoutMs: 5000 },
      redis: null,
    });
    await Promise.all(
      groups(6).map((emails) => fixture!.verifier.verifyDomainGroup('slow.test', emails, LIVE)),
    );
    expect(fixture.servers[0]?.sessions).toBe(6);
    expect(fixture.servers[0]?.maxConcurrentSessions).toBe(2);
  });

  it('when a holder crashed without releasing, then its lease expires and the slot frees itself', async () => {
    const prefix = `mailsift-test:${randomUUID()}:`;
    const limiter = new RedisConnectionLimiter(redis, 1, logger, { prefix, leaseMs: 300 });
    try {
      const [seconds = 0, micros = 0] = (await redis.time()).map(Number);
      const now = seconds * 1000 + Math.floor(micros / 1000);
      await redis.zadd(`${prefix}mx.test`, now + 600, 'crashed-worker'); // its lease ends in 600 ms
      const started = Date.now();
      const lease = await limiter.acquire('mx.test', AbortSignal.timeout(5000));
      expect(Date.now() - started).toBeGreaterThan(400);
      await lease.release();
      expect(await redis.zcard(`${prefix}mx.test`)).toBe(0);
    } finally {
      await deleteKeys(prefix);
    }
  });

  it('when the wait outlives the caller deadline, then acquire gives up with the deadline', async () => {
    const prefix = `mailsift-test:${randomUUID()}:`;
    const limiter = new RedisConnectionLimiter(redis, 1, logger, { prefix });
    const held = await limiter.acquire('mx.test', AbortSignal.timeout(1000));
    try {
      await expect(limiter.acquire('mx.test', AbortSignal.timeout(150))).rejects.toThrow();
    } finally {
      await held.release();
      await deleteKeys(prefix);
    }
  });
});
