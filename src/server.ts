import { buildApp } from './app.ts';
import { boot } from './boot.ts';
import { createDeps } from './deps.ts';
import { createShutdown, exitOnSignals } from './lib/shutdown.ts';

const { config, logger } = await boot('api');
const deps = createDeps(config, 'api', logger);
const shutdown = createShutdown(logger, config.shutdownTimeoutMs);
shutdown.register('deps', () => deps.close());
const server = buildApp(deps).listen(config.http.port, () => {
  logger.info({ port: config.http.port }, 'API listening');
});
server.keepAliveTimeout = 65_000;
shutdown.register('http', () => new Promise((resolve) => server.close(resolve)));
exitOnSignals(shutdown);
