/**
 * Outage drill (npm run drill:outage): a live job of DRILL_ROWS addresses (default 20,000) is
 * run by DRILL_WORKERS worker processes (default 2); at DRILL_AT of its progress (default 20 %)
 * Postgres is stopped for DRILL_OUTAGE_S seconds (default 120) and started again; then a second
 * job goes through the same with Redis. Each far outlasts the chunk retry window (5 attempts,
 * backoff from 2 s: about 30 s). Everything runs on loopback against a Redis (AOF) and a
 * Postgres of the drill's own, on free ports; the shared instances are never touched.
 *
 * Prints what an operator sees during each outage (worker /healthz, metrics, the API's answer)
 * and the end figures: job status, one result per row, the ledger, attempts used, webhook.
 * Takes about 2 x (outage + job time): some 6-8 minutes with the defaults. Exit 1 if a figure
 * is off.
 */
import type { WorkerHealth } from '../workers/outage-guard.ts';
import {
  jobRow,
  outageFigures,
  startOutageWorld,
  type OutageWorld,
} from '../test/support/outage-world.ts';

const ROWS = Number(process.env.DRILL_ROWS ?? 20_000);
const OUTAGE_S = Number(process.env.DRILL_OUTAGE_S ?? 120);
const AT = Number(process.env.DRILL_AT ?? 0.2);
const WORKERS = Number(process.env.DRILL_WORKERS ?? 2);
const SCENARIOS = (process.env.DRILL_SCENARIOS ?? 'postgres,redis').split(',') as (
  'postgres' | 'redis'
)[];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string, data: Record<string, unknown> = {}) =>
  process.stdout.write(`${new Date().toISOString()} ${msg} ${JSON.stringify(data)}\n`);

async function until<T>(what: string, check: () => Promise<T | null>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check().catch(() => null);
    if (v) return v;
    if (Date.now() > end) throw new Error(`drill: timed out waiting for ${what}`);
    await sleep(250);
  }
}

const metric = (text: string, name: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .map((l) => l.trim())
    .join(' ');

async function runScenario(world: OutageWorld, dep: 'postgres' | 'redis') {
  const service = dep === 'postgres' ? world.postgres : world.redis;
  await world.useNewAccount();
  const t0 = Date.now();
  const created = await world.call('POST', '/v1/jobs', {
    emails: world.emails(ROWS),
    smtp: true,
    webhook_url: `${world.receiver.url}/drill-${dep}`,
    name: `outage drill: ${dep}`,
  });
  if (created.status !== 201) throw new Error(`job not created: ${created.text}`);
  const jobId = (created.json as { id: string }).id;
  const atStop = await until(
    `${AT * 100} % of the job`,
    async () => {
      const j = await jobRow(world.h, jobId);
      return j && j.processed >= AT * ROWS ? j : null;
    },
    15 * 60_000,
  );
  await service.stop();
  const stoppedAt = Date.now();
  log(`${dep} stopped`, { jobId, processed: atStop.processed, status: atStop.status });

  // What an operator sees meanwhile: sampled every 10 s.
  const seen = {
    healthz: new Set<string>(),
    api: new Set<number>(),
    paused: new Set<string>(),
  };
  while (Date.now() - stoppedAt < OUTAGE_S * 1000) {
    const w = world.workers[0]!;
    const health = (await w.health().catch((e: unknown) => ({ error: String(e) }))) as
      WorkerHealth | { error: string };
    const metrics = await w.metrics().catch(() => '');
    const apiRes = await world.call('GET', `/v1/jobs/${jobId}`).catch(() => null);
    const apiBody = apiRes?.json as { status?: string; error?: { code: string } } | null;
    seen.healthz.add(JSON.stringify({ ...health, down_since: undefined }));
    seen.api.add(apiRes?.status ?? 0);
    seen.paused.add(metric(metrics, 'mailsift_workers_paused'));
    log(`${dep} down ${Math.round((Date.now() - stoppedAt) / 1000)} s`, {
      healthz: health,
      metrics: `${metric(metrics, 'mailsift_workers_paused')} ${metric(metrics, 'mailsift_dependency_up')}`,
      api: apiRes ? `${apiRes.status} ${apiBody?.error?.code ?? apiBody?.status}` : null,
    });
    await sleep(Math.min(10_000, OUTAGE_S * 1000 - (Date.now() - stoppedAt)));
  }
  await service.start();
  const restartedAt = Date.now();
  log(`${dep} started again`, { downS: Math.round((restartedAt - stoppedAt) / 1000) });
  await until(
    'every worker to resume',
    async () => {
      const all = (await Promise.all(world.workers.map((w) => w.health()))) as WorkerHealth[];
      return all.every((x) => x.status === 'ok') ? true : null;
    },
    5 * 60_000,
  );
  const resumedMs = Date.now() - restartedAt;
  await until(
    'the job to end',
    async () => {
      const j = await jobRow(world.h, jobId);
      return j && j.status !== 'processing' && j.status !== 'queued' ? j : null;
    },
    20 * 60_000,
  );
  const endedAt = Date.now();
  await until(
    'the webhook',
    async () => (world.receiver.requests.some((r) => r.path === `/drill-${dep}`) ? true : null),
    120_000,
  );
  const figures = await outageFigures(world, jobId);
  const handedBack = (await Promise.all(world.workers.map((w) => w.metrics())))
    .map((t) => metric(t, 'mailsift_tasks_handed_back_total{reason="outage"}'))
    .map((l) => Number(l.split(' ').pop() || 0))
    .reduce((a, b) => a + b, 0);
  const logLines = world.workers.flatMap((w) => w.logs);
  const row = {
    dependency: dep,
    outageS: Math.round((restartedAt - stoppedAt) / 1000),
    progressAtStop: `${atStop.processed}/${ROWS}`,
    jobSeconds: Math.round((endedAt - t0) / 1000),
    resumedWithinMs: resumedMs,
    healthzSeen: [...seen.healthz],
    pausedMetricSeen: [...seen.paused],
    apiStatusesSeen: [...seen.api],
    tasksHandedBack: handedBack,
    logUnreachable: logLines.filter((l) => l.includes(`${dep} is unreachable`)).length,
    logBack: logLines.filter((l) => l.includes(`${dep} is reachable again`)).length,
    ...figures,
  };
  return row;
}

async function main() {
  process.env.LOG_LEVEL ??= 'warn'; // the in-process API's request log would drown the figures
  const started = Date.now();
  const world = await startOutageWorld({ domains: 40, smtpLatencyMs: 2 });
  const results: Awaited<ReturnType<typeof runScenario>>[] = [];
  let ok = true;
  try {
    for (let i = 0; i < WORKERS; i++) await world.spawnWorker();
    log('world up', { workers: WORKERS, rows: ROWS, outageS: OUTAGE_S, at: AT });

    for (const dep of SCENARIOS) {
      const row = await runScenario(world, dep);
      ok &&= row.exact && row.webhookRequests === 1;
      results.push(row);
      log(`${dep} drill done`, row);
      for (const w of world.workers) w.logs.length = 0;
    }
  } finally {
    await world.close();
  }
  process.stdout.write('\nsummary\n');
  for (const r of results) {
    process.stdout.write(
      `${String(r.dependency).padEnd(9)} down ${r.outageS} s at ${r.progressAtStop}: job ${r.status} in ${r.jobSeconds} s, ` +
        `${r.results} results for ${r.uniqueRows} unique rows (${r.total} rows, ${r.duplicatedResults} doubled), ` +
        `charged ${r.creditsCharged} = earned ${r.earned}, balance ${r.balance} (expected ${r.expectedBalance}, ledger sum ${r.ledgerSum}), ` +
        `chunks failed ${r.chunksFailed}, max attemptsMade ${r.maxAttemptsMade}, handed back ${r.tasksHandedBack}, ` +
        `webhooks ${r.webhookRequests}, workers resumed ${r.resumedWithinMs} ms after restart; exact: ${r.exact}\n`,
    );
  }
  process.stdout.write(`drill took ${Math.round((Date.now() - started) / 1000)} s\n`);
  process.exit(ok ? 0 : 1);
}

main().catch((err: unknown) => {
  process.stderr.write(`drill failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
