import { buildApp } from './app.ts';
import { boot } from './boot.ts';
import { createHttpServer, describeListen, listenOrExit } from './http/http-server.ts';
import { createDeps } from './deps.ts';
import { ensureDemoAccount } from './domain/accounts/demo-account.ts';
import { startSelfChecks } from './lib/self-check.ts';
import { createShutdown, exitOnSignals } from './lib/shutdown.ts';
import { startWorkers } from '../workers/start-workers.ts';

// `npm start`: migrate, make sure a demo account exists, then the API and the workers in one process.
const { config, logger } = await boot('all');
const api = createDeps(config, 'api', logger);
const work = createDeps(config, 'worker', logger);
const shutdown = createShutdown(logger, config.shutdownTimeoutMs);
shutdown.register('api deps', () => api.close());
shutdown.register('worker deps', () => work.close());

const demo = await ensureDemoAccount(api, config.limits.demoTestDailyLimit);
process.stdout.write(
  [
    '',
    `mailsift demo account ${demo.id} (${demo.created ? 'created' : 'existing'}; business plan, ${demo.balance} credits)`,
    `  live key:       ${demo.keys.live}`,
    `  test key:       ${demo.keys.test}   (simulated verdicts; ${demo.testDailyLimit} emails a day: DEMO_TEST_DAILY_LIMIT)`,
    `  webhook secret: ${demo.webhookSecret}`,
  ].join('\n') + '\n',
);

const workers = startWorkers(work);
shutdown.register('workers', () => workers.close(config.shutdownTimeoutMs - 2000));
// Resolver, port 25, reverse DNS, blocklists: printed below the banner when something is wrong.
const stopSelfChecks = startSelfChecks(work, true);
shutdown.register('self-checks', async () => stopSelfChecks());
const server = createHttpServer(buildApp(api), logger);
listenOrExit(server, config.http, () => {
  const where = describeListen(server, config.http.port);
  process.stdout.write(`  API:            ${where.url}\n  listening on:   ${where.text}\n\n`);
  logger.info(
    { address: where.address, port: config.http.port },
    `mailsift listening on ${where.text}`,
  );
});
shutdown.register('http', () => new Promise((resolve) => server.close(resolve)));
exitOnSignals(shutdown);
