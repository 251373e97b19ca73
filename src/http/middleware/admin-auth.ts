import type { RequestHandler } from 'express';
import { DomainError } from '../../domain/errors.ts';
import { bearerCheck } from '../../lib/bearer.ts';

/** The operator routes' check: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. */
export function adminOnly(token: string): RequestHandler {
  const allowed = bearerCheck(token);
  return (req, _res, next) => {
    if (!allowed(req.get('authorization'))) {
      throw new DomainError('INVALID_API_KEY', 'The admin token is missing or not valid.');
    }
    next();
  };
}
