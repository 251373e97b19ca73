import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../lib/redis-client.ts';
import type { Logger } from 'pino';

/**
 * At most N SMTP sessions open per MX host at once (SMTP_MAX_CONNECTIONS_PER_HOST): mail
 * operators throttle or block clients that open many parallel connections, and a blocked
 * prober answers nothing. With Redis the limit holds across every worker process: a sorted set
 * per host whose members are leases scored by their expiry, so a crashed worker's slots free
 * themselves. Without Redis, an in-process counter.
 */

export interface Lease {
  release(): Promise<void>;
}

export interface ConnectionLimiter {
  /** Waits for a free slot on `host`; rejects with the signal's reason when it aborts first. */
  acquire(host: string, signal: AbortSignal): Promise<Lease>;
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

/** One process: counters and FIFO queues per host. */
export class LocalConnectionLimiter implements ConnectionLimiter {
  private readonly active = new Map<string, number>();
  private readonly queues = new Map<string, (() => void)[]>();

  constructor(private readonly max: number) {}

  acquire(host: string, signal: AbortSignal): Promise<Lease> {
    if (signal.aborted) return Promise.reject(abortError(signal));
    const n = this.active.get(host) ?? 0;
    if (n < this.max) {
      this.active.set(host, n + 1);
      return Promise.resolve(this.lease(host));
    }
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(host) ?? [];
      this.queues.set(host, queue);
      const grant = () => {
        signal.removeEventListener('abort', onAbort);
        resolve(this.lease(host));
      };
      const onAbort = () => {
        const i = queue.indexOf(grant);
        if (i >= 0) queue.splice(i, 1);
        reject(abortError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      queue.push(grant);
    });
  }

  private lease(host: string): Lease {
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        const next = this.queues.get(host)?.shift();
        if (next) return next(); // hand the slot over: the count stays
        const n = (this.active.get(host) ?? 1) - 1;
        if (n <= 0) this.active.delete(host);
        else this.active.set(host, n);
        if (this.queues.get(host)?.length === 0) this.queues.delete(host);
      },
    };
  }
}

// Server time (TIME) keeps leases consistent across hosts with skewed clocks.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
  return 1
end
return 0`;

const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ok = redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
return ok`;

export interface RedisLimiterOptions {
  /** Key prefix; the host is appended (default `mailsift:smtp:conn:`). */
  prefix?: string;
  /** A lease not renewed for this long is dropped (a crashed holder); renewed every third. */
  leaseMs?: number;
}

/** Across processes: a ZSET semaphore with expiring leases, polled with jittered back-off. */
export class RedisConnectionLimiter implements ConnectionLimiter {
  private readonly prefix: string;
  private readonly leaseMs: number;
  private readonly fallback: LocalConnectionLimiter;

  constructor(
    private readonly redis: RedisClient,
    private readonly max: number,
    private readonly logger: Logger,
    options: RedisLimiterOptions = {},
  ) {
    this.prefix = options.prefix ?? 'mailsift:smtp:conn:';
    this.leaseMs = options.leaseMs ?? 30_000;
    this.fallback = new LocalConnectionLimiter(max);
  }

  async acquire(host: string, signal: AbortSignal): Promise<Lease> {
    const key = this.prefix + host;
    const token = randomUUID();
    let delay = 10;
    for (;;) {
      if (signal.aborted) throw abortError(signal);
      let got: unknown;
      const attempt = this.redis.eval(ACQUIRE, 1, key, token, this.max, this.leaseMs);
      try {
        got = await raceSignal(attempt, signal);
      } catch (err) {
        if (signal.aborted) {
          // The script may still run once Redis answers: give back a slot we will never use.
          attempt.then((g) => (g === 1 ? this.redis.zrem(key, token) : 0)).catch(() => undefined);
          throw abortError(signal);
        }
        // Redis down: keep probing politely within this process rather than stop the job.
        this.logger.warn({ err, host }, 'redis connection limit unavailable, limiting in-process');
        return this.fallback.acquire(host, signal);
      }
      if (got === 1) return this.lease(key, token);
      await sleep(delay + Math.random() * delay, signal);
      delay = Math.min(delay * 2, 250);
    }
  }

  private lease(key: string, token: string): Lease {
    const renew = setInterval(
      () => {
        this.redis.eval(RENEW, 1, key, token, this.leaseMs).catch((err: unknown) => {
          this.logger.debug({ err }, 'connection lease renewal failed');
        });
      },
      Math.floor(this.leaseMs / 3),
    );
    renew.unref();
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(renew);
        try {
          await this.redis.zrem(key, token);
        } catch (err) {
          this.logger.debug({ err }, 'connection lease release failed; it expires by itself');
        }
      },
    };
  }
}

/** A Redis call that waits out an outage must not outlive the caller's deadline. */
function raceSignal<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function createConnectionLimiter(
  redis: RedisClient | null,
  max: number,
  logger: Logger,
  options?: RedisLimiterOptions,
): ConnectionLimiter {
  return redis
    ? new RedisConnectionLimiter(redis, max, logger, options)
    : new LocalConnectionLimiter(max);
}
