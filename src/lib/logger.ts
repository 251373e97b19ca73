import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/** `auto`: readable lines when stdout is a terminal, JSON lines elsewhere (files, pipes, journald). */
export type LogFormat = 'json' | 'pretty' | 'auto';

/** The one logger factory: JSON lines on stdout by default, personal data never logged. */
export function createLogger(
  level: string,
  bindings: Record<string, unknown> = {},
  format: LogFormat = 'json',
): Logger {
  const options = {
    level,
    base: { pid: process.pid, ...bindings },
    redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]'], remove: true },
  };
  const readable = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
  if (!readable) return pino(options);
  // In-thread and synchronous: a line is on the terminal before the process can exit.
  return pino(
    options,
    pretty({ sync: true, colorize: process.stdout.isTTY === true, ignore: 'pid,hostname' }),
  );
}
