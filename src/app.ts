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
import './http/context.ts';

/** The Express app. It never listens: server.ts does, and tests mount it on port 0. */
export function buildApp(deps: Deps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.http.trustProxy);
  app.set('query parser', 'simple');
  app.use(requestContext(deps.logger));
  app.use((req, res, next) => {
    const end = httpRequests.startTimer({ method: req.method });
    res.on('finish', () => {
      // Labels come only from the app's own patterns: routing ignores case, so the request's
      // spelling of a mount path is folded, and every unmatched request shares one label.
      const route = (req.route as { path?: string } | undefined)?.path;
      const label = route === undefined ? 'unmatched' : `${req.baseUrl.toLowerCase()}${route}`;
      end({ route: label, status: String(res.statusCode) });
    });
    next();
  });
  app.use(healthRouter(deps));
  app.use(openApiRouter());
  const token = deps.config.http.adminToken;
  if (token) app.use('/admin', adminRouter(deps, token));
  const v1 = express.Router();
  v1.use(authenticateKey(deps.db.prisma));
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
