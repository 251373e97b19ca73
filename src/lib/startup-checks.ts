import net from 'node:net';

/** A backing service a process needs before it can start, and how a user starts it. */
export interface Service {
  name: 'Postgres' | 'Redis';
  /** `host:port`, never the URL: it may hold a password. */
  where: string;
  host: string;
  port: number;
  /** The setting that points at it. */
  setting: string;
  /** How to start it, in a README reader's terms. */
  start: string;
}

function serviceOf(
  name: Service['name'],
  url: string,
  defaultPort: number,
  setting: string,
): Service | null {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!host) return null; // a Unix socket: nothing to probe by address
  const port = Number(u.port || defaultPort);
  const where = `${u.hostname}:${port}`;
  const service = name.toLowerCase();
  return {
    name,
    where,
    host,
    port,
    setting,
    start: `start it (\`docker compose up -d ${service}\`, or \`sudo systemctl start ${service === 'postgres' ? 'postgresql' : 'redis-server'}\`) or point ${setting} at a running one`,
  };
}

export function backingServices(config: {
  db: { url: string };
  redis: { url: string; cluster?: { nodes: { host: string; port: number }[] } | null };
}) {
  const seed = config.redis.cluster?.nodes[0];
  const redis = seed
    ? serviceOf(
        'Redis',
        `redis://${seed.host.includes(':') ? `[${seed.host}]` : seed.host}:${seed.port}`,
        6379,
        'REDIS_URL',
      )
    : serviceOf('Redis', config.redis.url, 6379, 'REDIS_URL');
  return [serviceOf('Postgres', config.db.url, 5432, 'DATABASE_URL'), redis].filter(
    (s): s is Service => s !== null,
  );
}

/** Why a TCP connection to the service fails (`ECONNREFUSED`, `timeout`...), or null if it opens. */
export function unreachable(s: Service, timeoutMs = 2000): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: s.host, port: s.port });
    const done = (why: string | null) => {
      socket.destroy();
      resolve(why);
    };
    socket.setTimeout(timeoutMs, () => done('no answer within 2 s'));
    socket.once('connect', () => done(null));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

export class ServiceUnreachableError extends Error {
  override name = 'ServiceUnreachableError';
}

/**
 * Resolves once every service accepts a connection. With `waitMs` 0 the first unreachable one
 * throws at once; otherwise one "waiting for …" line is written per service, and the wait gives
 * up after `waitMs`. Either way the error is one line: what, where, how to start it.
 */
export async function waitForServices(
  services: Service[],
  waitMs: number,
  say: (line: string) => void,
): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (const s of services) {
    let announced = false;
    for (;;) {
      const why = await unreachable(s);
      if (why === null) {
        if (announced) say(`${s.name} at ${s.where} is up`);
        break;
      }
      if (Date.now() >= deadline) {
        const waited = waitMs > 0 ? ` after waiting ${Math.round(waitMs / 1000)} s` : '';
        throw new ServiceUnreachableError(
          `cannot reach ${s.name} at ${s.where} (${why})${waited}: ${s.start}${waitMs > 0 ? '' : '; STARTUP_WAIT_MS=60000 waits for it'}.`,
        );
      }
      if (!announced) {
        say(
          `waiting for ${s.name} at ${s.where} (${why}), up to ${Math.ceil((deadline - Date.now()) / 1000)} s: ${s.start}`,
        );
        announced = true;
      }
      await new Promise((r) => setTimeout(r, Math.min(500, Math.max(deadline - Date.now(), 0))));
    }
  }
}
