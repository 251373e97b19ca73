import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, jobWhen, useHarness } from '../../support/harness.ts';
import { freePort, spawnWorker, stopProcess } from '../../support/processes.ts';
import { sumOf } from '../../support/prom-text.ts';

// A worker process on its own (`npm run start:worker`) serves its own /metrics.
let worker: ChildProcess | undefined;
let metricsUrl: string;

const h = useHarness();
beforeAll(async () => {
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}`;
  worker = spawnWorker(h.processEnv({ WORKER_METRICS_PORT: String(port) }));
});
afterAll(async () => {
  if (worker) await stopProcess(worker, 'SIGKILL');
});

const scrape = async () => {
  const res = await fetch(`${metricsUrl}/metrics`);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return res.text();
};
const counter = (text: string, status: string) =>
  sumOf(text, 'mailsift_verdicts_total', { source: 'job', mode: 'test', status });

describe('the metrics of a separate worker process (WORKER_METRICS_PORT)', () => {
  it('when the worker verifies a job, then its /metrics counts the verdicts, and SIGTERM closes it', async () => {
    const acct = await h.account('business', 10);
    const call = api(h.url, acct.test);
    const created = await call('POST', '/v1/jobs', {
      emails: ['deliverable@example.com', 'ok@example.com', 'undeliverable@example.com'],
    });
    expect(created.status).toBe(201);
    // A worker process started with tsx may take most of a minute to boot on a loaded machine.
    await jobWhen(call, created.json.id, 'completed', 100_000);

    const text = await scrape();
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(counter(text, 'deliverable')).toBe(2);
    expect(counter(text, 'undeliverable')).toBe(1);
    // The queues are read from Redis at scrape time: a worker reports them as the API does.
    expect(text).toMatch(
      /^mailsift_queue_tasks\{queue="chunks",task="validate-chunk",state="waiting"\} 0$/m,
    );
    const other = await fetch(`${metricsUrl}/nothing`);
    expect(other.status).toBe(404);
    expect(((await other.json()) as any).error.code).toBe('NOT_FOUND');

    expect(await stopProcess(worker!, 'SIGTERM')).toBe(0);
    await expect(fetch(`${metricsUrl}/healthz`)).rejects.toThrow();
  }, 150_000);
});
