/**
 * The UTC calendar that daily and monthly limits reset on. Every process derives the same
 * stamps from the clock, so the Redis keys they name are shared across API processes.
 */

/** `2026-01-15`: names the daily counters. */
export function dayStamp(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** `2026-01`: names the monthly counters. */
export function monthStamp(now: Date): string {
  return now.toISOString().slice(0, 7);
}

/** The next midnight UTC: when daily counters reset (API.md's `resetsAt`). */
export function nextMidnightUtc(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
}

/** The first instant of next month, UTC: when the monthly quota resets. */
export function nextMonthUtc(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
}

/**
 * Seconds a counter must live to outlast its period. A day of slack keeps the counter readable
 * while clocks of different processes disagree around the boundary.
 */
export function ttlUntil(end: Date, now: Date): number {
  return Math.ceil((end.getTime() - now.getTime()) / 1000) + 86_400;
}
