import { Cluster, Redis } from 'ioredis';
import type { Config } from '../config/env.ts';
import type { RedisClient } from '../lib/redis-client.ts';
import type { QueueName } from './catalog.ts';

export type { RedisClient };

export type RedisConfig = Config['redis'];

/**
 * Redis for the API fails fast (no offline queue: a request gets 503 at once); workers' Redis
 * waits out outages (`maxRetriesPerRequest: null`, as BullMQ requires for blocking calls).
 */
export function createRedis(redis: RedisConfig, role: 'api' | 'worker'): RedisClient {
  const retry = (times: number) => Math.min(times * 200, 2000);
  if (!redis.cluster) {
    return role === 'api'
      ? new Redis(redis.url, {
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          connectTimeout: 2000,
          retryStrategy: retry,
        })
      : new Redis(redis.url, { maxRetriesPerRequest: null, enableReadyCheck: true });
  }
  const { nodes, username, password, tls } = redis.cluster;
  const node = {
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(tls ? { tls: {} } : {}),
  };
  return role === 'api'
    ? new Cluster(nodes, {
        enableOfflineQueue: false,
        clusterRetryStrategy: retry,
        redisOptions: { ...node, maxRetriesPerRequest: 1, connectTimeout: 2000 },
      })
    : new Cluster(nodes, {
        enableReadyCheck: true,
        clusterRetryStrategy: retry,
        redisOptions: { ...node, maxRetriesPerRequest: null },
      });
}

/**
 * BullMQ's key prefix of one queue. On one server, QUEUE_PREFIX as it always was. On a cluster,
 * `{QUEUE_PREFIX:queue}`: BullMQ's scripts touch many keys of a queue at once, so they must share
 * a hash tag, and a tag per queue spreads the three queues over the masters (BullMQ's docs,
 * patterns/redis-cluster). No task moves between queues in one script, so nothing needs more.
 */
export function queuePrefixOf(redis: RedisConfig, queue: QueueName): string {
  return redis.cluster ? `{${redis.queuePrefix}:${queue}}` : redis.queuePrefix;
}
