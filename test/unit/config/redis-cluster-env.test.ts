import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/env.ts';
import { queuePrefixOf } from '../../../src/queue/redis.ts';

/** The message of the ConfigError that `env` raises. */
function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('Redis Cluster configuration', () => {
  it('when nothing is set, then Redis is one server and the queues keep the plain prefix', () => {
    const c = loadConfig({});
    expect(c.redis).toEqual({
      url: 'redis://127.0.0.1:6379',
      cluster: null,
      queuePrefix: 'mailsift',
    });
    expect(queuePrefixOf(c.redis, 'chunks')).toBe('mailsift');
  });

  it('when REDIS_CLUSTER_NODES lists host:port entries, then they are the seed nodes and each queue gets its own hash tag', () => {
    const c = loadConfig({
      REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-2.internal:7001,[::1]:7002,10.0.0.4',
      QUEUE_PREFIX: 'ms',
    });
    expect(c.redis.cluster).toEqual({
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: 'redis-2.internal', port: 7001 },
        { host: '::1', port: 7002 },
        { host: '10.0.0.4', port: 6379 },
      ],
      tls: false,
    });
    expect(['jobs', 'chunks', 'webhooks'].map((q) => queuePrefixOf(c.redis, q as never))).toEqual([
      '{ms:jobs}',
      '{ms:chunks}',
      '{ms:webhooks}',
    ]);
  });

  it('when REDIS_URL is a rediss+cluster:// URL with credentials, then nodes, user, password and TLS come from it', () => {
    const c = loadConfig({
      REDIS_URL: 'rediss+cluster://app:p%40ss@a.example:7000,b.example:7001',
    });
    expect(c.redis.cluster).toEqual({
      nodes: [
        { host: 'a.example', port: 7000 },
        { host: 'b.example', port: 7001 },
      ],
      username: 'app',
      password: 'p@ss',
      tls: true,
    });
  });

  it.each([
    [{ REDIS_URL: 'redis+cluster://' }, 'REDIS_URL'],
    [{ REDIS_URL: 'redis+cluster://a:7000,b:port' }, 'REDIS_URL'],
    [{ REDIS_CLUSTER_NODES: 'a:7000,not a host' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_CLUSTER_NODES: 'a:7000', REDIS_URL: 'redis+cluster://b:7000' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_CLUSTER_NODES: 'a:7000', QUEUE_PREFIX: '{ms}' }, 'QUEUE_PREFIX'],
  ])('when %j, then the start is refused naming %s', (env, name) => {
    expect(refusal(env)).toContain(name);
  });

  it('when QUEUE_PREFIX has braces on one server, then it is kept as it was', () => {
    expect(loadConfig({ QUEUE_PREFIX: '{ms}' }).redis.queuePrefix).toBe('{ms}');
  });
});
