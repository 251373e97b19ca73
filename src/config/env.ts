import os from 'node:os';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import {
  parseProxies,
  parseRoutes,
  parseSourceAddresses,
  type RouteConfig,
} from '../validation/network-config.ts';

/** Thrown when the environment does not describe a runnable service; names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (fallback: number, min = 0) =>
  z.coerce
    .number({ message: 'must be a number' })
    .int({ message: 'must be a whole number' })
    .min(min, { message: `must be at least ${min}` })
    .default(fallback);

/** A comma-separated setting as its non-empty, trimmed entries. */
const commaList = (v: string | undefined) =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];

const hostPort = z
  .string()
  .trim()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:.]+)(:\d{1,5})?$/, 'must be an ip or ip:port');

/** A Redis Cluster node: host:port (port 6379 when left out); IPv6 in brackets. */
const NODE = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/;
const clusterNode = z
  .string()
  .regex(NODE, 'must be a comma list of host:port')
  .transform((n) => {
    const [, host, port] = NODE.exec(n)!;
    return { host: host!.replace(/^\[|\]$/g, ''), port: port ? Number(port) : 6379 };
  });
export type RedisNode = { host: string; port: number };

const CLUSTER_URL = /^rediss?\+cluster:/;
function isRedisUrl(u: string): boolean {
  if (!/^rediss?:\/\//.test(u)) return false;
  try {
    new URL(u);
    return true;
  } catch {
    return false;
  }
}

/**
 * `redis+cluster://[user:password@]host:port,host:port` (`rediss+cluster://` for TLS): the seed
 * nodes of a Redis Cluster; the client learns the others from them. null when malformed.
 */
function parseClusterUrl(
  u: string,
): { nodes: RedisNode[]; username?: string; password?: string; tls: boolean } | null {
  const m = /^(rediss?)\+cluster:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#@]+)\/?$/.exec(u);
  if (!m) return null;
  const nodes = m[4]!.split(',').map((n) => clusterNode.safeParse(n.trim()));
  if (nodes.some((n) => !n.success)) return null;
  return {
    nodes: nodes.map((n) => n.data!),
    ...(m[2] ? { username: decodeURIComponent(m[2]) } : {}),
    ...(m[3] ? { password: decodeURIComponent(m[3]) } : {}),
    tls: m[1] === 'rediss',
  };
}

/** Where Redis is: one server (a URL) or a cluster (seed nodes, optional credentials and TLS). */
function redisTarget(env: { REDIS_URL: string; REDIS_CLUSTER_NODES: RedisNode[] }) {
  if (env.REDIS_CLUSTER_NODES.length > 0)
    return { url: env.REDIS_URL, cluster: { nodes: env.REDIS_CLUSTER_NODES, tls: false } };
  const cluster = CLUSTER_URL.test(env.REDIS_URL) ? parseClusterUrl(env.REDIS_URL) : null;
  return { url: env.REDIS_URL, cluster };
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const isProxyEntry = (e: string) =>
  PROXY_NAMES.has(e) || ipaddr.isValid(e) || (e.includes('/') && isCidr(e));
function isCidr(e: string): boolean {
  try {
    ipaddr.parseCIDR(e);
    return true;
  } catch {
    return false;
  }
}

/**
 * Which proxies are believed about the client address (X-Forwarded-For), in Express's terms:
 * false (none), a number of hops, or the proxies' addresses. `true` means one hop: the proxy in
 * front appends the address it saw, so only the right-most entry is the proxy's word; everything
 * left of it was written by the client and could be anything.
 */
const trustProxy = z
  .string()
  .trim()
  .default('false')
  .transform((v, ctx): false | number | string[] => {
    const lower = v.toLowerCase();
    if (['false', 'no', '0'].includes(lower)) return false;
    if (['true', 'yes'].includes(lower)) return 1;
    if (/^\d+$/.test(v)) return Number(v);
    const entries = v
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean);
    if (entries.length > 0 && entries.every(isProxyEntry)) return entries;
    ctx.addIssue({
      code: 'custom',
      message: 'must be true, false, a number of hops, or a comma list of proxy IPs / CIDRs',
    });
    return z.NEVER;
  });

/** A string parsed by `parse`, whose Error becomes the variable's issue. */
const parsed = <T>(parse: (text: string) => T, fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx): T => {
      try {
        return parse(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    });

/** A comma list of DNS names; `none` for an empty list. */
const nameList = (fallback: string) =>
  parsed((v) => {
    if (v.trim().toLowerCase() === 'none') return [];
    const names = v
      .split(/[,\s]+/)
      .map((s) => s.trim().toLowerCase().replace(/\.$/, ''))
      .filter(Boolean);
    for (const n of names)
      if (!/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)+$/.test(n))
        throw new Error(`"${n}" is not a domain name (use "none" for no names)`);
    return names;
  }, fallback);

/** The longest retention an account can have, in days (ten years). */
export const MAX_RETENTION_DAYS = 3650;

const fields = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(3000).pipe(z.number().max(65535, 'must be a port number')),
  DATABASE_URL: z
    .url({ message: 'must be a postgresql:// URL' })
    .refine((u) => /^postgres(ql)?:\/\//.test(u), 'must be a postgresql:// URL')
    .default('postgresql://postgres@127.0.0.1:5432/mailsift'),
  REDIS_URL: z
    .string()
    .trim()
    .refine(
      (u) => (CLUSTER_URL.test(u) ? parseClusterUrl(u) !== null : isRedisUrl(u)),
      'must be a redis:// URL, or redis+cluster://host:port,host:port for a Redis Cluster',
    )
    .default('redis://127.0.0.1:6379'),
  REDIS_CLUSTER_NODES: z.string().optional().transform(commaList).pipe(z.array(clusterNode)),
  QUEUE_PREFIX: z.string().min(1).default('mailsift'),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  DNS_SERVERS: z.string().optional().transform(commaList).pipe(z.array(hostPort)),
  DNS_TIMEOUT_MS: int(5000, 1),
  // Resolver canaries (docs/network.md): domains that must have MX records.
  DNS_CANARY_DOMAINS: nameList('gmail.com,outlook.com,yahoo.com'),
  DIAGNOSTICS_INTERVAL_MS: int(300000, 0),
  DIAGNOSTICS_DNSBL_ZONES: nameList('zen.spamhaus.org,b.barracudacentral.org,bl.spamcop.net'),
  SMTP_PROXIES: parsed(parseProxies, ''),
  // Parsed in loadConfig, once the proxy names are known.
  SMTP_ROUTES: z.string().default(''),
  SMTP_SOURCE_ADDRESSES: parsed(parseSourceAddresses, ''),
  SMTP_PROXY_MAX_CONNECTIONS: int(10, 1),
  SMTP_PORT: int(25, 1).pipe(z.number().max(65535, 'must be a port number')),
  SMTP_HELO_NAME: z.string().min(1).default(os.hostname()),
  SMTP_MAIL_FROM: z.string().min(3).optional(),
  SMTP_TIMEOUT_MS: int(30000, 1),
  SMTP_ALLOW_PRIVATE: bool(false),
  SMTP_MAX_CONNECTIONS_PER_HOST: int(3, 1),
  // Rejected RCPTs (4xx/5xx) after which a session ends and the rest go on in a new one: well
  // under Postfix's smtpd_soft_error_limit (10) and hard limit (20). See docs/engine.md.
  SMTP_MAX_REJECTIONS_PER_SESSION: int(5, 1),
  // RFC 2920: MAIL FROM and the RCPTs in one write when the server offers PIPELINING.
  SMTP_PIPELINING: bool(true),
  SMTP_RETRY_ATTEMPTS: int(2, 0),
  SMTP_RETRY_DELAY_MS: int(300000, 0),
  SMTP_PACING_BASE_MS: int(60000, 1),
  SMTP_PACING_MAX_MS: int(3600000, 1),
  SMTP_PACING_MAX_WAITS: int(12, 0),
  WEBHOOK_ALLOW_PRIVATE: bool(false),
  WEBHOOK_TIMEOUT_MS: int(10000, 1),
  WEBHOOK_BACKOFF_BASE_MS: int(5000, 1),
  WEBHOOK_MAX_ATTEMPTS: int(10, 1),
  TRUST_PROXY: trustProxy,
  MAX_UPLOAD_BYTES: int(104857600, 1),
  MAX_EMAILS_PER_JOB: int(1000000, 1),
  TEST_DAILY_LIMIT: int(100, 0),
  // Days a job's results are kept after it ends (docs/retention.md); an operator can set an
  // account's own. The purge task runs every RETENTION_PURGE_INTERVAL_MS (0: never).
  RESULTS_RETENTION_DAYS: int(30, 1).pipe(
    z.number().max(MAX_RETENTION_DAYS, `must be at most ${MAX_RETENTION_DAYS}`),
  ),
  RETENTION_PURGE_INTERVAL_MS: int(3600000, 0),
  // The demo account of `npm start`: enough to try a real-sized list with its test key.
  DEMO_TEST_DAILY_LIMIT: int(100000, 0),
  // Hard deadline of one synchronous validation request (API.md: 30 s), end to end.
  VALIDATION_DEADLINE_MS: int(30000, 1),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // auto: readable lines on a terminal, JSON lines when stdout is a file or a pipe.
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  // Address the API listens on; unset, every interface (as a container needs).
  HOST: z
    .string()
    .trim()
    .refine((h) => ipaddr.isValid(h) || h === 'localhost', 'must be an IP address or localhost')
    .optional(),
  // How long a starting process waits for Postgres and Redis before giving up (0: not at all).
  STARTUP_WAIT_MS: int(0, 0),
  // When set, GET /metrics asks for 'Authorization: Bearer <token>'.
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  UPLOAD_DIR: z.string().min(1).default(os.tmpdir()),
  CHUNK_SIZE: int(500, 1),
  // Unique addresses per chunk of a quick-mode job (no SMTP: larger chunks, fewer round trips).
  QUICK_CHUNK_SIZE: int(5000, 1),
  WORKER_CONCURRENCY: int(4, 1),
  // Domain groups one worker process verifies at once, across all its chunks (each may hold an
  // SMTP session): the sessions in flight. See docs/performance.md.
  SMTP_SESSIONS_IN_FLIGHT: int(16, 1),
  SHUTDOWN_TIMEOUT_MS: int(25000, 1),
  // V8 lets the heap grow to this much above what is live before collecting (0: V8's own, up to
  // 4x): a 1M-row job's garbage otherwise took `npm start` to ~700 MB over ~100 MB live.
  HEAP_GROWING_PERCENT: int(50, 0),
  WORKER_LOCK_DURATION_MS: int(30000, 1000),
  JOB_SWEEP: bool(true),
  // Off unless set: a separate worker process serves its own /metrics on this port.
  WORKER_METRICS_PORT: z.coerce
    .number({ message: 'must be a number' })
    .int({ message: 'must be a port number' })
    .min(1, { message: 'must be a port number' })
    .max(65535, { message: 'must be a port number' })
    .optional(),
  WORKER_STALLED_INTERVAL_MS: int(30000, 500),
});

const schema = fields.superRefine((env, ctx) => {
  const cluster = env.REDIS_CLUSTER_NODES.length > 0 || CLUSTER_URL.test(env.REDIS_URL);
  if (env.REDIS_CLUSTER_NODES.length > 0 && CLUSTER_URL.test(env.REDIS_URL))
    ctx.addIssue({
      code: 'custom',
      path: ['REDIS_CLUSTER_NODES'],
      message: 'set either REDIS_CLUSTER_NODES or a redis+cluster:// REDIS_URL, not both',
    });
  // The hash tags that keep each queue's keys in one slot are ours ({prefix:queue}).
  if (cluster && /[{}]/.test(env.QUEUE_PREFIX))
    ctx.addIssue({
      code: 'custom',
      path: ['QUEUE_PREFIX'],
      message: 'must not contain { or } with a Redis Cluster (mailsift adds the hash tags)',
    });
});

export type Env = z.infer<typeof schema>;

function group(env: Env, routes: RouteConfig[] = []) {
  return {
    env: env.NODE_ENV,
    http: {
      port: env.PORT,
      host: env.HOST ?? null,
      trustProxy: env.TRUST_PROXY,
      adminToken: env.ADMIN_TOKEN ?? null,
      metricsToken: env.METRICS_TOKEN ?? null,
    },
    startupWaitMs: env.STARTUP_WAIT_MS,
    db: { url: env.DATABASE_URL },
    redis: { ...redisTarget(env), queuePrefix: env.QUEUE_PREFIX },
    dns: {
      servers: env.DNS_SERVERS,
      timeoutMs: env.DNS_TIMEOUT_MS,
      canaries: env.DNS_CANARY_DOMAINS,
    },
    diagnostics: {
      intervalMs: env.DIAGNOSTICS_INTERVAL_MS,
      dnsblZones: env.DIAGNOSTICS_DNSBL_ZONES,
    },
    smtp: {
      port: env.SMTP_PORT,
      heloName: env.SMTP_HELO_NAME,
      mailFrom: env.SMTP_MAIL_FROM ?? `verify@${env.SMTP_HELO_NAME}`,
      timeoutMs: env.SMTP_TIMEOUT_MS,
      allowPrivate: env.SMTP_ALLOW_PRIVATE,
      maxConnectionsPerHost: env.SMTP_MAX_CONNECTIONS_PER_HOST,
      maxRejectionsPerSession: env.SMTP_MAX_REJECTIONS_PER_SESSION,
      pipelining: env.SMTP_PIPELINING,
      retryAttempts: env.SMTP_RETRY_ATTEMPTS,
      retryDelayMs: env.SMTP_RETRY_DELAY_MS,
      pacing: { baseMs: env.SMTP_PACING_BASE_MS, maxMs: env.SMTP_PACING_MAX_MS },
      pacingMaxWaits: env.SMTP_PACING_MAX_WAITS,
      proxies: env.SMTP_PROXIES,
      routes,
      sourceAddresses: env.SMTP_SOURCE_ADDRESSES,
      maxConnectionsPerProxy: env.SMTP_PROXY_MAX_CONNECTIONS,
    },
    webhooks: {
      allowPrivate: env.WEBHOOK_ALLOW_PRIVATE,
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      backoffBaseMs: env.WEBHOOK_BACKOFF_BASE_MS,
      maxAttempts: env.WEBHOOK_MAX_ATTEMPTS,
    },
    limits: {
      maxUploadBytes: env.MAX_UPLOAD_BYTES,
      maxEmailsPerJob: env.MAX_EMAILS_PER_JOB,
      testDailyLimit: env.TEST_DAILY_LIMIT,
      demoTestDailyLimit: env.DEMO_TEST_DAILY_LIMIT,
      validationDeadlineMs: env.VALIDATION_DEADLINE_MS,
    },
    jobs: {
      uploadDir: env.UPLOAD_DIR,
      chunkSize: env.CHUNK_SIZE,
      quickChunkSize: env.QUICK_CHUNK_SIZE,
      workerConcurrency: env.WORKER_CONCURRENCY,
      sessionsInFlight: env.SMTP_SESSIONS_IN_FLIGHT,
      lockDurationMs: env.WORKER_LOCK_DURATION_MS,
      sweepUnstarted: env.JOB_SWEEP,
      stalledIntervalMs: env.WORKER_STALLED_INTERVAL_MS,
      metricsPort: env.WORKER_METRICS_PORT ?? null,
    },
    retention: {
      days: env.RESULTS_RETENTION_DAYS,
      purgeIntervalMs: env.RETENTION_PURGE_INTERVAL_MS,
    },
    log: { level: env.LOG_LEVEL, format: env.LOG_FORMAT },
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    heapGrowingPercent: env.HEAP_GROWING_PERCENT,
  };
}

export type Config = ReturnType<typeof group>;

/**
 * Reads and validates the environment once. This is the only reader of process.env; a bad value
 * throws a ConfigError whose message names every offending variable.
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const raw = Object.fromEntries(
    Object.entries(source).filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  let routes: RouteConfig[];
  try {
    routes = parseRoutes(
      parsed.data.SMTP_ROUTES,
      new Set(parsed.data.SMTP_PROXIES.map((p) => p.name)),
    );
  } catch (err) {
    throw new ConfigError(`Invalid configuration:\n  SMTP_ROUTES: ${(err as Error).message}`);
  }
  return group(parsed.data, routes);
}
