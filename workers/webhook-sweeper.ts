import type { Deps } from '../src/deps.ts';
import { sweepUnstartedJobs } from '../src/domain/jobs/sweep-jobs.ts';
import { sweepWebhookEvents } from '../src/domain/webhooks/sweep-events.ts';

export const WEBHOOK_SWEEP_INTERVAL_MS = 30_000;

/**
 * Runs the outbox sweeps (webhook events, jobs not yet enqueued) at once (events left by a crash go out as soon as a worker is back) and
 * then every `intervalMs`. One sweep at a time; an error is logged and the next tick tries again.
 */
export function startWebhookSweeper(
  deps: Deps,
  intervalMs = WEBHOOK_SWEEP_INTERVAL_MS,
  /** Off where several deployments share one database (test harnesses with their own queues). */
  sweepJobs = true,
) {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const state = { runs: 0 };

  const tick = () => {
    running = Promise.all([sweepWebhookEvents(deps), sweepJobs ? sweepUnstartedJobs(deps) : 0])
      .then(
        () => undefined,
        (err: unknown) => deps.logger.warn({ err }, 'outbox sweep failed'),
      )
      .finally(() => {
        state.runs += 1;
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  tick();

  return {
    /** Sweeps completed so far (tests wait on it rather than sleeping). */
    get runs() {
      return state.runs;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
