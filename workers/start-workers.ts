import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { ZodError } from 'zod';
import type { Deps } from '../src/deps.ts';
import { PermanentTaskError } from '../src/domain/errors.ts';
import {
  catalog,
  queueNames,
  type QueueName,
  type TaskName,
  type TaskPayload,
} from '../src/queue/catalog.ts';
import { withDeadline } from '../src/lib/deadline.ts';
import { tasksHandedBack } from '../src/lib/metrics.ts';
import { createRedis, queuePrefixOf } from '../src/queue/redis.ts';
import { watchDependencies } from './outage-guard.ts';
import { deliverWebhookProcessor } from './processors/deliver-webhook.processor.ts';
import { failJobProcessor } from './processors/fail-job.processor.ts';
import { ingestJobProcessor } from './processors/ingest-job.processor.ts';
import { purgeExpiredProcessor } from './processors/purge-expired.processor.ts';
import { purgeJobProcessor } from './processors/purge-job.processor.ts';
import { scheduleRetentionPurge } from './retention-schedule.ts';
import { validateChunkProcessor } from './processors/validate-chunk.processor.ts';
import { startWebhookSweeper } from './webhook-sweeper.ts';

/** After the shutdown deadline: how long aborted tasks get to hand themselves back. */
const HAND_BACK_MS = 1500;

/** Each task's handler gets its payload parsed by the catalog's schema, typed accordingly. */
export type Processors = {
  [N in TaskName]: (payload: TaskPayload<N>, signal: AbortSignal) => Promise<unknown>;
};

/** Lock, stall check, concurrency and the job sweep come from `deps.config.jobs`. */
export interface WorkerOptions {
  /** How often pending webhook events are swept into the queue (default 30 s). */
  webhookSweepMs?: number;
}

/** One processor per catalog entry: checked when compiled, and at start. */
function processors(deps: Deps): Processors {
  return {
    'ingest-job': ingestJobProcessor(deps),
    'validate-chunk': validateChunkProcessor(deps),
    'purge-job': purgeJobProcessor(deps),
    'fail-job': failJobProcessor(deps),
    'purge-expired': purgeExpiredProcessor(deps),
    'deliver-webhook': deliverWebhookProcessor(deps),
  };
}

/** Moves an active task back to waiting without counting an attempt; false if that failed. */
async function handBack(job: Job, token: string): Promise<boolean> {
  try {
    await job.moveToWait(token);
    return true;
  } catch {
    return false;
  }
}

/** Parses the payload once, by the catalog's schema, and hands it to the task's processor. */
function dispatch<N extends TaskName>(
  table: Processors,
  name: N,
  data: unknown,
  signal: AbortSignal,
): Promise<unknown> {
  const payload = catalog[name].payload.parse(data) as TaskPayload<N>;
  const run: Processors[N] = table[name];
  return run(payload, signal);
}

export function startWorkers(deps: Deps, opts: WorkerOptions = {}) {
  const jobs = deps.config.jobs;
  const table = processors(deps);
  const missing = (Object.keys(catalog) as TaskName[]).filter((n) => !table[n]);
  if (missing.length > 0) throw new Error(`no processor for: ${missing.join(', ')}`);

  // Aborted at the shutdown deadline: running chunks stop and hand their work back.
  const stop = new AbortController();
  const connection = createRedis(deps.config.redis, 'worker');
  connection.on('error', (err: Error) =>
    deps.logger.debug({ err: err.message }, 'worker redis error'),
  );
  // While Postgres or Redis is unreachable the workers take no tasks, and a task that failed
  // for that reason goes back to the queue as it was: an outage is not the task's fault.
  const guard = watchDependencies(deps.db, connection, deps.logger);
  const workers = queueNames.map((queue: QueueName) => {
    const worker = new Worker(
      queue,
      async (job: Job, token?: string, signal?: AbortSignal) => {
        if (!(job.name in catalog)) throw new UnrecoverableError(`unknown task ${job.name}`);
        try {
          const ends = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
          return await dispatch(table, job.name as TaskName, job.data, ends);
        } catch (err) {
          // A payload that does not parse will never parse: do not retry it.
          if (err instanceof ZodError) throw new UnrecoverableError(`bad payload: ${err.message}`);
          if (err instanceof PermanentTaskError) throw new UnrecoverableError(err.message);
          // Cut short by our own shutdown: hand the task back to the queue as it was. A failure
          // would use up one of its attempts, and enough restarts would fail a healthy job.
          if (stop.signal.aborted && token && (await handBack(job, token))) {
            tasksHandedBack.inc({ reason: 'shutdown' });
            throw new WaitingError();
          }
          // Postgres or Redis unreachable: not the task's fault, so no attempt is used up.
          const outage = await guard.outageBehind(err);
          if (outage && token && (await handBack(job, token))) {
            tasksHandedBack.inc({ reason: 'outage' });
            deps.logger.info(
              { task: job.name, id: job.id, dependency: outage },
              'task handed back: a backing service is unreachable',
            );
            throw new WaitingError();
          }
          throw err;
        }
      },
      {
        connection,
        prefix: queuePrefixOf(deps.config.redis, queue),
        concurrency: queue === 'chunks' ? jobs.workerConcurrency : 4,
        lockDuration: jobs.lockDurationMs,
        stalledInterval: jobs.stalledIntervalMs,
        maxStalledCount: 5,
      },
    );
    worker.on('failed', (job, err) => {
      deps.logger.warn(
        { task: job?.name, id: job?.id, attempts: job?.attemptsMade, err: err.message },
        'task failed',
      );
      const final =
        job && (err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1));
      if (final && job.name in catalog && catalog[job.name as TaskName].endsJobOnFailure) {
        // The job cannot complete: end it as failed, through a task of its own (retried).
        const { jobId } = job.data as { jobId: string };
        deps.queues
          .enqueue('fail-job', { jobId, reason: `${job.name} failed: ${err.message}` })
          .catch((e: unknown) =>
            deps.logger.error({ err: e, jobId }, 'could not enqueue the end of a failed job'),
          );
      }
    });
    worker.on('error', (err) => deps.logger.error({ err }, 'worker error'));
    return worker;
  });
  guard.attach(workers);
  const webhookSweeper = startWebhookSweeper(deps, opts.webhookSweepMs, jobs.sweepUnstarted);
  const purgeSchedule = scheduleRetentionPurge(deps);

  return {
    workers,
    webhookSweeper,
    /** What the worker's /healthz says: paused while a backing service is unreachable. */
    health: () => guard.health(),
    /** Lets running tasks finish; past the deadline they are handed back (stalled) to another worker. */
    async close(deadlineMs: number) {
      guard.stop();
      purgeSchedule.stop();
      await webhookSweeper.stop();
      const graceful = Promise.all(workers.map((w) => w.close())).then(() => 'closed' as const);
      const timedOut = () => 'timeout' as const;
      if ((await withDeadline(graceful, deadlineMs, timedOut)) === 'timeout') {
        // Running tasks stop at once and hand themselves back; give them a moment to do so
        // before the connection goes (else they wait out their lock as stalled tasks).
        stop.abort();
        if ((await withDeadline(graceful, HAND_BACK_MS, timedOut)) === 'timeout') {
          await Promise.all(workers.map((w) => w.close(true)));
        }
      }
      connection.disconnect();
    },
  };
}
