import { pino, type Logger } from 'pino';

export type { Logger };

/** The one logger factory: JSON lines on stdout, personal data never logged. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { pid: process.pid, ...bindings },
    redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]'], remove: true },
  });
}
