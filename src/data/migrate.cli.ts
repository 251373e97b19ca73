import { loadConfig } from '../config/env.ts';
import { createLogger } from '../lib/logger.ts';
import { migrate } from './migrate.ts';

const config = loadConfig();
const logger = createLogger(config.log.level, { role: 'migrate' });
const applied = await migrate(config.db.url, logger);
logger.info({ applied: applied.length }, 'database is up to date');
