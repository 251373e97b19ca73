import v8 from 'node:v8';
import { ConfigError, loadConfig, type Config } from './config/env.ts';
import { migrate } from './data/migrate.ts';
import { createLogger, type Logger } from './lib/logger.ts';
import { backingServices, ServiceUnreachableError, waitForServices } from './lib/startup-checks.ts';
import { assertProbeIdentity } from './validation/engine.ts';

/** sysexits.h: a bad setting, a service we need is not there, and what we cannot tell apart. */
const EX_CONFIG = 78;
const EX_UNAVAILABLE = 69;

function stop(message: string, code: number): never {
  process.stderr.write(`mailsift: ${message}\n`);
  process.exit(code);
}

/**
 * Shared start of every process: config (a bad value stops us, naming it), identity, Postgres
 * and Redis reachable (or one line saying which is not, where, and how to start it), migrations.
 */
export async function boot(role: string): Promise<{ config: Config; logger: Logger }> {
  let config: Config;
  try {
    config = loadConfig();
    assertProbeIdentity({
      production: config.env === 'production',
      dns: config.dns,
      smtp: config.smtp,
    });
  } catch (err) {
    const message = err instanceof ConfigError || err instanceof Error ? err.message : String(err);
    stop(message, EX_CONFIG);
  }
  const logger = createLogger(config.log.level, { role }, config.log.format);
  // V8 reads it each time it sets the next collection's limit (issue 13: `npm start` peaked at
  // ~700 MB for a 1M-row job whose live heap was 70-120 MB; 410 MB with 50 %).
  if (config.heapGrowingPercent > 0)
    v8.setFlagsFromString(`--heap-growing-percent=${config.heapGrowingPercent}`);
  await checkServices(config);
  try {
    await migrate(config.db.url, logger);
  } catch (err) {
    const [postgres] = backingServices(config);
    stop(
      `Postgres at ${postgres?.where ?? 'DATABASE_URL'} refused the start: ${(err as Error).message.split('\n')[0]}`,
      EX_UNAVAILABLE,
    );
  }
  return { config, logger };
}

/** Exits with one line when Postgres or Redis cannot be reached (after STARTUP_WAIT_MS). */
export async function checkServices(config: Config): Promise<void> {
  try {
    await waitForServices(backingServices(config), config.startupWaitMs, (line) =>
      process.stderr.write(`mailsift: ${line}\n`),
    );
  } catch (err) {
    if (err instanceof ServiceUnreachableError) stop(err.message, EX_UNAVAILABLE);
    throw err;
  }
}
