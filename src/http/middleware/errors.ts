import type { ErrorRequestHandler, RequestHandler } from 'express';
import { DomainError } from '../../domain/errors.ts';
import { asDomainError } from './error-causes.ts';
import { sendError } from './error-status.ts';

/** The last middleware: every error, ours or not, leaves as API.md's envelope. */
export function errorHandler(maxUploadBytes: number): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    if (err instanceof DomainError) return sendError(res, err);
    const { error, log } = asDomainError(err, maxUploadBytes, String(req.id));
    if (log) req.log[log.level]({ err }, log.msg);
    sendError(res, error);
  };
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => {
  next(new DomainError('NOT_FOUND', 'No such route.'));
};
