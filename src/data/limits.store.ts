import { createHash } from 'node:crypto';
import type { RedisClient } from '../lib/redis-client.ts';

/**
 * Usage counters in Redis, shared by every API process. Each check-and-count is one Lua script,
 * so two processes can never both take the last slot. Keys live under the deployment's
 * QUEUE_PREFIX and carry the account id as a hash tag (one cluster slot per account, which
 * multi-key scripts need), and every key expires on its own.
 */

export function limitKeys(prefix: string, accountId: string) {
  const base = `${prefix}:limits:{${accountId}}`;
  return {
    /** Sorted set of the key's requests in the last minute (score = ms). */
    perMinute: (keyId: string) => `${base}:rpm:${keyId}`,
    /** Requests to /v1 today, all keys of the account. */
    requestsOfDay: (day: string) => `${base}:rpd:${day}`,
    /** Emails validated with live keys this month (the monthly quota). */
    emailsOfMonth: (month: string) => `${base}:emails:month:${month}`,
    /** Emails validated with live keys today (reported as usage.today). */
    emailsOfDay: (day: string) => `${base}:emails:day:${day}`,
    /** Emails validated with test keys today (TEST_DAILY_LIMIT). */
    testEmailsOfDay: (day: string) => `${base}:emails:test:${day}`,
  };
}

// A sliding-window log: exact (never more than `limit` requests in any 60 s), and it reads the
// clock of Redis itself so processes with drifting clocks share one window. A refused request
// takes no slot, so a client that keeps retrying still gets through once the window moves.
const ADMIT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local perDay = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local inWindow = redis.call('ZCARD', KEYS[1])
local dayUsed = tonumber(redis.call('GET', KEYS[2]) or '0')
local refused = 0
if inWindow >= limit then
  refused = 1
elseif perDay >= 0 and dayUsed >= perDay then
  refused = 2
else
  redis.call('ZADD', KEYS[1], now, now .. ':' .. ARGV[5])
  redis.call('PEXPIRE', KEYS[1], window)
  inWindow = inWindow + 1
  dayUsed = redis.call('INCR', KEYS[2])
  redis.call('EXPIRE', KEYS[2], ARGV[4])
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local oldestMs = now
if oldest[2] then oldestMs = tonumber(oldest[2]) end
return {refused, inWindow, oldestMs, now, dayUsed}`;

// Adds n to every key only when the first stays within ARGV[2]; the others just follow.
const CONSUME = `
local n = tonumber(ARGV[1])
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used + n > tonumber(ARGV[2]) then return {0, used} end
for i = 1, #KEYS do
  redis.call('INCRBY', KEYS[i], n)
  redis.call('EXPIRE', KEYS[i], ARGV[i + 2])
end
return {1, used + n}`;

// Gives back what a failed request took; never below zero, never resurrects an expired key.
const RELEASE = `
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    if redis.call('DECRBY', KEYS[i], ARGV[1]) < 0 then redis.call('SET', KEYS[i], 0, 'KEEPTTL') end
  end
end
return 1`;

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
const scripts = { ADMIT, CONSUME, RELEASE };
const shas = { ADMIT: sha1(ADMIT), CONSUME: sha1(CONSUME), RELEASE: sha1(RELEASE) };

/** EVALSHA, falling back to EVAL once after a Redis restart (or on first use) forgot the script. */
async function run(
  redis: RedisClient,
  name: keyof typeof scripts,
  keys: string[],
  args: (string | number)[],
) {
  try {
    return (await redis.evalsha(shas[name], keys.length, ...keys, ...args)) as number[];
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return (await redis.eval(scripts[name], keys.length, ...keys, ...args)) as number[];
  }
}

export interface AdmitResult {
  refused: 'minute' | 'day' | null;
  /** Requests of this key in the current 60 s window, this one included when admitted. */
  inWindow: number;
  /** Redis clock (ms) of the oldest request in the window, and of now. */
  oldestMs: number;
  nowMs: number;
  /** Requests of the account today, this one included when admitted. */
  dayUsed: number;
}

export async function admitRequest(
  redis: RedisClient,
  k: {
    minuteKey: string;
    dayKey: string;
    perMinute: number;
    windowMs: number;
    perDay: number | null;
    dayTtl: number;
    member: string;
  },
): Promise<AdmitResult> {
  const [refused, inWindow, oldestMs, nowMs, dayUsed] = await run(
    redis,
    'ADMIT',
    [k.minuteKey, k.dayKey],
    [k.perMinute, k.windowMs, k.perDay ?? -1, k.dayTtl, k.member],
  );
  return {
    refused: refused === 1 ? 'minute' : refused === 2 ? 'day' : null,
    inWindow: inWindow!,
    oldestMs: oldestMs!,
    nowMs: nowMs!,
    dayUsed: dayUsed!,
  };
}

/**
 * Adds `n` to the first counter (and the others) only if it stays within `stop`.
 * Returns whether it did, and the first counter's value (after, or as found when refused).
 */
export async function consumeCounters(
  redis: RedisClient,
  counters: { key: string; ttl: number }[],
  n: number,
  stop: number,
): Promise<{ ok: boolean; used: number }> {
  const [ok, used] = await run(
    redis,
    'CONSUME',
    counters.map((c) => c.key),
    [n, stop, ...counters.map((c) => c.ttl)],
  );
  return { ok: ok === 1, used: used! };
}

export async function releaseCounters(
  redis: RedisClient,
  keys: string[],
  n: number,
): Promise<void> {
  await run(redis, 'RELEASE', keys, [n]);
}

export async function readCounters(redis: RedisClient, keys: string[]): Promise<number[]> {
  const values = await redis.mget(...keys);
  return values.map((v) => Number(v ?? 0));
}
