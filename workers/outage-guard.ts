import type { Worker } from 'bullmq';
import type { RedisClient } from '../src/lib/redis-client.ts';
import type { Database } from '../src/data/db.ts';
import { withDeadline } from '../src/lib/deadline.ts';
import type { Logger } from '../src/lib/logger.ts';
import { dependencyUp, workersPaused } from '../src/lib/metrics.ts';
import { isUnavailable } from '../src/lib/unavailable.ts';

export type Dependency = 'postgres' | 'redis';
const dependencies: readonly Dependency[] = ['postgres', 'redis'];

/** How often the backing services are probed (more often while one is down). */
const PROBE_MS = 5000;
const PROBE_DOWN_MS = 1000;
/** After a service came back, connection errors from its stale sockets are still its outage's. */
const AFTERMATH_MS = 60_000;

export interface WorkerHealth {
  status: 'ok' | 'paused';
  dependencies: Record<Dependency, 'up' | 'down'>;
  /** ISO time since when each service that is down has been down. */
  down_since?: Partial<Record<Dependency, string>>;
}

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  return withDeadline(p, ms, () => {
    throw new Error('probe timed out');
  });
}

/**
 * Watches Postgres and Redis for a worker process. When one is unreachable, the workers stop
 * taking tasks (BullMQ's `worker.pause(true)`: running tasks end on their own) and say so in the
 * log, in `health()` (the worker's /healthz) and in the metrics; once every service answers
 * again they resume. A task that failed because a service was down is not at fault:
 * `outageBehind(err)` tells the processor so, and the task goes back to the queue without using
 * up one of its attempts.
 */
export function watchDependencies(
  db: Database,
  redis: RedisClient,
  logger: Logger,
  opts: { probeMs?: number; probeDownMs?: number } = {},
) {
  const down = new Map<Dependency, number>();
  const cameBack = new Map<Dependency, number>();
  let workers: Worker[] = [];
  let stopped = false;
  let probing: Promise<void> | null = null;
  let timer: NodeJS.Timeout | undefined;
  for (const d of dependencies) dependencyUp.set({ dependency: d }, 1);
  workersPaused.set(0);

  const probes: Record<Dependency, () => Promise<unknown>> = {
    // Generous bounds: a busy machine answers slowly, and a slow answer is not an outage (the
    // pool's own connect timeout, 5 s, reports an unreachable server sooner).
    postgres: () => within(db.ping(), 15_000),
    // The worker's connection queues commands while offline: ask only a connected one.
    redis: () =>
      redis.status === 'ready'
        ? within(redis.ping(), 10_000)
        : Promise.reject(new Error(`redis connection ${redis.status}`)),
  };

  function markDown(dep: Dependency, reason: string) {
    if (stopped || down.has(dep)) return;
    const pausing = down.size === 0;
    down.set(dep, Date.now());
    dependencyUp.set({ dependency: dep }, 0);
    logger.warn(
      { dependency: dep, reason },
      `${dep} is unreachable: workers stop taking tasks until it is back`,
    );
    if (pausing) {
      workersPaused.set(1);
      for (const w of workers) {
        w.pause(true).catch((err: unknown) => logger.error({ err }, 'worker pause failed'));
      }
    }
    schedule();
  }

  function markUp(dep: Dependency) {
    const since = down.get(dep);
    if (since === undefined) return;
    down.delete(dep);
    cameBack.set(dep, Date.now());
    dependencyUp.set({ dependency: dep }, 1);
    logger.info({ dependency: dep, downMs: Date.now() - since }, `${dep} is reachable again`);
    if (down.size === 0 && !stopped) {
      workersPaused.set(0);
      for (const w of workers) void w.resume();
      logger.info('workers resume taking tasks');
    }
  }

  /** Probes every service once (one probe round at a time); returns those that are down. */
  function probe(): Promise<void> {
    probing ??= (async () => {
      await Promise.all(
        dependencies.map((dep) =>
          probes[dep]().then(
            () => markUp(dep),
            (err: unknown) => markDown(dep, err instanceof Error ? err.message : String(err)),
          ),
        ),
      );
    })().finally(() => {
      probing = null;
    });
    return probing;
  }

  function schedule() {
    clearTimeout(timer);
    if (stopped) return;
    const ms = down.size > 0 ? (opts.probeDownMs ?? PROBE_DOWN_MS) : (opts.probeMs ?? PROBE_MS);
    timer = setTimeout(() => void probe().finally(schedule), ms);
    timer.unref();
  }

  // ioredis says at once when the worker's connection drops; a probe confirms it came back.
  redis.on('close', () => markDown('redis', 'connection closed'));
  redis.on('ready', () => void probe());
  schedule();

  return {
    attach(ws: Worker[]) {
      workers = ws;
    },
    get paused() {
      return down.size > 0;
    },
    /**
     * Which service a task's failure is owed to, if any: one that is down now (probed at once),
     * or one that just came back when the error is a lost connection (its stale sockets).
     */
    async outageBehind(err: unknown): Promise<Dependency | null> {
      if (stopped) return null;
      await probe();
      const now = [...down.keys()][0];
      if (now) return now;
      if (!isUnavailable(err)) return null;
      const recent = dependencies.find(
        (d) => Date.now() - (cameBack.get(d) ?? -Infinity) < AFTERMATH_MS,
      );
      return recent ?? null;
    },
    health(): WorkerHealth {
      const health: WorkerHealth = {
        status: down.size > 0 ? 'paused' : 'ok',
        dependencies: { postgres: 'up', redis: 'up' },
      };
      for (const [dep, since] of down) {
        health.dependencies[dep] = 'down';
        (health.down_since ??= {})[dep] = new Date(since).toISOString();
      }
      return health;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

export type DependencyWatch = ReturnType<typeof watchDependencies>;
