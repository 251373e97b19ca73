import type { Queue } from 'bullmq';
import { Gauge } from 'prom-client';
import { withDeadline } from '../lib/deadline.ts';
import { registry } from '../lib/metrics.ts';
import type { RedisClient } from '../lib/redis-client.ts';
import { catalog, queueNames, type QueueName, type TaskName } from './catalog.ts';
import type { Queues } from './queues.ts';

/**
 * Queue depth and the age of the oldest waiting task, per task, read from Redis when /metrics is
 * scraped: every process (API or worker) reports the whole fleet's queues, so any one of them
 * is enough and several report the same values (docs/operations.md: use max() across them).
 */

/** Tasks of a state read one by one to tell the tasks of a shared queue apart. */
const SCAN_LIMIT = 1000;
/** A scrape waits this long for Redis; past it, the queue series are left out of that scrape. */
const REDIS_DEADLINE_MS = 2000;
/** Both gauges are collected in one scrape: one read of Redis serves both. */
const REUSE_MS = 1000;

type State = 'waiting' | 'delayed' | 'active';
/** BullMQ's job types behind each state. */
const TYPES: Record<State, ('wait' | 'prioritized' | 'delayed' | 'active')[]> = {
  waiting: ['wait', 'prioritized'],
  delayed: ['delayed'],
  active: ['active'],
};
const STATES = Object.keys(TYPES) as State[];

interface Snapshot {
  counts: { queue: QueueName; task: string; state: State; n: number }[];
  ages: { queue: QueueName; task: string; seconds: number }[];
}

const tasksOf = (queue: QueueName): TaskName[] =>
  (Object.keys(catalog) as TaskName[]).filter((t) => catalog[t].queue === queue);

/**
 * When a waiting task became ready to run: added, plus its delay (a retry's backoff, a chunk
 * waiting out a provider's pause); a task tried before was ready no sooner than its last try.
 */
function readySince(t: TaskTimes): number {
  return Math.max(t.timestamp + t.delay, t.processedOn + t.delay);
}

interface TaskTimes {
  name: string;
  timestamp: number;
  delay: number;
  processedOn: number;
}

/**
 * The name and times of tasks, oldest first: the ids from BullMQ, then only the four fields
 * needed from each task's hash, in one pipeline (reading whole tasks costs a round trip each).
 */
async function taskTimes(
  redis: RedisClient,
  queue: Queue,
  types: (typeof TYPES)[State],
  count: number,
): Promise<TaskTimes[]> {
  const ids = await queue.getRanges(types, 0, count - 1, true);
  if (ids.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of ids)
    pipeline.hmget(queue.toKey(id), 'name', 'timestamp', 'delay', 'processedOn');
  const replies = (await pipeline.exec()) ?? [];
  return replies.flatMap(([err, fields]) => {
    const [name, timestamp, delay, processedOn] = (fields ?? []) as (string | null)[];
    if (err || !name) return []; // gone meanwhile (taken and removed)
    return [
      {
        name,
        timestamp: Number(timestamp ?? 0),
        delay: Number(delay ?? 0),
        processedOn: Number(processedOn ?? 0),
      },
    ];
  });
}

async function readQueue(
  queues: Queues,
  redis: RedisClient,
  name: QueueName,
  now: number,
): Promise<Snapshot> {
  const queue = queues.queue(name);
  const tasks = tasksOf(name);
  const counts: Snapshot['counts'] = [];
  const ages: Snapshot['ages'] = [];
  const totals = await queue.getJobCounts(...new Set(Object.values(TYPES).flat()));
  const total = (s: State) => TYPES[s].reduce((n, t) => n + (totals[t] ?? 0), 0);

  if (tasks.length === 1) {
    const task = tasks[0]!;
    for (const state of STATES) counts.push({ queue: name, task, state, n: total(state) });
    // The wait list is FIFO: its far end holds the task waiting longest.
    const [oldest] = await taskTimes(redis, queue, ['wait'], 1);
    ages.push({ queue: name, task, seconds: oldest ? (now - readySince(oldest)) / 1000 : 0 });
    return { counts, ages };
  }

  // A queue shared by several tasks: read the tasks themselves (oldest first) to tell them apart.
  const oldestOf = new Map<string, number>();
  for (const state of STATES) {
    const jobs = total(state) === 0 ? [] : await taskTimes(redis, queue, TYPES[state], SCAN_LIMIT);
    const byTask = new Map<string, number>(tasks.map((t) => [t, 0]));
    for (const job of jobs) {
      byTask.set(job.name, (byTask.get(job.name) ?? 0) + 1);
      if (state === 'waiting')
        oldestOf.set(job.name, Math.min(oldestOf.get(job.name) ?? now, readySince(job)));
    }
    // Past the scan limit, the rest of a state is counted under `other`.
    const rest = total(state) - jobs.length;
    if (rest > 0) byTask.set('other', rest);
    for (const [task, n] of byTask) counts.push({ queue: name, task, state, n });
  }
  for (const task of tasks)
    ages.push({ queue: name, task, seconds: (now - (oldestOf.get(task) ?? now)) / 1000 });
  return { counts, ages };
}

interface Source {
  queues: Queues;
  /** The queues' Redis connection: a scrape while it is down leaves the series out. */
  redis: RedisClient;
}
/** The process's queues, most recent last (a test process may hold several). */
const sources: Source[] = [];
let last: { at: number; snapshot: Promise<Snapshot | null> } | null = null;

async function read({ queues, redis }: Source): Promise<Snapshot | null> {
  if (redis.status !== 'ready') return null;
  const now = Date.now();
  const parts = await Promise.all(queueNames.map((q) => readQueue(queues, redis, q, now)));
  return {
    counts: parts.flatMap((p) => p.counts),
    ages: parts.flatMap((p) => p.ages),
  };
}

function snapshot(): Promise<Snapshot | null> {
  const source = sources.at(-1);
  if (!source) return Promise.resolve(null);
  if (last && Date.now() - last.at < REUSE_MS) return last.snapshot;
  const pending = withDeadline(
    read(source).catch(() => null),
    REDIS_DEADLINE_MS,
    () => null,
  );
  last = { at: Date.now(), snapshot: pending };
  return pending;
}

new Gauge({
  name: 'mailsift_queue_tasks',
  help: 'Tasks in the queues by queue, task and state (waiting: ready to run; delayed: a retry or a pause not yet due; active: running), read from Redis at scrape time',
  labelNames: ['queue', 'task', 'state'] as const,
  registers: [registry],
  async collect() {
    const s = await snapshot();
    this.reset();
    for (const c of s?.counts ?? [])
      this.set({ queue: c.queue, task: c.task, state: c.state }, c.n);
  },
});

new Gauge({
  name: 'mailsift_queue_oldest_waiting_seconds',
  help: 'How long the oldest task ready to run has waited for a worker, by queue and task (0 when none waits), read from Redis at scrape time',
  labelNames: ['queue', 'task'] as const,
  registers: [registry],
  async collect() {
    const s = await snapshot();
    this.reset();
    for (const a of s?.ages ?? [])
      this.set({ queue: a.queue, task: a.task }, Math.max(0, a.seconds));
  },
});

/** Reports `queues` in this process's /metrics until the returned function is called. */
export function watchQueueMetrics(queues: Queues, redis: RedisClient): () => void {
  const source = { queues, redis };
  sources.push(source);
  return () => {
    const i = sources.indexOf(source);
    if (i >= 0) sources.splice(i, 1);
    last = null;
  };
}
