/**
 * npm run bench:metrics — what a Prometheus scrape costs when the queues are deep. The queue
 * gauges (src/queue/queue-metrics.ts) read Redis at scrape time: a queue with one task is counted
 * from BullMQ's counts and its oldest task; the shared `jobs` queue reads up to 1,000 tasks per
 * state to tell its tasks apart. Printed: the median time of the whole /metrics text with
 * BENCH_METRICS_CHUNKS waiting chunks and BENCH_METRICS_JOBS tasks in the shared queue, next to
 * the same scrape with empty queues, measured in the same run on the same Redis.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config/env.ts';
import { metricsText } from '../src/lib/metrics.ts';
import { watchQueueMetrics } from '../src/queue/queue-metrics.ts';
import { createQueues } from '../src/queue/queues.ts';

const CHUNKS = Number(process.env.BENCH_METRICS_CHUNKS ?? 20_000);
const JOBS = Number(process.env.BENCH_METRICS_JOBS ?? 3_000);
const SCRAPES = Number(process.env.BENCH_METRICS_SCRAPES ?? 30);

const config = loadConfig({ ...process.env, QUEUE_PREFIX: `bm${randomBytes(4).toString('hex')}` });
const redis = new Redis(config.redis.url, { maxRetriesPerRequest: null });
const queues = createQueues(redis, config.redis);
const unwatch = watchQueueMetrics(queues, redis);

/** Median ms of `SCRAPES` scrapes, each a fresh read of Redis (the gauges reuse a read for 1 s). */
async function scrapeMs(): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < SCRAPES; i++) {
    await new Promise((r) => setTimeout(r, 1010));
    const t = performance.now();
    const text = await metricsText();
    times.push(performance.now() - t);
    if (!text.includes('mailsift_queue_tasks{')) throw new Error('no queue series in the scrape');
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

try {
  await redis.ping();
  const empty = await scrapeMs();
  const chunks = Array.from({ length: CHUNKS }, (_, i) => ({ jobId: `job_b${i % 50}`, chunk: i }));
  await queues.enqueueMany('validate-chunk', chunks);
  const tasks = ['ingest-job', 'purge-job'] as const;
  for (const task of tasks)
    await queues.enqueueMany(
      task,
      Array.from({ length: JOBS / 2 }, (_, i) => ({ jobId: `job_${task}_${i}` })),
    );
  const deep = await scrapeMs();
  console.log(`scrape with empty queues (reference): ${empty.toFixed(1)} ms`);
  console.log(
    `scrape with ${CHUNKS} waiting chunks and ${JOBS} tasks in the shared jobs queue: ${deep.toFixed(1)} ms (${(deep / empty).toFixed(2)}× the reference)`,
  );
} finally {
  unwatch();
  for (const q of ['jobs', 'chunks', 'webhooks'] as const)
    await queues.queue(q).obliterate({ force: true });
  await queues.close();
  redis.disconnect();
}
