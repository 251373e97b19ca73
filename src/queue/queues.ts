import { Queue } from 'bullmq';
import { serviceUnavailable } from '../domain/errors.ts';
import { withDeadline } from '../lib/deadline.ts';
import type { RedisClient } from '../lib/redis-client.ts';
import { catalog, queueNames, type QueueName, type TaskName, type TaskPayload } from './catalog.ts';
import { queuePrefixOf, type RedisConfig } from './redis.ts';

export interface Queues {
  enqueue<N extends TaskName>(
    name: N,
    payload: TaskPayload<N>,
    opts?: { delay?: number },
  ): Promise<void>;
  enqueueMany<N extends TaskName>(name: N, payloads: TaskPayload<N>[]): Promise<void>;
  remove(name: TaskName, ids: string[]): Promise<void>;
  /**
   * Runs a task every `everyMs` (a BullMQ job scheduler whose id is the task's id), the first run
   * at once; 0 removes the schedule. Upserting again with the same interval changes nothing.
   */
  schedule<N extends TaskName>(name: N, payload: TaskPayload<N>, everyMs: number): Promise<void>;
  queue(name: QueueName): Queue;
  close(): Promise<void>;
}

/** Redis calls of a request must fail fast: BullMQ would otherwise wait for a connection. */
async function whileConnected<T>(
  connection: RedisClient,
  work: () => Promise<T>,
  ms = 5000,
): Promise<T> {
  if (connection.status !== 'ready') throw serviceUnavailable();
  return withDeadline(work(), ms, () => {
    throw serviceUnavailable();
  });
}

export function createQueues(
  connection: RedisClient,
  redis: RedisConfig,
  onError?: (err: Error) => void,
): Queues {
  const queues = new Map<QueueName, Queue>(
    queueNames.map((q) => {
      const queue = new Queue(q, { connection, prefix: queuePrefixOf(redis, q) });
      queue.on('error', (err) => onError?.(err));
      return [q, queue];
    }),
  );
  const queueOf = (name: QueueName) => queues.get(name)!;

  const jobOptions = (name: TaskName, payload: unknown, delay?: number) => {
    const entry = catalog[name];
    return {
      ...entry.options,
      jobId: (entry.jobId as (p: unknown) => string)(payload),
      removeOnComplete: { age: 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
      ...(delay ? { delay } : {}),
    };
  };

  return {
    async enqueue(name, payload, opts) {
      const data = catalog[name].payload.parse(payload);
      await whileConnected(connection, () =>
        queueOf(catalog[name].queue).add(name, data, jobOptions(name, data, opts?.delay)),
      );
    },
    async enqueueMany(name, payloads) {
      const q = queueOf(catalog[name].queue);
      for (let i = 0; i < payloads.length; i += 500) {
        await whileConnected(
          connection,
          () =>
            q.addBulk(
              payloads.slice(i, i + 500).map((p) => {
                const data = catalog[name].payload.parse(p);
                return { name, data, opts: jobOptions(name, data) };
              }),
            ),
          30_000,
        );
      }
    },
    async remove(name, ids) {
      const q = queueOf(catalog[name].queue);
      await whileConnected(
        connection,
        () => Promise.all(ids.map((id) => q.remove(id).catch(() => 0))),
        30_000,
      );
    },
    async schedule(name, payload, everyMs) {
      const data = catalog[name].payload.parse(payload);
      const { jobId, ...opts } = jobOptions(name, data);
      const q = queueOf(catalog[name].queue);
      await whileConnected(connection, async () => {
        if (everyMs > 0)
          await q.upsertJobScheduler(jobId, { every: everyMs }, { name, data, opts });
        else await q.removeJobScheduler(jobId);
      });
    },
    queue: queueOf,
    async close() {
      // A queue whose connection never came up would wait for it forever.
      if (connection.status !== 'ready') return;
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}
