import type { RedisClient } from '../lib/redis-client.ts';
import type { Logger } from 'pino';
import { THROTTLING } from './classify-text.ts';
import type { SmtpReply } from './smtp-reply.ts';

/**
 * Pacing per provider: when a provider answers a probe with a throttling reply (421, or a 4.7.x
 * "rate limited" / "server busy" / "unexpected volume"), every worker of the fleet stops probing
 * that provider's hosts for a while, doubling the pause each time the provider throttles again
 * soon after (exponential backoff), so that the fleet backs off instead of hammering it.
 *
 * Redis (shared by every worker): `<prefix>{<key>}` holds the current pause (PX = its length) and
 * `<prefix>level:{<key>}` how many pauses in a row (forgotten once the provider stayed quiet for
 * the longest pause, or four times the last one, so it starts again from the base pause). Without Redis, or when
 * Redis fails, the same state lives in the process.
 */

export interface PacingSettings {
  /** The first pause. */
  baseMs: number;
  /** The longest pause. */
  maxMs: number;
}

/**
 * A throttling answer: 421 (the server is closing the channel: RFC 5321 4.2.2, used for rate
 * limits by Gmail, Yahoo, iCloud...) or a 4xx X.7.x whose words say rate or volume. Not
 * greylisting (a per-recipient deferral), and not a session's own error limit ("421 too many
 * errors", which a new session clears).
 */
export function isThrottling(reply: SmtpReply): boolean {
  if (reply.code < 400 || reply.code >= 500) return false;
  const text = reply.text.toLowerCase();
  if (/too many errors/.test(text) || GREYLIST_WORD.test(text)) return false;
  if (reply.code === 421) return true;
  return /^4\.7\.\d+$/.test(reply.enhanced ?? '') && THROTTLING.test(text);
}

// "Try again later" alone is every deferral's wording; only rate or volume words make a throttle.
const GREYLIST_WORD = /gr[ae]y ?list/;

// Pause when not paused already (concurrent sessions that hit the same wall do not escalate
// it): level+1, pause = min(base * 2^(level-1), max). Returns the pause in force, in ms.
const PAUSE_SCRIPT = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then return ttl end
local level = redis.call('INCR', KEYS[2])
local ms = math.min(tonumber(ARGV[1]) * 2 ^ (level - 1), tonumber(ARGV[2]))
ms = math.floor(ms)
redis.call('SET', KEYS[1], level, 'PX', ms)
redis.call('PEXPIRE', KEYS[2], ms + math.max(tonumber(ARGV[2]), ms * 4))
return ms
`;

export class ProviderPacer {
  private readonly local = new Map<string, { until: number; level: number; levelUntil: number }>();

  constructor(
    private readonly redis: RedisClient | null,
    private readonly prefix: string,
    private readonly settings: PacingSettings,
    private readonly logger: Logger,
  ) {}

  // Both keys of a provider carry it as a hash tag: PAUSE_SCRIPT touches the two at once, which a
  // Redis Cluster allows only within one slot.
  private pauseKey(key: string): string {
    return `${this.prefix}{${key}}`;
  }

  private levelKey(key: string): string {
    return `${this.prefix}level:{${key}}`;
  }

  /** How long probes to `key` must still wait (0: go ahead). */
  async pausedFor(key: string): Promise<number> {
    if (this.redis) {
      try {
        const ttl = await this.redis.pttl(this.pauseKey(key));
        return ttl > 0 ? ttl : 0;
      } catch (err) {
        this.logger.warn({ err, key }, 'provider pause lookup in redis failed; using this process');
      }
    }
    const hit = this.local.get(key);
    return hit ? Math.max(0, hit.until - Date.now()) : 0;
  }

  /** Records a throttling answer from `key`'s hosts; returns the pause now in force, in ms. */
  async pause(key: string): Promise<number> {
    const { baseMs, maxMs } = this.settings;
    if (this.redis) {
      try {
        const ms = Number(
          await this.redis.eval(
            PAUSE_SCRIPT,
            2,
            this.pauseKey(key),
            this.levelKey(key),
            baseMs,
            maxMs,
          ),
        );
        this.logger.info({ key, pauseMs: ms }, 'provider throttled the probes: pausing');
        return ms;
      } catch (err) {
        this.logger.warn({ err, key }, 'provider pause in redis failed; pausing this process');
      }
    }
    const now = Date.now();
    const cur = this.local.get(key);
    if (cur && cur.until > now) return cur.until - now;
    const level = cur && cur.levelUntil > now ? cur.level + 1 : 1;
    const ms = Math.floor(Math.min(baseMs * 2 ** (level - 1), maxMs));
    this.local.set(key, { until: now + ms, level, levelUntil: now + ms + Math.max(maxMs, ms * 4) });
    return ms;
  }
}
