import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { waitFor } from './harness.ts';
import { freePort } from './processes.ts';

/**
 * A Redis and a Postgres of a test's own, on free loopback ports, that the test may stop and
 * start again at will (the shared instances on 6379 / 5432 are never touched: other tests use
 * them). Both keep their data across a stop: Redis with AOF (as production should run it),
 * Postgres in its data directory.
 */
export interface OwnService {
  url: string;
  port: number;
  readonly running: boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

// Every daemon still running when the process ends is killed (a test that failed half-way).
const alive = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

/** Waits until `check` answers true; a check that throws (not up yet) counts as false. */
async function poll(what: string, check: () => Promise<boolean>, timeoutMs = 120_000) {
  await waitFor(() => check().catch(() => false), { timeoutMs, intervalMs: 100, what });
}

/** A daemon the test owns: started, stopped (with `signal`) and started again at will. */
async function daemon(
  o: { name: string; url: string; port: number; dir: string; signal: NodeJS.Signals },
  start: () => ChildProcess,
  ready: () => Promise<boolean>,
): Promise<OwnService> {
  const name = o.name;
  let child: ChildProcess | null = null;
  let log = '';
  const service: OwnService = {
    url: o.url,
    port: o.port,
    get running() {
      return child !== null;
    },
    async start() {
      if (child) return;
      const c = start();
      alive.add(c);
      c.stdout?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
      c.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
      c.once('exit', () => alive.delete(c));
      child = c;
      await poll(`${name} to accept connections`, async () => {
        if (c.exitCode !== null) throw new Error(`${name} exited: ${log}`);
        return ready();
      });
    },
    /** A clean, fast shutdown, awaited. */
    async stop() {
      const c = child;
      if (!c) return;
      child = null;
      if (c.exitCode === null && c.signalCode === null) {
        const exited = once(c, 'exit');
        c.kill(o.signal);
        await exited;
      }
    },
    async close() {
      await service.stop();
      rmSync(o.dir, { recursive: true, force: true });
    },
  };
  await service.start();
  return service;
}

/** redis-server on a free port, appendonly (fsync always), data in a temp folder. */
export async function startOwnRedis(): Promise<OwnService> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mailsift-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  const ping = async () => {
    const r = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    r.on('error', () => undefined);
    try {
      await r.connect();
      return (await r.ping()) === 'PONG';
    } finally {
      r.disconnect();
    }
  };
  return daemon(
    { name: 'redis-server', url, port, dir, signal: 'SIGTERM' },
    () =>
      spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--dir',
          dir,
          '--appendonly',
          'yes',
          '--appendfsync',
          'always',
          '--save',
          '',
          '--maxmemory-policy',
          'noeviction',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    ping,
  );
}

/** The newest installed PostgreSQL's bin folder (Debian: /usr/lib/postgresql/<major>/bin). */
function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root) : [];
  const newest = majors
    .sort((a, b) => Number(b) - Number(a))
    .map((m) => path.join(root, m, 'bin'))
    .find((d) => existsSync(path.join(d, 'postgres')));
  if (!newest) throw new Error('no PostgreSQL server in /usr/lib/postgresql/*/bin');
  return newest;
}

/**
 * initdb into a temp folder and a postgres on a free port (trust auth, user postgres). As root
 * both run as the `postgres` user: initdb refuses root.
 */
export async function startOwnPostgres(): Promise<OwnService> {
  const bin = postgresBin();
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mailsift-pg-'));
  const asUser: { uid?: number; gid?: number } = {};
  if (process.getuid?.() === 0) {
    asUser.uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    asUser.gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, asUser.uid, asUser.gid);
  }
  const data = path.join(dir, 'data');
  execFileSync(
    path.join(bin, 'initdb'),
    ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'],
    { ...asUser, stdio: 'pipe' },
  );
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  const select1 = async () => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  // SIGINT: a "fast" shutdown, as `pg_ctl stop -m fast` does; sessions are cut at once.
  return daemon(
    { name: 'postgres', url, port, dir, signal: 'SIGINT' },
    () =>
      spawn(
        path.join(bin, 'postgres'),
        [
          '-D',
          data,
          '-p',
          String(port),
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          `unix_socket_directories=${dir}`,
          '-c',
          'fsync=off',
          '-c',
          'max_connections=200',
        ],
        { ...asUser, stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    select1,
  );
}

/** The URL of a database `name` on this server (created by the project's migrator if missing). */
export function databaseUrl(server: OwnService, name: string): string {
  const u = new URL(server.url);
  u.pathname = `/${name}`;
  return u.toString();
}
