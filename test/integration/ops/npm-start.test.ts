import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { api, waitFor } from '../../support/harness.ts';
import { freePort, stopProcess } from '../../support/processes.ts';

// `npm start` as a new user runs it: a database that does not exist yet, migrated on start, a
// demo account whose keys are printed, the API and the workers in one process.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const base = new URL(process.env.MAILSIFT_TEST_DATABASE_URL!);
const dbName = `mailsift_start_${process.pid}_${Date.now()}`;
const dbUrl = Object.assign(new URL(base), { pathname: `/${dbName}` }).toString();
const children: ChildProcess[] = [];

const adminUrl = Object.assign(new URL(base), { pathname: '/postgres' }).toString();

async function query(url: string, sql: string): Promise<any[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  for (const c of children) await stopProcess(c, 'SIGKILL');
  await query(adminUrl, `DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
});

/** Starts src/main.ts (what `npm start` runs) and resolves with the keys it prints. */
async function npmStart(port: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: dbUrl,
      PORT: String(port),
      QUEUE_PREFIX: `mailsift-start-${process.pid}-${port}`,
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.resume();
  const keys = await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`npm start exited: ${out}`);
      const live = /live key:\s+(ms_live_\w+)/.exec(out)?.[1];
      const test = /test key:\s+(ms_test_\w+)/.exec(out)?.[1];
      const secret = /webhook secret:\s+(whsec_\S+)/.exec(out)?.[1];
      return live && test && secret ? { live, test, secret } : null;
    },
    { what: 'the demo keys', timeoutMs: 45_000 },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/readyz`).catch(() => null))?.ok, {
    what: 'the API to be ready',
  });
  return { child, url, out: () => out, ...keys };
}

describe('npm start on a fresh machine', () => {
  it('when it starts on a database that does not exist, then it creates and migrates it, prints working demo keys, and verifies a CSV end to end', async () => {
    const first = await npmStart(await freePort());
    expect(first.out()).toMatch(/demo account acct_\w+ \(created; business plan, 10000 credits\)/);
    const migrations = readdirSync(`${root}/prisma/migrations`, { withFileTypes: true }).filter(
      (d) => d.isDirectory(),
    ).length;
    const [applied] = await query(
      dbUrl,
      'SELECT count(*)::int AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL',
    );
    expect(applied.n).toBe(migrations);

    const account = await api(first.url, first.live)('GET', '/v1/account');
    expect(account.json).toMatchObject({ plan: 'business', remaining_credits: 10000 });

    const call = api(first.url, first.test);
    const form = new FormData();
    form.append(
      'csv_file',
      new Blob(['name,email\nAnn,deliverable@example.com\nBob,undeliverable@example.com\n']),
      'list.csv',
    );
    const created = await call('POST', '/v1/jobs', form);
    expect(created.status).toBe(201);
    await waitFor(
      async () => (await call('GET', `/v1/jobs/${created.json.id}`)).json.status === 'completed',
      { what: 'the job to complete in the same process' },
    );
    const csv = await call('GET', `/v1/jobs/${created.json.id}/results.csv`);
    expect(csv.text.split(/\r?\n/).filter(Boolean)).toEqual([
      expect.stringMatching(/^name,email,mailsift_status,mailsift_reason,/),
      expect.stringMatching(/^Ann,deliverable@example\.com,deliverable,accepted_email,/),
      expect.stringMatching(/^Bob,undeliverable@example\.com,undeliverable,rejected_email,/),
    ]);
    expect(await stopProcess(first.child, 'SIGTERM')).toBe(0);

    // Keys are stored hashed: a second start reuses the account and prints new keys that work.
    const second = await npmStart(await freePort());
    expect(second.out()).toMatch(
      /demo account acct_\w+ \(existing; business plan, 10000 credits\)/,
    );
    expect(second.test).not.toBe(first.test);
    expect((await api(second.url, second.test)('GET', '/v1/account')).status).toBe(200);
    expect(await stopProcess(second.child, 'SIGTERM')).toBe(0);
  });
});
