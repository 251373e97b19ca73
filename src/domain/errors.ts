/**
 * Errors of the domain. They know nothing of HTTP: the same code runs in workers. The one table
 * in src/http/middleware/error-status.ts maps each code to a status and the envelope of API.md.
 */
export const errorCodes = [
  'VALIDATION_ERROR',
  'MALFORMED_REQUEST',
  'MISSING_INPUT',
  'INVALID_CSV',
  'MISSING_EMAIL',
  'INVALID_EMAIL',
  'BATCH_EMPTY',
  'BATCH_TOO_LARGE',
  'MISSING_API_KEY',
  'INVALID_API_KEY',
  'API_KEY_DISABLED',
  'API_KEY_EXPIRED',
  'INSUFFICIENT_CREDITS',
  'INSUFFICIENT_SCOPE',
  'IP_NOT_ALLOWED',
  'FEATURE_NOT_AVAILABLE',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'REQUEST_TIMEOUT',
  'IDEMPOTENCY_CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'EXPECTATION_FAILED',
  'REQUEST_HEADERS_TOO_LARGE',
  'RATE_LIMIT_EXCEEDED',
  'DAILY_LIMIT_EXCEEDED',
  'QUOTA_EXCEEDED',
  'GRACE_PERIOD_EXCEEDED',
  'INTERNAL_ERROR',
  'VALIDATION_TIMEOUT',
  'SERVICE_UNAVAILABLE',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

/**
 * A task that can never succeed, however often it is retried (its stored input is damaged, say):
 * the worker fails it for good at once. Domain code throws this; only workers/ speak BullMQ.
 */
export class PermanentTaskError extends Error {
  override name = 'PermanentTaskError';
}

export class DomainError extends Error {
  override name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Seconds a client should wait before trying again (429, 503). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/** A field-level map, as API.md shows: `{"emails": {"3": ["Not a valid email address."]}}`. */
export type FieldErrors = Record<string, string[] | Record<string, string[]>>;

export function validationError(fields: FieldErrors, message = 'The request is invalid.') {
  return new DomainError('VALIDATION_ERROR', message, { fields });
}

export function notFound(what = 'Job') {
  return new DomainError('NOT_FOUND', `${what} not found.`);
}

export function invalidCsv(message: string, line?: number) {
  return new DomainError('INVALID_CSV', message, line === undefined ? undefined : { line });
}

export function serviceUnavailable(
  message = 'A backing service is unreachable; try again shortly.',
) {
  return new DomainError('SERVICE_UNAVAILABLE', message, undefined, 5);
}
