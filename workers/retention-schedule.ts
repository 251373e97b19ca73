import type { Deps } from '../src/deps.ts';

const RETRY_MS = 5000;

/**
 * Makes sure the `purge-expired` job scheduler exists with RETENTION_PURGE_INTERVAL_MS (or is
 * gone when it is 0). Every worker process does so at start; the scheduler is one per queue, so
 * the purge runs once per interval whatever the number of workers. Retried until Redis answers.
 */
export function scheduleRetentionPurge(deps: Deps) {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const attempt = () => {
    if (stopped) return;
    deps.queues
      .schedule('purge-expired', {}, deps.config.retention.purgeIntervalMs)
      .catch((err: unknown) => {
        deps.logger.warn({ err }, 'could not schedule the retention purge; retrying');
        if (!stopped) timer = setTimeout(attempt, RETRY_MS).unref();
      });
  };
  // The queue refuses calls until its connection is up: wait for it rather than fail once.
  if (deps.redis.status === 'ready') attempt();
  else deps.redis.once('ready', attempt);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      deps.redis.off('ready', attempt);
    },
  };
}
