import { Router } from 'express';
import type { Deps } from '../../deps.ts';
import { DomainError } from '../../domain/errors.ts';
import { bearerCheck } from '../../lib/bearer.ts';
import { withDeadline } from '../../lib/deadline.ts';
import { metricsText, metricsContentType } from '../../lib/metrics.ts';
import type { Health, Ready } from '../schemas/admin.responses.ts';

/** Whether the check answers within `ms`. */
function answers(check: Promise<unknown>, ms: number): Promise<boolean> {
  return withDeadline(
    check.then(() => true),
    ms,
    () => false,
  ).catch(() => false);
}

export function healthRouter(deps: Deps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' } satisfies Health);
  });
  router.get('/readyz', async (_req, res) => {
    const [redis, postgres] = await Promise.all([
      answers(deps.redis.ping(), 1000),
      answers(deps.db.ping(), 2000),
    ]);
    if (!redis || !postgres) {
      throw new DomainError(
        'SERVICE_UNAVAILABLE',
        'Not ready: a backing service is unreachable.',
        {
          redis: redis ? 'ok' : 'down',
          postgres: postgres ? 'ok' : 'down',
        },
        5,
      );
    }
    res.json({ status: 'ready', redis: 'ok', postgres: 'ok' } satisfies Ready);
  });
  // METRICS_TOKEN set: Prometheus scrapes with `authorization: { credentials: <token> }`.
  const metricsAllowed = deps.config.http.metricsToken
    ? bearerCheck(deps.config.http.metricsToken)
    : () => true;
  router.get('/metrics', async (req, res) => {
    if (!metricsAllowed(req.get('authorization'))) {
      throw new DomainError('INVALID_API_KEY', 'The metrics token is missing or not valid.');
    }
    res.setHeader('Content-Type', metricsContentType);
    res.send(await metricsText());
  });
  return router;
}
