import type { RequestHandler } from 'express';
import type { Deps } from '../../deps.ts';
import { admitApiRequest } from '../../domain/limits/request-limits.ts';
import { authOf } from '../context.ts';

/**
 * The plan's request limits on every authenticated /v1 request: per key per minute, per account
 * per day. The X-RateLimit-* headers go on every answer, a 429 included. Redis unreachable ->
 * the error middleware answers 503 (we do not let traffic through unmetered).
 */
export function requestLimits(deps: Deps): RequestHandler {
  return async (req, res, next) => {
    const { rate, error } = await admitApiRequest(deps, authOf(req));
    res.setHeader('X-RateLimit-Limit', String(rate.limit));
    res.setHeader('X-RateLimit-Remaining', String(rate.remaining));
    res.setHeader('X-RateLimit-Reset', String(rate.resetAt));
    if (error) throw error;
    next();
  };
}
