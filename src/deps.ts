import type { RedisClient } from './lib/redis-client.ts';
import type { Config } from './config/env.ts';
import { createDatabase, type Database } from './data/db.ts';
import { createLogger, type Logger } from './lib/logger.ts';
import { watchQueueMetrics } from './queue/queue-metrics.ts';
import { createQueues, type Queues } from './queue/queues.ts';
import { createRedis } from './queue/redis.ts';
import { createVerifier } from './validation/engine.ts';
import type { Verifier } from './validation/types.ts';

export interface Deps {
  config: Config;
  logger: Logger;
  db: Database;
  redis: RedisClient;
  queues: Queues;
  verifier: Verifier;
  close(): Promise<void>;
}

/**
 * Builds everything a process needs, passed explicitly (no container). The API's Redis fails
 * fast so requests answer 503 during an outage; a worker's waits the outage out.
 */
export function createDeps(config: Config, role: 'api' | 'worker', logger?: Logger): Deps {
  const log = logger ?? createLogger(config.log.level, { role });
  const db = createDatabase(config.db.url);
  const redis = createRedis(config.redis, role);
  redis.on('error', (err: Error) => log.debug({ err: err.message }, 'redis connection error'));
  const queues = createQueues(redis, config.redis, (err) =>
    log.debug({ err: err.message }, 'queue connection error'),
  );
  const unwatch = watchQueueMetrics(queues, redis);
  const verifier = createVerifier(
    {
      production: config.env === 'production',
      dns: config.dns,
      smtp: config.smtp,
      diagnostics: config.diagnostics,
    },
    { redis, logger: log, keyPrefix: `${config.redis.queuePrefix}:` },
  );
  return {
    config,
    logger: log,
    db,
    redis,
    queues,
    verifier,
    async close() {
      unwatch();
      await queues.close().catch(() => undefined);
      await verifier.close().catch(() => undefined);
      await db.close();
      redis.disconnect();
    },
  };
}
