import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/lib/logger.ts';
import { startMetricsServer } from '../../../workers/metrics-server.ts';
import { api, useHarness } from '../../support/harness.ts';
import { freePort } from '../../support/processes.ts';
import { useResource } from '../../support/use-resource.ts';

// METRICS_TOKEN protects /metrics of the API and of a worker process alike (README, Settings).
const TOKEN = 'scrape-token-0123456789';
let workerUrl: string;

const h = useHarness({ METRICS_TOKEN: TOKEN });
// A worker's metrics server, as workers/main.ts starts it.
useResource(async () => {
  const port = await freePort();
  workerUrl = `http://127.0.0.1:${port}`;
  return startMetricsServer(port, createLogger('silent'), undefined, TOKEN);
});

describe('METRICS_TOKEN', () => {
  it('when the API is scraped without the token or with another, then 401 in the envelope; with it, the metrics', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer not-the-token-at-all' },
    ];
    for (const headers of attempts) {
      const res = await api(h.url)('GET', '/metrics', undefined, headers);
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe('INVALID_API_KEY');
      expect(res.json.error.message).toMatch(/metrics token/);
    }
    const ok = await api(h.url)('GET', '/metrics', undefined, { authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    // The refusals above were counted like any request.
    expect(ok.text).toContain('mailsift_http_request_duration_seconds_bucket');
  });

  it("when a worker's metrics server is scraped without the token, then 401; with it, 200; /healthz stays open", async () => {
    const refused = await fetch(`${workerUrl}/metrics`);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'INVALID_API_KEY',
    );
    const ok = await fetch(`${workerUrl}/metrics`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('# TYPE');
    expect((await fetch(`${workerUrl}/healthz`)).status).toBe(200);
  });
});
