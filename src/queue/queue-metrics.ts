import type { Job } from 'bullmq';
import { Gauge } from 'prom-client';
import { withDeadline } from '../lib/deadline.ts';
import { registry } from '../lib/metrics.ts';
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
function readySince(job: Job): number {
  const delay = Number(job.delay || job.opts.delay || 0);
  return Math.max(job.timestamp + delay, (job.processedOn ?? 0) + delay);
}

async function readQueue(queues: Queues, name: QueueName, now: number): Promise<Snapshot> {
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
    const [oldest] = await queue.getJobs(['wait'], 0, 0, true);
    ages.push({ queue: name, task, seconds: oldest ? (now - readySince(oldest)) / 1000 : 0 });
    return { counts, ages };
  }

  // A queue shared by several tasks: read the tasks themselves (oldest first) to tell them apart.
  const oldestOf = new Map<string, number>();
  for (const state of STATES) {
    const jobs =
      total(state) === 0 ? [] : await queue.getJobs(TYPES[state], 0, SCAN_LIMIT - 1, true);
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
  /** Whether its Redis connection is up (a scrape during an outage leaves the series out). */
  ready: () => boolean;
}
/** The process's queues, most recent last (a test process may hold several). */
const sources: Source[] = [];
let last: { at: number; snapshot: Promise<Snapshot | null> } | null = null;

async function read({ queues, ready }: Source): Promise<Snapshot | null> {
  if (!ready()) return null;
  const now = Date.now();
  const parts = await Promise.all(queueNames.map((q) => readQueue(queues, q, now)));
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
export function watchQueueMetrics(queues: Queues, ready: () => boolean): () => void {
  const source = { queues, ready };
  sources.push(source);
  return () => {
    const i = sources.indexOf(source);
    if (i >= 0) sources.splice(i, 1);
    last = null;
  };
}
