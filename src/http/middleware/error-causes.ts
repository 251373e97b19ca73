import multer from 'multer';
import { DomainError, validationError } from '../../domain/errors.ts';
import { isUnavailable } from '../../lib/unavailable.ts';

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
export function fromTransport(err: unknown, maxUploadBytes: number): DomainError | null {
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

/**
 * What an error that is not a DomainError means to the client, and how loud to log it: input
 * the transport or Postgres refused is the client's (400, 413, 415), an unreachable backing
 * service is a 503 to retry, anything else a 500 that tells nothing of itself but the request
 * id, by which support finds it in the log.
 */
export function asDomainError(
  err: unknown,
  maxUploadBytes: number,
  requestId: string,
): { error: DomainError; log?: { level: 'warn' | 'error'; msg: string } } {
  const transport = fromTransport(err, maxUploadBytes);
  if (transport) return { error: transport };
  if (isUnstorableText(err)) {
    return {
      error: validationError(
        { request: ['Holds a character that cannot be stored (such as NUL).'] },
        'The request holds a character that cannot be stored (such as NUL).',
      ),
      log: { level: 'warn', msg: 'input holds characters Postgres cannot store' },
    };
  }
  if (isUnavailable(err)) {
    return {
      error: new DomainError(
        'SERVICE_UNAVAILABLE',
        'A backing service is unreachable; try again shortly.',
        undefined,
        5,
      ),
      log: { level: 'warn', msg: 'backing service unavailable' },
    };
  }
  return {
    error: new DomainError(
      'INTERNAL_ERROR',
      `An unexpected error occurred (request ${requestId}).`,
    ),
    log: { level: 'error', msg: 'unexpected error' },
  };
}
