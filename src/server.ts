import { buildApp } from './app.ts';
import { boot } from './boot.ts';
import { createHttpServer, describeListen, listenOrExit } from './http/http-server.ts';
import { createDeps } from './deps.ts';
import { createShutdown, exitOnSignals } from './lib/shutdown.ts';

const { config, logger } = await boot('api');
const deps = createDeps(config, 'api', logger);
const shutdown = createShutdown(logger, config.shutdownTimeoutMs);
shutdown.register('deps', () => deps.close());
const server = createHttpServer(buildApp(deps), logger);
listenOrExit(server, config.http, () => {
  const where = describeListen(server, config.http.port);
  logger.info({ address: where.address, port: config.http.port }, `API listening on ${where.text}`);
});
shutdown.register('http', () => new Promise((resolve) => server.close(resolve)));
exitOnSignals(shutdown);
