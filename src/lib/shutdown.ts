import { withDeadline } from './deadline.ts';
import type { Logger } from './logger.ts';

type Closer = { name: string; close: () => Promise<unknown> };

/**
 * One shutdown registry: closers run once, in reverse order of registration, within a deadline.
 * Calling shutdown() again returns the same promise.
 */
export function createShutdown(logger: Logger, deadlineMs: number) {
  const closers: Closer[] = [];
  let running: Promise<void> | null = null;
  return {
    register(name: string, close: () => Promise<unknown>) {
      closers.push({ name, close });
    },
    shutdown(reason: string): Promise<void> {
      running ??= (async () => {
        logger.info({ reason }, 'shutting down');
        const all = (async () => {
          for (const c of [...closers].reverse()) {
            try {
              await c.close();
            } catch (err) {
              logger.warn({ err, closer: c.name }, 'closer failed');
            }
          }
          return 'closed' as const;
        })();
        if ((await withDeadline(all, deadlineMs, () => 'timeout' as const)) === 'timeout') {
          logger.warn({ deadlineMs }, 'shutdown deadline passed; exiting anyway');
        }
      })();
      return running;
    },
  };
}

export type Shutdown = ReturnType<typeof createShutdown>;

/** SIGTERM / SIGINT run the registry once, then exit. */
export function exitOnSignals(shutdown: Shutdown) {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void shutdown.shutdown(signal).finally(() => process.exit(0));
    });
  }
}
