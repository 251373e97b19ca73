import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';

const run = promisify(execFile);

/**
 * A Redis Cluster of the test's own: `masters` redis-server processes in cluster mode on free
 * loopback ports (Debian's redis-server; no replicas), joined with `redis-cli --cluster create`,
 * data in a temporary folder. Everything is killed and removed by `close()`, or when the test
 * process exits.
 */
export interface RedisClusterUnderTest {
  /** `127.0.0.1:port,...`: the value of REDIS_CLUSTER_NODES. */
  nodes: string;
  ports: number[];
  /** A plain connection to one node (not cluster-aware): CLUSTER KEYSLOT, DBSIZE... */
  node(port: number): Redis;
  /** The port of the master that serves `key`'s slot. */
  masterOf(key: string): Promise<number>;
  close(): Promise<void>;
}

const alive = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** A port free now whose cluster bus port (port + 10000) is free as well. */
async function clusterPort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await canListen(port)) && (await canListen(port + 10_000))) {
      taken.add(port).add(port + 10_000);
      return port;
    }
  }
  throw new Error('no free port pair for a cluster node');
}

async function poll(what: string, check: () => Promise<boolean>, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startRedisCluster(masters = 3): Promise<RedisClusterUnderTest> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mailsift-redis-cluster-'));
  const taken = new Set<number>();
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  const clients: Redis[] = [];
  const node = (port: number) => {
    const c = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, lazyConnect: false });
    // Killed at close() while a client may still reconnect: its errors are expected then.
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };
  const close = async () => {
    for (const c of clients.splice(0)) c.disconnect();
    await Promise.all(
      children.splice(0).map(async (c) => {
        if (c.exitCode !== null || c.signalCode !== null) return;
        const exited = once(c, 'exit');
        c.kill('SIGKILL');
        await exited;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const port = await clusterPort(taken);
      ports.push(port);
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--cluster-node-timeout',
          '5000',
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'no',
          '--maxmemory-policy',
          'noeviction',
        ],
        { stdio: 'ignore' },
      );
      alive.add(child);
      child.once('exit', () => alive.delete(child));
      children.push(child);
    }
    for (const port of ports) {
      const c = node(port);
      await poll(`redis node ${port}`, async () => (await c.ping()) === 'PONG');
    }
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    // Every node must know every slot's owner before a client asks it anything.
    for (const port of ports) {
      const c = node(port);
      await poll(`cluster_state:ok on ${port}`, async () =>
        /cluster_state:ok/.test(await c.cluster('INFO')),
      );
    }
  } catch (err) {
    await close();
    throw err;
  }
  const admin = node(ports[0]!);
  return {
    nodes: ports.map((p) => `127.0.0.1:${p}`).join(','),
    ports,
    node,
    async masterOf(key) {
      const slot = await admin.cluster('KEYSLOT', key);
      const slots = await admin.cluster('SLOTS');
      const owner = slots.find(([from, to]) => slot >= from && slot <= to);
      if (!owner) throw new Error(`no master serves slot ${slot}`);
      return owner[2]![1];
    },
    close,
  };
}
