import type { RedisClient } from '../lib/redis-client.ts';
import type { Logger } from 'pino';

/**
 * Whether a domain accepts any local part, learnt once per domain by probing a random address
 * and remembered: in-process for an hour, and in Redis (when there is one) for a day so every
 * worker shares it. Only definite answers are kept; "could not tell" is asked again next time.
 */
const LOCAL_TTL_MS = 60 * 60 * 1000;
const REDIS_TTL_S = 24 * 60 * 60;
const MAX_DOMAINS = 100_000;

export class CatchAllMemory {
  private readonly local = new Map<string, { value: boolean; expires: number }>();

  constructor(
    private readonly redis: RedisClient | null,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  /** true / false when known, undefined when never (or not recently) tested. */
  async get(domain: string): Promise<boolean | undefined> {
    const hit = this.local.get(domain);
    if (hit && hit.expires > Date.now()) return hit.value;
    if (!this.redis) return undefined;
    try {
      const v = await this.redis.get(this.prefix + domain);
      if (v === '1' || v === '0') {
        this.remember(domain, v === '1');
        return v === '1';
      }
    } catch (err) {
      this.logger.debug({ err, domain }, 'catch-all lookup in redis failed');
    }
    return undefined;
  }

  /** Known in-process at once (before the first await); the Redis write never throws. */
  async set(domain: string, value: boolean): Promise<void> {
    this.remember(domain, value);
    if (!this.redis) return;
    try {
      await this.redis.set(this.prefix + domain, value ? '1' : '0', 'EX', REDIS_TTL_S);
    } catch (err) {
      this.logger.debug({ err, domain }, 'catch-all store in redis failed');
    }
  }

  private remember(domain: string, value: boolean): void {
    if (this.local.size >= MAX_DOMAINS) {
      const oldest = this.local.keys().next().value;
      if (oldest !== undefined) this.local.delete(oldest);
    }
    this.local.set(domain, { value, expires: Date.now() + LOCAL_TTL_MS });
  }
}
