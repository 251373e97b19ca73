import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/harness.ts';
import { startOwnRedis, type OwnService } from '../../support/own-services.ts';
import { freePort, stopProcess } from '../../support/processes.ts';

// `npm start` as a new user types it, with Postgres or Redis not running, and with them running:
// what it says must be true and must say what to do.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const base = new URL(process.env.MAILSIFT_TEST_DATABASE_URL!);
const dbName = `mailsift_startmsg_${process.pid}_${Date.now()}`;
const dbUrl = Object.assign(new URL(base), { pathname: `/${dbName}` }).toString();
const adminUrl = Object.assign(new URL(base), { pathname: '/postgres' }).toString();
const children: ChildProcess[] = [];
let redis: OwnService | undefined;

/** Each child leads its own process group (npm, its shell, node): all of it goes at the end. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

afterAll(async () => {
  for (const c of children) killGroup(c, 'SIGKILL');
  await redis?.close();
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await client.end();
});

/** `npm start` (or another script), its output kept; `exited` resolves with the exit code. */
function npm(script: string[], env: Record<string, string>) {
  const child = spawn('npm', script, {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: dbUrl,
      QUEUE_PREFIX: `mailsift-startmsg-${process.pid}`,
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

/** A loopback port with nothing listening on it. */
const closedPort = freePort;

/** Our own lines of stderr (npm adds its "command failed" lines after them). */
const ownLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('mailsift:'));

describe('npm start when a backing service is down', () => {
  it('when Redis is not running, then npm start says in one line where it looked and how to start it, and exits 69 without a stack trace', async () => {
    const port = await closedPort();
    const run = npm(['start'], { REDIS_URL: `redis://127.0.0.1:${port}`, PORT: '0' });
    expect(await run.exited).toBe(69);
    const lines = ownLines(run.stderr());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^mailsift: cannot reach Redis at 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`),
    );
    expect(lines[0]).toContain('docker compose up -d redis');
    expect(lines[0]).toContain('REDIS_URL');
    expect(run.stderr() + run.stdout()).not.toMatch(/^\s+at /m);
  });

  it('when Postgres is not running, then npm start names Postgres, its address and how to start it, and exits 69', async () => {
    const port = await closedPort();
    const run = npm(['start'], {
      DATABASE_URL: `postgresql://postgres:secret@127.0.0.1:${port}/mailsift`,
      PORT: '0',
    });
    expect(await run.exited).toBe(69);
    const lines = ownLines(run.stderr());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^mailsift: cannot reach Postgres at 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`),
    );
    expect(lines[0]).toContain('docker compose up -d postgres');
    expect(lines[0]).not.toContain('secret'); // the URL's password is never printed
    expect(run.stderr() + run.stdout()).not.toMatch(/^\s+at /m);
  });

  it('when STARTUP_WAIT_MS is set and Redis comes up late, then npm start says it waits for Redis and starts once it answers', async () => {
    redis = await startOwnRedis();
    await redis.stop();
    const run = npm(['start'], {
      REDIS_URL: redis.url,
      PORT: String(await freePort()),
      STARTUP_WAIT_MS: '300000',
    });
    await waitFor(
      async () => {
        if (run.child.exitCode !== null) throw new Error(`exited: ${run.stderr()}`);
        return run.stderr().includes(`mailsift: waiting for Redis at 127.0.0.1:${redis!.port}`);
      },
      { what: 'the waiting line', timeoutMs: 60_000 },
    );
    await redis.start();
    await waitFor(async () => /test key:\s+ms_test_\w+[^]*listening on:/.test(run.stdout()), {
      what: 'the demo keys after Redis came up',
      timeoutMs: 60_000,
    });
    expect(run.stderr()).toContain(`mailsift: Redis at 127.0.0.1:${redis.port} is up`);
    expect(ownLines(run.stderr()).filter((l) => l.includes('waiting for'))).toHaveLength(1);
    expect(await stopProcess(run.child, 'SIGTERM')).toBe(0);
  }, 150_000);
});

/** A non-loopback IPv4 address of this machine, if it has one. */
function externalAddress(): string | null {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return null;
}

const connects = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

describe('npm start says where it listens, and logs for the reader', () => {
  it('when HOST=127.0.0.1, then it says it listens on 127.0.0.1 only, and another interface is refused; without HOST it says every interface, and it is', async () => {
    const port = await freePort();
    const local = npm(['start'], { PORT: String(port), HOST: '127.0.0.1' });
    await waitFor(async () => /listening on:/.test(local.stdout()), {
      what: 'the listening line',
      timeoutMs: 60_000,
    });
    expect(local.stdout()).toContain(
      `listening on:   http://127.0.0.1:${port} only (HOST=127.0.0.1)`,
    );
    expect(await connects('127.0.0.1', port)).toBe(true);
    const other = externalAddress();
    if (other) expect(await connects(other, port)).toBe(false);
    expect(await stopProcess(local.child, 'SIGTERM')).toBe(0);

    const port2 = await freePort();
    const all = npm(['start'], { PORT: String(port2) });
    await waitFor(async () => /listening on:/.test(all.stdout()), {
      what: 'the listening line',
      timeoutMs: 60_000,
    });
    expect(all.stdout()).toContain(`listening on:   every interface, port ${port2}`);
    if (other) expect(await connects(other, port2)).toBe(true);
    // stdout is a pipe here: the log lines are JSON, one object a line. The log line may come
    // after the banner, so wait for it rather than read it once.
    await waitFor(async () => all.stdout().includes('mailsift listening on'), {
      what: 'the log line of the listener',
      timeoutMs: 30_000,
    });
    const logLine = all
      .stdout()
      .split('\n')
      .find((l) => l.includes('mailsift listening on'));
    expect(JSON.parse(logLine!)).toMatchObject({ level: 30, role: 'all' });
    expect(await stopProcess(all.child, 'SIGTERM')).toBe(0);
  }, 150_000);

  it('when stdout is a terminal, then the log lines are readable text, not JSON', async () => {
    const port = await freePort();
    // script(1) gives npm start a pseudo-terminal, as a user's shell does.
    const env = {
      ...process.env,
      DATABASE_URL: dbUrl,
      QUEUE_PREFIX: `mailsift-startmsg-${process.pid}`,
      LOG_LEVEL: 'info',
      PORT: String(port),
    };
    const child = spawn('script', ['-qefc', 'npm start', '/dev/null'], {
      cwd: root,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    children.push(child);
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.resume();
    await waitFor(async () => /mailsift listening on/.test(out), {
      what: 'the listening log line',
      timeoutMs: 60_000,
    });
    const line = out.split(/\r?\n/).find((l) => l.includes('mailsift listening on'))!;
    expect(line).toMatch(/INFO/);
    expect(line.trim().startsWith('{')).toBe(false);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    killGroup(child, 'SIGTERM');
    await exited;
  }, 120_000);
});
