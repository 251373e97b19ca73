import type { Cluster, Redis } from 'ioredis';

/**
 * One Redis server or a Redis Cluster: both speak the same commands. On a cluster, a multi-key
 * command or script must name keys of one hash slot (docs/redis-cluster.md tells which tags).
 */
export type RedisClient = Redis | Cluster;
