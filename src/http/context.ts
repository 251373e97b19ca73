import type { Logger } from '../lib/logger.ts';
import type { AuthContext } from '../domain/accounts/authenticate.ts';

declare module 'express-serve-static-core' {
  interface Request {
    /** The request id, also sent back as X-Request-Id and bound to every log line. */
    id: string;
    log: Logger;
    auth?: AuthContext;
    /** The full route pattern (`/v1/jobs/:id`), set before authentication; unset for a 404/405. */
    routePattern?: string;
  }
}

export function authOf(req: { auth?: AuthContext }): AuthContext {
  if (!req.auth) throw new Error('route is missing the authenticate middleware');
  return req.auth;
}
