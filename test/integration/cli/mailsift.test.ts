import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { api, startHarness, waitFor, useHarness, useAccount } from '../../support/harness.ts';
import { closedPort } from '../../support/ports.ts';
import { dropCounters } from '../../support/limits.ts';
import { BIN, ROOT, runCli, startCli } from '../../support/run-cli.ts';

// The real `mailsift` command, spawned against the running service (the in-process app with
// real workers; test keys give deterministic verdicts).

// Each spawn starts Node and tsx: seconds apiece on a loaded machine.
vi.setConfig({ testTimeout: 240_000 });

let dir: string;
let env: Record<string, string>;

const CSV = [
  'name,email,company',
  'Ann,deliverable@example.com,Acme',
  'Bob,undeliverable@example.com,"Bob, Inc."',
  'Eve,risky@example.com,=SUM(A1)',
  'Dan,unknown@example.com,Dan Co',
  'Cat,catchall@example.com,',
  'Ann again, deliverable@EXAMPLE.com,Acme',
  'Bad,not-an-address,',
  'Zoe,zoe@example.org,"multi',
  'line"',
].join('\n');

const h = useHarness({ TEST_DAILY_LIMIT: '1000000' }, { workers: true, beforeClose: dropCounters });
const acct = useAccount(h, 'business', 1000);
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mailsift-cli-'));
  writeFileSync(path.join(dir, 'leads.csv'), CSV);
  env = { MAILSIFT_URL: h.url, MAILSIFT_API_KEY: acct.test };
});
afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const rows = (csv: string) => Papa.parse<string[]>(csv, { skipEmptyLines: true }).data;
const file = (name: string) => path.join(dir, name);
const jobIdIn = (text: string) => /job_[A-Za-z0-9]{24}/.exec(text)![0];
const call = () => api(h.url, acct.test);

describe('mailsift clean', () => {
  it('cleans a CSV end to end: the output file is the API results.csv, row by row, and the non-TTY output is one plain line per state change', async () => {
    const run = await runCli(
      ['clean', file('leads.csv'), '-o', file('out.csv'), '--poll-ms', '200'],
      env,
    );
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).not.toContain('\x1b'); // no bars, no escape codes

    const lines = run.stdout.trim().split('\n');
    const id = jobIdIn(run.stdout);
    expect(lines[0]).toMatch(/^Uploading .*leads\.csv \(\d+ B\)$/);
    expect(lines[1]).toBe(`Created job ${id}: 8 rows, 7 unique`);
    expect(lines.at(-2)).toBe(
      `Job ${id} completed: 8/8 rows (deliverable 3 · undeliverable 2 · risky 2 · unknown 1)`,
    );
    expect(lines.at(-1)).toBe(`Wrote 8 rows to ${file('out.csv')}`);
    // Between them only changes of status, each once.
    const states = lines.slice(2, -1).map((l) => /^Job \S+ (\w+):/.exec(l)![1]);
    expect(new Set(states).size).toBe(states.length);
    expect(states.at(-1)).toBe('completed');

    const written = readFileSync(file('out.csv'), 'utf8');
    const served = (await call()('GET', `/v1/jobs/${id}/results.csv`)).text;
    const results = (await call()('GET', `/v1/jobs/${id}/results?limit=1000`)).json.data;
    const out = rows(written);
    expect(out).toEqual(rows(served));
    expect(written).toBe(served);
    const header = out[0]!;
    const status = header.indexOf('mailsift_status');
    expect(header.slice(0, 3)).toEqual(['name', 'email', 'company']);
    expect(out.slice(1).map((r) => r[status])).toEqual(results.map((r: any) => r.status));
    expect(out[8]![2]).toBe('multi\nline');
  });

  it('--status writes only those rows (one or several, filtered by the API), in the file own order', async () => {
    const run = await runCli(
      [
        'clean',
        file('leads.csv'),
        '-o',
        file('some.csv'),
        '--status',
        'deliverable,risky',
        '--poll-ms',
        '200',
      ],
      env,
    );
    expect(run.code).toBe(0);
    const id = jobIdIn(run.stdout);
    const all = rows((await call()('GET', `/v1/jobs/${id}/results.csv`)).text);
    const status = all[0]!.indexOf('mailsift_status');
    const expected = [
      all[0]!,
      ...all.slice(1).filter((r) => ['deliverable', 'risky'].includes(r[status]!)),
    ];
    const got = rows(readFileSync(file('some.csv'), 'utf8'));
    expect(got).toEqual(expected);
    expect(got.length - 1).toBe(5);
    expect(run.stdout).toContain(`Wrote 5 rows to ${file('some.csv')}`);

    const one = await runCli(
      ['jobs', 'download', id, '-o', file('bad.csv'), '--status', 'undeliverable'],
      env,
    );
    expect(one.code).toBe(0);
    expect(readFileSync(file('bad.csv'), 'utf8')).toBe(
      (await call()('GET', `/v1/jobs/${id}/results.csv?status=undeliverable`)).text,
    );

    const wrong = await runCli(['clean', file('leads.csv'), '--status', 'great'], env);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(
      /--status takes deliverable, undeliverable, risky, unknown; not great/,
    );
  });

  it('on a terminal (a real pseudo-terminal via script), the upload and progress bars draw and finish', async () => {
    const command = [
      process.execPath,
      BIN,
      'clean',
      file('leads.csv'),
      '-o',
      file('tty.csv'),
      '--poll-ms',
      '200',
    ]
      .map((a) => `'${a}'`)
      .join(' ');
    const { stdout } = await promisify(execFile)('script', ['-qec', command, '/dev/null'], {
      env: { ...process.env, ...env, TERM: 'xterm', COLUMNS: '160' },
    });
    expect(stdout).toContain('\x1b['); // cursor control: a bar redrawn in place
    expect(stdout).toMatch(/Uploading {2}█+ 100% \| \d+ B \/ \d+ B/);
    expect(stdout).toMatch(/Verifying {2}░+ 0% \| 0\/8/);
    expect(stdout).toMatch(
      /Verifying {2}█+ 100% \| 8\/8 \| \d+\/s \| ETA 0s \| deliverable 3 · undeliverable 2 · risky 2 · unknown 1/,
    );
    // Every frame's ETA is a time or "…" (not yet known), never cli-progress's NULL / NaN.
    const etas = [...stdout.matchAll(/ETA (\S+(?: \d\d[sm])?) \|/g)].map((m) => m[1]);
    expect(etas.length).toBeGreaterThan(0);
    for (const eta of etas) expect(eta).toMatch(/^(…|\d+s|\d+m \d\ds|\d+h \d\dm)$/);
    expect(stdout).toMatch(/completed: 8\/8 rows/);
    expect(stdout).toContain(`Wrote 8 rows to ${file('tty.csv')}`);
    expect(readFileSync(file('tty.csv'), 'utf8').split('\n')[0]).toContain('mailsift_status');
  });
});

describe('errors: one line, the right exit code', () => {
  it('402 INSUFFICIENT_CREDITS: one line with the code and what to do, exit 2', async () => {
    const broke = await h.account('business', 0);
    const run = await runCli(['verify', 'a@example.com'], { ...env, MAILSIFT_API_KEY: broke.live });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'mailsift: error INSUFFICIENT_CREDITS (HTTP 402): The credit balance cannot cover this request. Add credits to the account (needed 1, balance 0).\n',
    );
  });

  it('401 INVALID_API_KEY: one line, exit 2; with --json, the error as JSON on stdout too', async () => {
    const run = await runCli(['account', '--key', 'ms_live_nope'], env);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')).toHaveLength(2);
    expect(run.stderr).toMatch(
      /^mailsift: error INVALID_API_KEY \(HTTP 401\): .* Check --key or MAILSIFT_API_KEY\.\n$/,
    );
    expect(run.stderr).not.toMatch(/\bat .*\.ts:\d+/);

    const json = await runCli(['account', '--json', '--key', 'ms_live_nope'], env);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'INVALID_API_KEY', status: 401 });
  });

  it('no answer is exit 3, a usage mistake exit 1', async () => {
    const refused = await runCli(['account'], {
      ...env,
      MAILSIFT_URL: `http://127.0.0.1:${await closedPort()}`,
    });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(
      /^mailsift: error NETWORK_ERROR: .*ECONNREFUSED.* Check --url or MAILSIFT_URL/,
    );
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);

    const noKey = await runCli(['account'], { MAILSIFT_URL: h.url });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/no API key: pass --key or set MAILSIFT_API_KEY/);
    expect((await runCli(['clean'], env)).code).toBe(1);
    expect((await runCli(['frobnicate'], env)).code).toBe(1);
    expect((await runCli(['clean', file('missing.csv')], env)).stderr).toMatch(
      /cannot read .*missing\.csv/,
    );
  });
});

describe('the other commands', () => {
  it('verify, account, jobs list|show|results|delete, with --json machine-readable', async () => {
    const verify = await runCli(['verify', 'risky@example.com', '--quick'], env);
    expect(verify).toMatchObject({
      code: 0,
      stdout: 'risky@example.com: risky (low_quality)\nRemaining credits: 1000\n',
    });
    const vj = JSON.parse(
      (await runCli(['verify', 'undeliverable@example.com', '--json'], env)).stdout,
    );
    expect(vj.result).toMatchObject({ status: 'undeliverable' });

    const account = JSON.parse((await runCli(['account', '--json'], env)).stdout);
    expect(account).toMatchObject({ id: acct.id, plan: 'business', key: { mode: 'test' } });

    const job = (
      await call()('POST', '/v1/jobs', { emails: ['deliverable@example.com', 'risky@example.com'] })
    ).json;
    const list = JSON.parse((await runCli(['jobs', 'list', '--json', '--limit', '2'], env)).stdout);
    expect(list.data[0].id).toBe(job.id);
    expect((await runCli(['jobs', 'list'], env)).stdout).toMatch(new RegExp(`^${job.id}  `));

    await waitFor(
      async () => (await call()('GET', `/v1/jobs/${job.id}`)).json.status === 'completed',
    );
    const show = await runCli(['jobs', 'show', job.id], env);
    expect(show.stdout.split('\n')[0]).toBe(
      `Job ${job.id} completed: 2/2 rows (deliverable 1 · undeliverable 0 · risky 1 · unknown 0)`,
    );
    const results = JSON.parse((await runCli(['jobs', 'results', job.id, '--json'], env)).stdout);
    expect(results).toEqual((await call()('GET', `/v1/jobs/${job.id}/results`)).json.data);
    const risky = await runCli(['jobs', 'results', job.id, '--status', 'risky'], env);
    expect(risky.stdout.trim().split('\n')).toHaveLength(1);

    expect((await runCli(['jobs', 'delete', job.id], env)).stdout).toBe(`Deleted job ${job.id}\n`);
    const gone = await runCli(['jobs', 'show', job.id], env);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/NOT_FOUND/);
  });

  it('Ctrl-C while waiting leaves the job running and prints the command that resumes, exit 130', async () => {
    const idle = await startHarness({ TEST_DAILY_LIMIT: '1000000' }); // no workers: the job stays queued
    try {
      const a = await idle.account('business', 10);
      const job = (await api(idle.url, a.test)('POST', '/v1/jobs', { emails: ['a@example.com'] }))
        .json;
      const cli = startCli(['jobs', 'wait', job.id, '-o', file('later.csv'), '--poll-ms', '200'], {
        MAILSIFT_URL: idle.url,
        MAILSIFT_API_KEY: a.test,
      });
      await waitFor(async () => cli.output().includes('queued'), { what: 'the first state line' });
      cli.child.kill('SIGINT');
      const run = await cli.done;
      expect(run.code).toBe(130);
      expect(run.stdout).toContain(
        `Interrupted. The job keeps running; resume with: mailsift jobs wait ${job.id} -o ${file('later.csv')}`,
      );
      expect((await api(idle.url, a.test)('GET', `/v1/jobs/${job.id}`)).json.status).toBe('queued');
    } finally {
      await idle.close();
    }
  });

  it('npx mailsift runs the command in this checkout', async () => {
    const run = await runCli(
      ['mailsift', '--version'],
      {},
      { cwd: ROOT, command: ['npx', '--no-install'] },
    );
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 0, stdout: '0.1.0\n' });
  });
});
