import http from 'node:http';
import { bearerCheck } from '../src/lib/bearer.ts';
import type { Logger } from '../src/lib/logger.ts';
import { metricsContentType, metricsText } from '../src/lib/metrics.ts';
import type { WorkerHealth } from './outage-guard.ts';

/**
 * The /metrics (Prometheus text) and /healthz of a worker process that runs without the API
 * (`npm run start:worker` with WORKER_METRICS_PORT): its counters live in its own memory.
 * /healthz stays 200 while the process lives (restarting a worker does not bring Postgres
 * back) but says `paused` while a backing service is down; /readyz is 503 then.
 */
export async function startMetricsServer(
  port: number,
  logger: Logger,
  health: () => WorkerHealth = () => ({
    status: 'ok',
    dependencies: { postgres: 'up', redis: 'up' },
  }),
  metricsToken: string | null = null,
) {
  const allowed = metricsToken ? bearerCheck(metricsToken) : () => true;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/metrics' && !allowed(req.headers.authorization)) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(envelope('INVALID_API_KEY', 'The metrics token is missing or not valid.'));
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      metricsText().then(
        (text) => {
          res.writeHead(200, { 'content-type': metricsContentType });
          res.end(text);
        },
        (err: unknown) => {
          logger.error({ err }, 'metrics failed');
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(envelope('INTERNAL_ERROR', 'Metrics could not be collected.'));
        },
      );
      return;
    }
    if (req.method === 'GET' && (path === '/healthz' || path === '/readyz')) {
      const now = health();
      res.writeHead(path === '/readyz' && now.status !== 'ok' ? 503 : 200, {
        'content-type': 'application/json',
      });
      res.end(JSON.stringify(now));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(envelope('NOT_FOUND', 'Not found.'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  logger.info({ port }, 'worker metrics listening');
  return {
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function envelope(code: string, message: string) {
  return JSON.stringify({ error: { code, message }, timestamp: new Date().toISOString() });
}
