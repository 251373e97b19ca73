import { Router } from 'express';
import type { Deps } from '../../deps.ts';
import { DomainError } from '../../domain/errors.ts';
import { metricsText, metricsContentType } from '../../lib/metrics.ts';
import type { Health, Ready } from '../schemas/admin.responses.ts';

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function healthRouter(deps: Deps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' } satisfies Health);
  });
  router.get('/readyz', async (_req, res) => {
    const [redis, postgres] = await Promise.all([
      withTimeout(deps.redis.ping(), 1000).then(
        () => true,
        () => false,
      ),
      withTimeout(deps.db.prisma.$queryRaw`SELECT 1`, 2000).then(
        () => true,
        () => false,
      ),
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
  router.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metricsContentType);
    res.send(await metricsText());
  });
  return router;
}
