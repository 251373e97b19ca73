/**
 * npm run bench:cluster — one quick-mode job (BENCH_ROWS, default 100,000 generated addresses over
 * 2,000 domains answered by a local DNS server) from POST /v1/jobs to `completed`, with 1 and
 * with 3 worker processes, on single Redis (127.0.0.1:6379, the reference) and on a 3-master
 * Redis Cluster started on loopback for the run. Prints each figure next to the single-Redis,
 * one-worker reference of the same run, with Redis commands and CPU per run and how many
 * Postgres connections waited on a lock (sampled every 200 ms): what limits the scaling.
 * Own database, dropped at the end; only loopback.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import pg from 'pg';
import { Redis } from 'ioredis';
import { createAccount, updateAccountPlanOrQuota } from '../src/domain/accounts/manage-accounts.ts';
import { createDatabase } from '../src/data/db.ts';
import { migrate } from '../src/data/migrate.ts';
import { mxZones, startDnsServer } from '../test/support/dns-server.ts';
import { freePort } from '../test/support/processes.ts';
import { startRedisCluster } from '../test/support/redis-cluster.ts';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const DB = 'postgresql://postgres@127.0.0.1:5432/mailsift_bench_cluster';
const tsx = ['--import', 'tsx'];

async function dropDb() {
  const c = new pg.Client({ connectionString: DB.replace(/\/[^/]+$/, '/postgres') });
  await c.connect();
  await c.query('DROP DATABASE IF EXISTS mailsift_bench_cluster WITH (FORCE)');
  await c.end();
}

function csv(): string {
  const lines = ['id,email'];
  for (let i = 0; i < ROWS; i++) lines.push(`${i},user.${i}@d${(i * 7919) % 2000}.test`);
  return lines.join('\n');
}

async function redisStats(ports: number[]) {
  let commands = 0;
  let cpu = 0;
  for (const port of ports) {
    const r = new Redis({ host: '127.0.0.1', port });
    const info = await r.info();
    r.disconnect();
    commands += Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0);
    cpu += Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? 0);
    cpu += Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? 0);
  }
  return { commands, cpu };
}

async function waitHealthy(url: string, child: ChildProcess) {
  for (let i = 0; i < 1200; i++) {
    if (child.exitCode !== null) throw new Error('process exited');
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not start`);
}

async function run(
  label: string,
  redisEnv: Record<string, string>,
  redisPorts: number[],
  workers: number,
  key: string,
  env: Record<string, string>,
  body: string,
) {
  const prefix = `benchc${Math.random().toString(36).slice(2, 8)}`;
  const port = await freePort();
  const common = { ...process.env, ...env, ...redisEnv, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn' };
  const children: ChildProcess[] = [];
  const spawnTs = (file: string, extra: Record<string, string> = {}) => {
    const c = spawn(process.execPath, [...tsx, file], {
      env: { ...common, ...extra },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(c);
    return c;
  };
  const api = spawnTs('src/server.ts', { PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  const pgc = new pg.Client({ connectionString: DB });
  await pgc.connect();
  try {
    await waitHealthy(url, api);
    // Workers serve /healthz on a metrics port once their queues are open: start timing then.
    for (let i = 0; i < workers; i++) {
      const metrics = await freePort();
      const w = spawnTs('workers/main.ts', {
        JOB_SWEEP: 'false',
        WORKER_METRICS_PORT: String(metrics),
      });
      await waitHealthy(`http://127.0.0.1:${metrics}`, w);
    }
    const before = await redisStats(redisPorts);
    const form = new FormData();
    form.append('csv_file', new Blob([body], { type: 'text/csv' }), 'bench.csv');
    form.append('quick_mode', 'true');
    const started = performance.now();
    const res = await fetch(`${url}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      body: form,
    });
    const created = (await res.json()) as { id?: string };
    if (res.status !== 201) throw new Error(`${res.status} ${JSON.stringify(created)}`);
    const at201 = performance.now() - started;
    let samples = 0;
    let lockWaits = 0;
    let active = 0;
    for (;;) {
      const { rows } = await pgc.query<{ locked: string; active: string }>(
        `SELECT count(*) FILTER (WHERE wait_event_type = 'Lock') AS locked,
                count(*) FILTER (WHERE state = 'active' AND wait_event_type IS DISTINCT FROM 'Lock') - 1 AS active
           FROM pg_stat_activity WHERE datname = 'mailsift_bench_cluster'`,
      );
      samples++;
      lockWaits += Number(rows[0]!.locked);
      active += Number(rows[0]!.active);
      const job = (await (
        await fetch(`${url}/v1/jobs/${created.id}`, { headers: { authorization: `Bearer ${key}` } })
      ).json()) as { status: string };
      if (job.status === 'completed' || job.status === 'failed') {
        if (job.status === 'failed') throw new Error('job failed');
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const seconds = (performance.now() - started) / 1000;
    const after = await redisStats(redisPorts);
    return {
      label,
      seconds,
      at201: at201 / 1000,
      rate: ROWS / seconds,
      redisCommands: after.commands - before.commands,
      redisCpu: after.cpu - before.cpu,
      lockWaits: lockWaits / samples,
      active: active / samples,
      load: os.loadavg()[0]!,
      prefix,
    };
  } finally {
    await pgc.end();
    await Promise.all(
      children.map(async (c) => {
        if (c.exitCode !== null || c.signalCode !== null) return;
        const exited = once(c, 'exit');
        c.kill('SIGTERM');
        await exited;
      }),
    );
  }
}

async function main() {
  console.log(
    `quick-mode job of ${ROWS.toLocaleString()} addresses over 2,000 domains (local DNS)`,
  );
  console.log(
    `load average at start: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${os.cpus().length} cores`,
  );
  const dns = await startDnsServer(
    mxZones(
      Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`d${i}.test`, '127.0.0.9'])),
    ),
  );
  const cluster = await startRedisCluster(3);
  await dropDb();
  await migrate(DB);
  const db = createDatabase(DB, 2);
  const account = await createAccount(
    { db },
    {
      name: 'bench',
      plan: 'business',
      credits: ROWS * 5,
    },
  );
  await updateAccountPlanOrQuota({ db }, account.id, { monthlyQuota: ROWS * 5 });
  await db.close();
  const env = { DATABASE_URL: DB, DNS_SERVERS: dns.address, MAX_EMAILS_PER_JOB: String(ROWS) };
  const body = csv();
  const single = { REDIS_URL: 'redis://127.0.0.1:6379' };
  const onCluster = { REDIS_CLUSTER_NODES: cluster.nodes };
  const results = [];
  const singleRedis = new Redis('redis://127.0.0.1:6379');
  try {
    // Interleaved so that a change of the machine's load hits both sides alike.
    for (const [label, redisEnv, ports, n] of [
      ['single Redis, 1 worker ', single, [6379], 1],
      ['cluster,      1 worker ', onCluster, cluster.ports, 1],
      ['single Redis, 3 workers', single, [6379], 3],
      ['cluster,      3 workers', onCluster, cluster.ports, 3],
    ] as const) {
      const r = await run(label, redisEnv, [...ports], n, account.keys.live, env, body);
      results.push(r);
      console.log(`  done: ${label} ${r.seconds.toFixed(1)} s`);
      // The single Redis is shared with others: leave none of the run's keys behind.
      if (redisEnv === single) {
        const keys = await singleRedis.keys(`${r.prefix}*`);
        for (let i = 0; i < keys.length; i += 500) await singleRedis.del(...keys.slice(i, i + 500));
      }
    }
  } finally {
    singleRedis.disconnect();
    await cluster.close();
    await dns.close();
    await dropDb();
  }
  const ref = results[0]!;
  console.log(
    '\nrun                      | POST→completed | ×ref | addr/s | 201 at | Redis cmds | Redis CPU | PG lock waits | PG active | load',
  );
  for (const r of results) {
    console.log(
      `${r.label}  | ${r.seconds.toFixed(1).padStart(10)} s | ${(r.seconds / ref.seconds).toFixed(2)} | ${Math.round(r.rate).toString().padStart(6)} | ${r.at201.toFixed(1).padStart(4)} s | ${String(r.redisCommands).padStart(10)} | ${r.redisCpu.toFixed(1).padStart(7)} s | ${r.lockWaits.toFixed(1).padStart(13)} | ${r.active.toFixed(1).padStart(9)} | ${r.load.toFixed(1)}`,
    );
  }
  console.log(
    'reference: single Redis with 1 worker process, measured in this run (×ref = time / reference)',
  );
}

await main();
