/**
 * npm run bench:ingest — a generated 1,000,000-row CSV (an email column among five others)
 * through POST /v1/jobs of a real API process: prints the time to the 201 (median of
 * BENCH_RUNS, default 3) and the API process's peak memory, next to two references measured in
 * the same run on the same file: papaparse alone over it (the parser the count used to run on
 * every row), and a scan of its bytes for newlines (the floor of any reader). Targets: 201
 * within 3 s, peak RSS under 500 MB. Uses its own database, dropped at the end; only loopback.
 */
import { spawn } from 'node:child_process';
import {
  createReadStream,
  createWriteStream,
  openAsBlob,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import Papa from 'papaparse';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createAccount } from '../src/domain/accounts/manage-accounts.ts';
import { createDatabase } from '../src/data/db.ts';
import { migrate } from '../src/data/migrate.ts';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PORT = 3000 + Math.floor(Math.random() * 1000) + 20000;
const DB = 'postgresql://postgres@127.0.0.1:5432/mailsift_bench';
const file = path.join(os.tmpdir(), `mailsift-bench-${ROWS}.csv`);

async function generate() {
  const out = createWriteStream(file);
  out.write('id,first_name,last_name,email,company,signup_date\n');
  const domains = Array.from({ length: 5000 }, (_, i) => `company${i}.example`);
  let buf = '';
  for (let i = 0; i < ROWS; i++) {
    const d = i % 10 === 0 ? 'gmail.com' : domains[(i * 7919) % domains.length];
    buf += `${i},First${i % 977},"Last, ${i % 1013}",user.${i}@${d},Company ${i % 5000},2026-0${(i % 9) + 1}-1${i % 10}\n`;
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
}

async function dropDb() {
  const c = new pg.Client({ connectionString: DB.replace('/mailsift_bench', '/postgres') });
  await c.connect();
  await c.query('DROP DATABASE IF EXISTS mailsift_bench WITH (FORCE)');
  await c.end();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Seconds papaparse takes over the file, streamed from disk as the API reads it. */
async function papaparseAlone(): Promise<number> {
  const started = performance.now();
  let rows = 0;
  await new Promise<void>((resolve, reject) => {
    Papa.parse<string[]>(
      createReadStream(file, { encoding: 'utf8' }) as unknown as Papa.LocalFile,
      {
        delimiter: ',',
        skipEmptyLines: 'greedy',
        chunk: (result) => {
          rows += result.data.length;
        },
        complete: () => resolve(),
        error: reject,
      },
    );
  });
  if (rows !== ROWS + 1) throw new Error(`papaparse read ${rows} rows`);
  return (performance.now() - started) / 1000;
}

/** Seconds to read the file and count its newline bytes. */
async function byteScan(): Promise<number> {
  const started = performance.now();
  let lines = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    const buf = chunk as Buffer;
    for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) lines++;
  }
  if (lines !== ROWS + 1) throw new Error(`the scan found ${lines} lines`);
  return (performance.now() - started) / 1000;
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

async function main() {
  console.log(`generating ${ROWS.toLocaleString()} rows ...`);
  await generate();
  console.log(`file: ${(statSync(file).size / 1e6).toFixed(1)} MB`);
  await dropDb();
  await migrate(DB);
  const db = createDatabase(DB, 2);
  const account = await createAccount(
    { db },
    {
      name: 'bench',
      plan: 'business',
      credits: ROWS + 10,
    },
  );
  await db.close();

  const api = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    // A test key: the same ingest path, without the monthly quota (100,000 on business) in the way.
    env: {
      ...process.env,
      DATABASE_URL: DB,
      PORT: String(PORT),
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      QUEUE_PREFIX: `bench${PORT}`,
      TEST_DAILY_LIMIT: String(ROWS * (RUNS + 1)),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    for (let i = 0; ; i++) {
      const ok = await fetch(`http://127.0.0.1:${PORT}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (i > 200) throw new Error('API did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const baseline = peakRssMb(api.pid!);
    const times: number[] = [];
    const papaparse: number[] = [];
    const scan: number[] = [];
    let last: { status: number; body: unknown } | null = null;
    for (let run = 0; run < RUNS; run++) {
      // The references between the API's runs, so a change of load on the machine shows in both.
      papaparse.push(await papaparseAlone());
      scan.push(await byteScan());
      const form = new FormData();
      form.append('csv_file', await openAsBlob(file, { type: 'text/csv' }), 'bench.csv');
      form.append('name', `bench ${run}`);
      const started = performance.now();
      const res = await fetch(`http://127.0.0.1:${PORT}/v1/jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${account.keys.test}` },
        body: form,
      });
      const body = (await res.json()) as { total?: number; unique?: number; error?: unknown };
      times.push((performance.now() - started) / 1000);
      last = { status: res.status, body };
      console.log(
        `run ${run + 1}: ${res.status} in ${times.at(-1)!.toFixed(2)} s (total ${body.total}, unique ${body.unique}); ` +
          `papaparse alone ${papaparse.at(-1)!.toFixed(2)} s, byte scan ${scan.at(-1)!.toFixed(2)} s`,
      );
      if (res.status !== 201) break;
    }
    const peak = peakRssMb(api.pid!);
    const t = median(times);
    const p = median(papaparse);
    console.log(`\nmedians of ${times.length} run(s), measured side by side:`);
    console.log(`  time to 201:          ${t.toFixed(2)} s   (target < 3 s)`);
    console.log(
      `  papaparse alone:      ${p.toFixed(2)} s   (201 / papaparse = ${(t / p).toFixed(2)})`,
    );
    console.log(`  byte scan (newlines): ${median(scan).toFixed(2)} s`);
    console.log(
      `  API peak RSS:         ${peak.toFixed(0)} MB   (idle ${baseline.toFixed(0)} MB; target < 500 MB)`,
    );
    if (last && last.status !== 201) console.log(JSON.stringify(last.body));
  } finally {
    api.kill('SIGTERM');
    await once(api, 'exit');
    rmSync(file, { force: true });
    await dropDb();
  }
}

await main();
