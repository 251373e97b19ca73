import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createServer, type Server } from 'node:http';
import { buildApp } from '../../src/app.ts';
import { answerClientErrors } from '../../src/http/http-server.ts';
import { uploadDirOf } from '../../src/http/upload-dir.ts';
import { loadConfig, type Config } from '../../src/config/env.ts';
import { createDeps, type Deps } from '../../src/deps.ts';
import { createAccount } from '../../src/domain/accounts/manage-accounts.ts';
import type { PlanName } from '../../src/domain/billing/plans.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { startWorkers } from '../../workers/start-workers.ts';
import { recordingListener } from './openapi-checker.ts';
import { useResource } from './use-resource.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface Harness {
  url: string;
  config: Config;
  deps: Deps;
  uploadDir: string;
  account(plan?: PlanName, credits?: number): Promise<TestAccount>;
  /** The environment of a real API or worker process that shares this harness's database and queues. */
  processEnv(extra?: Record<string, string>): Record<string, string>;
  startWorkers(): void;
  close(): Promise<void>;
}

export interface TestAccount {
  id: string;
  webhookSecret: string;
  live: string;
  test: string;
}

/**
 * The in-process app on port 0 and, when asked, real BullMQ workers, against the real Postgres
 * and Redis. Each harness has its own queue prefix (obliterated at close) and upload folder.
 */
export async function startHarness(
  env: Record<string, string> = {},
  opts: { workers?: boolean } = {},
): Promise<Harness> {
  const prefix = `t${randomBytes(5).toString('hex')}`;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'mailsift-test-'));
  const config = loadConfig({
    ...process.env,
    QUEUE_PREFIX: prefix,
    UPLOAD_DIR: tmp,
    ADMIN_TOKEN,
    WORKER_LOCK_DURATION_MS: '5000',
    WORKER_STALLED_INTERVAL_MS: '1000',
    // Harnesses share one database but not their queues: sweeping would take others' jobs.
    JOB_SWEEP: 'false',
    // The scripted DNS servers do not serve gmail.com: a test that wants resolver canaries
    // names its own (test/integration/validation/resolver-health.test.ts).
    DNS_CANARY_DOMAINS: 'none',
    ...env,
  });
  const logger = createLogger(config.log.level, { test: prefix });
  const deps = createDeps(config, 'api', logger);
  // Every response is checked against the OpenAPI document (test/support/openapi-checker.ts).
  const server: Server = answerClientErrors(
    createServer(recordingListener(buildApp(deps))),
    logger,
  );
  // Idle keep-alive sockets are closed by the client only: when a busy test process runs the
  // server's 5 s timer late, a request could otherwise be sent on a socket the server is closing.
  server.keepAliveTimeout = 0;
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let workers: { deps: Deps; close: () => Promise<void> } | null = null;

  const harness: Harness = {
    url,
    config,
    deps,
    uploadDir: uploadDirOf({ config }),
    async account(plan = 'business', credits = 100_000) {
      const a = await createAccount(deps, { name: `test ${prefix}`, plan, credits });
      return { id: a.id, webhookSecret: a.webhook_secret, live: a.keys.live, test: a.keys.test };
    },
    processEnv(extra = {}) {
      return {
        DATABASE_URL: config.db.url,
        QUEUE_PREFIX: config.redis.queuePrefix,
        LOG_LEVEL: 'silent',
        DNS_CANARY_DOMAINS: 'none',
        ...extra,
      };
    },
    startWorkers() {
      const workerDeps = createDeps(config, 'worker', logger);
      const running = startWorkers(workerDeps);
      workers = {
        deps: workerDeps,
        async close() {
          await running.close(5000);
          await workerDeps.close();
        },
      };
    },
    async close() {
      await workers?.close();
      await new Promise((r) => server.close(r));
      server.closeAllConnections();
      if (deps.redis.status === 'ready') {
        for (const q of ['jobs', 'chunks', 'webhooks'] as const) {
          await deps.queues
            .queue(q)
            .obliterate({ force: true })
            .catch(() => undefined);
        }
      }
      await deps.close();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
  if (opts.workers) harness.startWorkers();
  return harness;
}

/**
 * A harness for the tests of this file (or `describe`): started before them, closed after them
 * (test/support/use-resource.ts). `env` may be a function, read at the start, for values of
 * resources used before it (a DNS server's address); `beforeClose` runs before it closes.
 */
export function useHarness(
  env: Record<string, string> | (() => Record<string, string>) = {},
  opts: {
    workers?: boolean;
    timeout?: number;
    beforeClose?: (h: Harness) => Promise<unknown>;
  } = {},
): Harness {
  return useResource(
    () => startHarness(typeof env === 'function' ? env() : env, { workers: opts.workers ?? false }),
    {
      name: 'the harness',
      ...(opts.timeout === undefined ? {} : { timeout: opts.timeout }),
      close: async (h) => {
        await opts.beforeClose?.(h);
        await h.close();
      },
    },
  );
}

/** An account of `h`, created before this file's (or `describe`'s) tests. */
export function useAccount(h: Harness, plan?: PlanName, credits?: number): TestAccount {
  return useResource(() => h.account(plan, credits), { name: 'the account', close: null });
}

/**
 * An error body with what differs between any two answers blanked (its time and its request id),
 * so that two refusals can be compared byte for byte ("exactly as absent as a missing job").
 */
export function errorBytes(text: string): string {
  return text
    .replace(/"timestamp":"[^"]+"/, '"timestamp":""')
    .replace(/"request_id":"[^"]+"/, '"request_id":""');
}

/** Polls until `check` returns a value, within a bound; never a fixed sleep. */
export async function waitFor<T>(
  check: () => Promise<T | null | undefined | false>,
  { timeoutMs = 30_000, intervalMs = 50, what = 'condition' } = {},
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function api(base: string, key?: string) {
  return async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const init: RequestInit = {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    };
    if (body instanceof FormData) init.body = body;
    else if (typeof body === 'string') init.body = body;
    else if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const res = await fetch(`${base}${path}`, init);
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
}

export function csvForm(
  content: string | Uint8Array,
  fields: Record<string, string> = {},
  filename = 'list.csv',
) {
  const form = new FormData();
  form.append('csv_file', new Blob([content], { type: 'text/csv' }), filename);
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return form;
}

/** Polls GET /v1/jobs/{id} until the job has `status`; returns the job resource. */
export async function jobWhen(
  call: ReturnType<typeof api>,
  jobId: string,
  status = 'completed',
  timeoutMs = 30_000,
): Promise<any> {
  return waitFor(
    async () => {
      const job = (await call('GET', `/v1/jobs/${jobId}`)).json;
      return job?.status === status ? job : null;
    },
    { what: `job ${jobId} to be ${status}`, timeoutMs },
  );
}
