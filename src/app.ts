import express from 'express';
import type { Deps } from './deps.ts';
import { adminRouter } from './http/routes/admin.routes.ts';
import { healthRouter } from './http/routes/health.routes.ts';
import { openApiRouter } from './http/routes/openapi.routes.ts';
import { jobsRouter } from './http/routes/jobs.routes.ts';
import { accountRouter } from './http/routes/account.routes.ts';
import { enrichmentRouter } from './http/routes/enrichment.routes.ts';
import { validateRouter } from './http/routes/validate.routes.ts';
import { webRouter } from './http/routes/web.routes.ts';
import { requestLimits } from './http/middleware/limits.ts';
import { authenticateKey } from './http/middleware/auth.ts';
import { errorHandler, notFoundHandler } from './http/middleware/errors.ts';
import { requestContext } from './http/middleware/request-context.ts';
import { httpRequests } from './lib/metrics.ts';
import { DomainError } from './domain/errors.ts';
import { matchRoute } from './http/route-table.ts';
import './http/context.ts';

/** The Express app. It never listens: server.ts does, and tests mount it on port 0. */
export function buildApp(deps: Deps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.http.trustProxy);
  app.set('query parser', 'simple');
  app.use(requestContext(deps.logger));
  const token = deps.config.http.adminToken;
  // The route is known before authentication, so a 401 is counted under its route too, and a
  // known path asked with the wrong method is a 405 whatever the key.
  app.use((req, res, next) => {
    const match = matchRoute(req.method, req.path, { admin: token !== null });
    req.routePattern = match?.methodAllowed ? match.pattern : undefined;
    const end = httpRequests.startTimer({ method: req.method });
    // Labels come only from the app's own patterns, so every unmatched request shares one.
    res.on('finish', () => {
      end({ route: req.routePattern ?? 'unmatched', status: String(res.statusCode) });
    });
    if (match && !match.methodAllowed) {
      throw new DomainError(
        'METHOD_NOT_ALLOWED',
        `${req.method} is not allowed on ${match.pattern}; it answers ${match.allow.join(', ')}.`,
        { allow: match.allow },
      );
    }
    next();
  });
  app.use(healthRouter(deps));
  app.use(openApiRouter());
  if (token) app.use('/admin', adminRouter(deps, token));
  const v1 = express.Router();
  v1.use(authenticateKey(deps));
  v1.use(requestLimits(deps));
  v1.use('/jobs', jobsRouter(deps));
  v1.use('/validate', validateRouter(deps));
  v1.use('/account', accountRouter(deps));
  v1.use('/enrichment', enrichmentRouter(deps));
  app.use('/v1', v1);
  app.use(webRouter());
  app.use(notFoundHandler);
  app.use(errorHandler(deps.config.limits.maxUploadBytes));
  return app;
}
