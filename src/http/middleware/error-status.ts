import type { Request, Response } from 'express';
import type { DomainError, ErrorCode } from '../../domain/errors.ts';
import { errorBody } from './envelope.ts';

/** The one table from domain error codes to HTTP statuses (API.md's error table). */
export const statusOf: Record<ErrorCode, number> = {
  VALIDATION_ERROR: 400,
  MALFORMED_REQUEST: 400,
  MISSING_INPUT: 400,
  INVALID_CSV: 400,
  MISSING_EMAIL: 400,
  INVALID_EMAIL: 400,
  BATCH_EMPTY: 400,
  BATCH_TOO_LARGE: 400,
  MISSING_API_KEY: 401,
  INVALID_API_KEY: 401,
  API_KEY_DISABLED: 401,
  API_KEY_EXPIRED: 401,
  INSUFFICIENT_CREDITS: 402,
  INSUFFICIENT_SCOPE: 403,
  IP_NOT_ALLOWED: 403,
  FEATURE_NOT_AVAILABLE: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  IDEMPOTENCY_CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  EXPECTATION_FAILED: 417,
  REQUEST_HEADERS_TOO_LARGE: 431,
  RATE_LIMIT_EXCEEDED: 429,
  DAILY_LIMIT_EXCEEDED: 429,
  QUOTA_EXCEEDED: 429,
  GRACE_PERIOD_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
  VALIDATION_TIMEOUT: 500,
  SERVICE_UNAVAILABLE: 503,
};

export function sendError(res: Response, err: DomainError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err.retryAfter !== undefined) res.setHeader('Retry-After', String(err.retryAfter));
  const allow = err.details?.allow;
  if (err.code === 'METHOD_NOT_ALLOWED' && Array.isArray(allow))
    res.setHeader('Allow', allow.join(', '));
  res.status(statusOf[err.code]).json(errorBody(err, (res.req as Request | undefined)?.id));
}
