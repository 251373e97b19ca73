import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { DomainError, validationError, type ErrorCode } from '../../domain/errors.ts';
import { isUnavailable } from '../../lib/unavailable.ts';
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

/**
 * A path segment that is not valid percent-encoding (`/v1/jobs/%ZZ`): the router's decodeParam
 * throws a URIError with status 400 before any route runs.
 */
export const isPathDecodeError = (err: unknown): boolean => err instanceof URIError;

/**
 * Postgres refused a character of our input: 22021 character_not_in_repertoire (NUL in text, or
 * bytes that are not UTF-8), 22P05 untranslatable_character. Input checks refuse these first; this
 * is the backstop, so a field they missed is a 400 and not a 500. Found on pg's errors as `code`,
 * on Prisma's (driver adapter) under `meta.driverAdapterError.cause`.
 */
const UNSTORABLE_CODES = new Set(['22021', '22P05']);
export function isUnstorableText(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 4) return false;
  const e = err as {
    code?: unknown;
    originalCode?: unknown;
    cause?: unknown;
    meta?: { driverAdapterError?: unknown };
  };
  if (typeof e.code === 'string' && UNSTORABLE_CODES.has(e.code)) return true;
  if (typeof e.originalCode === 'string' && UNSTORABLE_CODES.has(e.originalCode)) return true;
  return (
    isUnstorableText(e.meta?.driverAdapterError, depth + 1) || isUnstorableText(e.cause, depth + 1)
  );
}

/** Errors of Express's own parsers and of multer, as the domain's codes. */
function fromTransport(err: unknown, maxUploadBytes: number): DomainError | null {
  if (isPathDecodeError(err)) {
    return new DomainError('VALIDATION_ERROR', 'The path is not valid percent-encoding.', {
      fields: { path: ['Malformed percent-encoding.'] },
    });
  }
  if (err instanceof multer.MulterError) {
    if (err.code === 'LIMIT_FILE_SIZE') {
      return new DomainError(
        'PAYLOAD_TOO_LARGE',
        `The upload is larger than ${maxUploadBytes} bytes.`,
        {
          maximum: maxUploadBytes,
        },
      );
    }
    if (err.code === 'LIMIT_UNEXPECTED_FILE') {
      return new DomainError(
        'VALIDATION_ERROR',
        `Unexpected file field '${err.field ?? ''}': send the file as 'csv_file'.`,
        {
          fields: { [err.field ?? 'file']: ['Unexpected file field; use csv_file.'] },
        },
      );
    }
    return new DomainError('VALIDATION_ERROR', `The upload is invalid: ${err.message}.`, {
      fields: { [err.field ?? 'upload']: [err.message] },
    });
  }
  const e = err as { type?: string; status?: number; message?: string };
  if (e.type === 'entity.parse.failed') {
    return new DomainError('VALIDATION_ERROR', 'The body is not valid JSON.', {
      fields: { body: ['Malformed JSON.'] },
    });
  }
  if (e.type === 'entity.too.large') {
    return new DomainError(
      'PAYLOAD_TOO_LARGE',
      `The body is larger than ${maxUploadBytes} bytes.`,
      {
        maximum: maxUploadBytes,
      },
    );
  }
  if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') {
    return new DomainError(
      'UNSUPPORTED_MEDIA_TYPE',
      'The body must be UTF-8 JSON or multipart/form-data.',
    );
  }
  if (
    typeof e.message === 'string' &&
    /Unexpected end of (form|file)|Multipart: Boundary not found|Malformed part header|^Request (aborted|closed)$/i.test(
      e.message,
    )
  ) {
    return new DomainError('VALIDATION_ERROR', 'The multipart body is malformed.', {
      fields: { body: ['Malformed multipart body.'] },
    });
  }
  if (e.status === 413) {
    return new DomainError('PAYLOAD_TOO_LARGE', 'The request body is too large.', {
      maximum: maxUploadBytes,
    });
  }
  if (e.status === 415) {
    return new DomainError(
      'UNSUPPORTED_MEDIA_TYPE',
      'Send application/json or multipart/form-data.',
    );
  }
  if (e.status === 400) {
    return new DomainError('VALIDATION_ERROR', 'The request body could not be read.', {
      fields: { body: ['Unreadable body.'] },
    });
  }
  return null;
}

export function errorHandler(maxUploadBytes: number): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    if (err instanceof DomainError) return sendError(res, err);
    const transport = fromTransport(err, maxUploadBytes);
    if (transport) return sendError(res, transport);
    if (isUnstorableText(err)) {
      req.log.warn({ err }, 'input holds characters Postgres cannot store');
      return sendError(
        res,
        validationError(
          { request: ['Holds a character that cannot be stored (such as NUL).'] },
          'The request holds a character that cannot be stored (such as NUL).',
        ),
      );
    }
    if (isUnavailable(err)) {
      req.log.warn({ err }, 'backing service unavailable');
      return sendError(
        res,
        new DomainError(
          'SERVICE_UNAVAILABLE',
          'A backing service is unreachable; try again shortly.',
          undefined,
          5,
        ),
      );
    }
    req.log.error({ err }, 'unexpected error');
    sendError(
      res,
      new DomainError('INTERNAL_ERROR', `An unexpected error occurred (request ${req.id}).`),
    );
  };
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => {
  next(new DomainError('NOT_FOUND', 'No such route.'));
};
