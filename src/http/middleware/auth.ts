import type { Request, RequestHandler } from 'express';
import type { Deps } from '../../deps.ts';
import { authenticate, requireScope } from '../../domain/accounts/authenticate.ts';
import type { Scope } from '../../domain/accounts/keys.ts';
import { authOf } from '../context.ts';

/** API.md's order: Authorization Token, Authorization Bearer, X-API-Key, ?api_key. */
export function presentedKey(req: Request): string | null {
  const authz = req.get('authorization');
  const token = authz?.match(/^Token\s+(\S+)\s*$/i)?.[1];
  if (token) return token;
  const bearer = authz?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  if (bearer) return bearer;
  const header = req.get('x-api-key')?.trim();
  if (header) return header;
  const query = req.query.api_key;
  if (typeof query === 'string' && query) return query;
  return null;
}

export function authenticateKey(deps: Deps): RequestHandler {
  return async (req, _res, next) => {
    req.auth = await authenticate(deps, presentedKey(req), req.ip ?? '');
    req.log = req.log.child({ accountId: req.auth.accountId, keyId: req.auth.keyId });
    next();
  };
}

export function scope(required: Scope): RequestHandler {
  return (req, _res, next) => {
    requireScope(authOf(req), required);
    next();
  };
}
