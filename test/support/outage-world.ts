import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { migrate } from '../../src/data/migrate.ts';
import { api, startHarness, waitFor, type Harness, type TestAccount } from './harness.ts';
import { startMailWorld } from './mail-world.ts';
import { databaseUrl, startOwnPostgres, startOwnRedis, type OwnService } from './own-services.ts';
import { freePort, spawnWorker, stopProcess } from './processes.ts';
import { startReceiver, type Receiver } from './webhook-receiver.ts';

/**
 * Everything an outage drill needs, on loopback: a Redis and a Postgres of its own (stopped and
 * started at will; the shared ones are never touched), scripted DNS and SMTP servers, a webhook
 * receiver, the API in-process and real worker processes, each serving /healthz and /metrics.
 * Used by the chaos test (test/integration/ops/chaos.test.ts) and `npm run drill:outage`.
 */
export interface OutageWorld {
  h: Harness;
  redis: OwnService;
  postgres: OwnService;
  receiver: Receiver;
  account: TestAccount;
  call: ReturnType<typeof api>;
  /** A fresh account (1,000,000 credits) for the next job, so its ledger is the job's alone. */
  useNewAccount(): Promise<void>;
  /** Starts one more worker process; its log lines are kept in `logs`. */
  spawnWorker(): Promise<WorldWorker>;
  workers: WorldWorker[];
  /** Addresses on the world's domains (each domain's SMTP server accepts all: catch-all). */
  emails(n: number): string[];
  close(): Promise<void>;
}

export interface WorldWorker {
  child: ChildProcess;
  metricsUrl: string;
  logs: string[];
  health(): Promise<any>;
  metrics(): Promise<string>;
}

/**
 * GET on a connection of its own: a kept-alive socket that a busy worker closes just as the
 * next poll reuses it would fail that poll (ECONNRESET) for nothing.
 */
function getFresh(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

export async function startOutageWorld(
  opts: { domains?: number; smtpLatencyMs?: number; env?: Record<string, string> } = {},
): Promise<OutageWorld> {
  const [redis, postgres] = await Promise.all([startOwnRedis(), startOwnPostgres()]);
  const dbUrl = databaseUrl(postgres, 'mailsift_outage');
  await migrate(dbUrl);
  const domains = Array.from({ length: opts.domains ?? 8 }, (_, i) => `d${i}.outage.test`);
  const hosts = domains.map((_, i) => `127.0.0.${150 + i}`);
  const mail = await startMailWorld(
    hosts.map((host) => ({
      host,
      behaviour: { acceptAll: true, latencyMs: opts.smtpLatencyMs ?? 20 },
    })),
    Object.fromEntries(domains.map((d, i) => [d, hosts[i]!])),
  );
  const receiver = await startReceiver();
  const env = {
    ...mail.env,
    DATABASE_URL: dbUrl,
    REDIS_URL: redis.url,
    WEBHOOK_ALLOW_PRIVATE: 'true',
    SMTP_MAX_CONNECTIONS_PER_HOST: '20',
    WORKER_LOCK_DURATION_MS: '5000',
    WORKER_STALLED_INTERVAL_MS: '1000',
    ...opts.env,
  };
  const h = await startHarness(env);
  const account = await h.account('business', 1_000_000);
  const workers: WorldWorker[] = [];

  const world: OutageWorld = {
    h,
    redis,
    postgres,
    receiver,
    account,
    call: api(h.url, account.live),
    workers,
    async useNewAccount() {
      world.account = await h.account('business', 1_000_000);
      world.call = api(h.url, world.account.live);
    },
    async spawnWorker() {
      const port = await freePort();
      const logs: string[] = [];
      let stderr = '';
      const child = spawnWorker(
        h.processEnv({ ...env, LOG_LEVEL: 'info', WORKER_METRICS_PORT: String(port) }),
        { onLog: (line) => logs.push(line) },
      );
      child.stderr?.on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
      const metricsUrl = `http://127.0.0.1:${port}`;
      const get = async (path: string) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          const last = logs.slice(-5).join('\n');
          throw new Error(`worker ${child.pid} exited (${child.exitCode}): ${stderr}\n${last}`);
        }
        return getFresh(`${metricsUrl}${path}`);
      };
      const worker: WorldWorker = {
        child,
        metricsUrl,
        logs,
        health: async () => JSON.parse(await get('/healthz')),
        metrics: () => get('/metrics'),
      };
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}`);
          return worker.health().then(
            (b) => b.status === 'ok',
            () => false,
          );
        },
        { what: 'a worker to start', timeoutMs: 150_000, intervalMs: 200 },
      );
      workers.push(worker);
      return worker;
    },
    emails(n) {
      return Array.from({ length: n }, (_, i) => `user${i}@${domains[i % domains.length]}`);
    },
    async close() {
      for (const w of workers) await stopProcess(w.child, 'SIGKILL');
      if (!redis.running) await redis.start().catch(() => undefined);
      if (!postgres.running) await postgres.start().catch(() => undefined);
      await h.close().catch(() => undefined);
      await Promise.all([redis.close(), postgres.close(), mail.close(), receiver.close()]);
    },
  };
  return world;
}

/** The job as Postgres has it (null while Postgres is down). */
export async function jobRow(h: Harness, jobId: string) {
  return h.deps.db.prisma.job.findUnique({ where: { id: jobId } }).catch(() => null);
}

/**
 * What a drill checks at the end: results per row, the ledger, the tasks' attempts, the webhook.
 * `exact` is true when every figure is what it must be.
 */
export async function outageFigures(w: OutageWorld, jobId: string, topUp = 1_000_000) {
  const prisma = w.h.deps.db.prisma;
  const job = await prisma.job.findUniqueOrThrow({ where: { id: jobId } });
  const [rows, results, duplicated] = await Promise.all([
    prisma.jobRow.count({ where: { job: { id: jobId } } }),
    prisma.result.count({ where: { job: { id: jobId } } }),
    prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM (
        SELECT idx FROM results WHERE job_seq = ${job.seq} GROUP BY idx HAVING count(*) > 1) d`,
  ]);
  const uniqueRows = await prisma.jobRow.count({
    where: { job: { id: jobId }, duplicateOf: null },
  });
  const earned = await prisma.result.count({
    where: { job: { id: jobId }, NOT: { status: 'unknown' } },
  });
  const account = await prisma.account.findUniqueOrThrow({ where: { id: w.account.id } });
  const ledger = await prisma.creditLedger.findMany({
    where: { accountId: w.account.id },
    orderBy: { id: 'asc' },
  });
  const ledgerSum = ledger.reduce((s, l) => s + l.amount, 0);
  const chunks = await w.h.deps.queues.queue('chunks').getJobs(['completed', 'failed']);
  const mine = chunks.filter((t) => t.data.jobId === jobId);
  const figures = {
    status: job.status,
    total: job.total,
    processed: job.processed,
    rows,
    uniqueRows,
    results,
    duplicatedResults: duplicated[0]?.n ?? 0,
    creditsReserved: job.creditsReserved,
    creditsCharged: job.creditsCharged,
    earned,
    balance: account.creditBalance,
    expectedBalance: topUp - earned,
    ledgerSum,
    ledgerLines: ledger.map((l) => `${l.kind} ${l.amount}`),
    chunkTasks: mine.length,
    chunksFailed: mine.filter((t) => t.failedReason).length,
    // BullMQ counts the successful run too: 1 everywhere means no attempt was used up.
    maxAttemptsMade: Math.max(0, ...mine.map((t) => t.attemptsMade)),
    webhookRequests: w.receiver.requests.filter((r) => r.body.toString().includes(jobId)).length,
  };
  const exact =
    figures.status === 'completed' &&
    figures.processed === figures.total &&
    figures.rows === figures.total &&
    figures.results === figures.uniqueRows &&
    figures.duplicatedResults === 0 &&
    figures.creditsCharged === figures.earned &&
    figures.balance === figures.expectedBalance &&
    figures.ledgerSum === figures.balance &&
    figures.chunksFailed === 0 &&
    figures.maxAttemptsMade <= 1;
  return { ...figures, exact };
}
