import { ConfigError, loadConfig, type Config } from './config/env.ts';
import { migrate } from './data/migrate.ts';
import { createLogger, type Logger } from './lib/logger.ts';
import { assertProbeIdentity } from './validation/engine.ts';

/** Shared start of every process: config (a bad value stops us, naming it), identity, migrations. */
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
    process.stderr.write(`mailsift: ${message}\n`);
    process.exit(78); // EX_CONFIG
  }
  const logger = createLogger(config.log.level, { role });
  await migrate(config.db.url, logger);
  return { config, logger };
}
