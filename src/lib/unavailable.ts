/**
 * Whether an error (or one of its causes) says Redis or Postgres is unreachable: a connection
 * refused, lost or timed out. The API answers such errors 503; workers do not count them
 * against a task's attempts (workers/outage-guard.ts).
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
  'P1001',
  'P1002',
  'P1017',
  // Our own: a queue call refused at once because Redis is not connected.
  'SERVICE_UNAVAILABLE',
]);
const UNAVAILABLE_TEXT =
  /enableOfflineQueue|Connection is closed|connection terminated|Can't reach database|timeout exceeded when trying to connect|MaxRetriesPerRequest|ECONNREFUSED|Connection refused|database system is (shutting down|starting up)|terminating connection due to administrator command/i;

/** Redis or Postgres is unreachable: retryable, so 503 rather than 500. */
export function isUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 4) return false;
  const e = err as {
    code?: unknown;
    name?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
  if (e.name === 'MaxRetriesPerRequestError') return true;
  if (typeof e.message === 'string' && UNAVAILABLE_TEXT.test(e.message)) return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => isUnavailable(x, depth + 1))) return true;
  return isUnavailable(e.cause, depth + 1);
}
