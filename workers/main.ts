import { boot } from '../src/boot.ts';
import { createDeps } from '../src/deps.ts';
import { startSelfChecks } from '../src/lib/self-check.ts';
import { createShutdown, exitOnSignals } from '../src/lib/shutdown.ts';
import { startMetricsServer } from './metrics-server.ts';
import { startWorkers } from './start-workers.ts';

const { config, logger } = await boot('worker');
const deps = createDeps(config, 'worker', logger);
const shutdown = createShutdown(logger, config.shutdownTimeoutMs);
shutdown.register('deps', () => deps.close());
const workers = startWorkers(deps);
shutdown.register('workers', () => workers.close(config.shutdownTimeoutMs - 2000));
const stopSelfChecks = startSelfChecks(deps, false);
shutdown.register('self-checks', async () => stopSelfChecks());
if (config.jobs.metricsPort !== null) {
  const metrics = await startMetricsServer(
    config.jobs.metricsPort,
    logger,
    workers.health,
    config.http.metricsToken,
  );
  shutdown.register('metrics', () => metrics.close());
}
logger.info({ concurrency: config.jobs.workerConcurrency }, 'workers running');
exitOnSignals(shutdown);
