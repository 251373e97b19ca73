import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/app.ts';
import { api, waitFor, useHarness, useAccount } from '../../support/harness.ts';

// The harness's own server checks every response against the OpenAPI document, which spells
// paths in one case; these requests spell them in 400 ways, so they go to a plain app server.
let plain: Server;
let plainUrl: string;
// The plain app's log lines, as JSON objects (its logger writes here).
const logLines: Record<string, unknown>[] = [];
const h = useHarness();
const account = useAccount(h, 'business');
beforeAll(async () => {
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean))
          logLines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    }),
  );
  plain = buildApp({ ...h.deps, logger }).listen(0, '127.0.0.1');
  await new Promise((r) => plain.once('listening', r));
  plainUrl = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => plain?.close(r));
  plain?.closeAllConnections();
});

/** The `route` label values of the HTTP histogram, as /metrics shows them. */
async function routeLabels(): Promise<Set<string>> {
  const text = (await api(plainUrl)('GET', '/metrics')).text;
  return new Set(
    [...text.matchAll(/mailsift_http_request_duration_seconds_count\{[^}]*route="([^"]*)"/g)].map(
      (m) => m[1]!,
    ),
  );
}

/** The n-th spelling of `word` in upper and lower case (bit i of n upper-cases letter i). */
const spelling = (word: string, n: number) =>
  [...word].map((c, i) => ((n >> i) & 1 ? c.toUpperCase() : c)).join('');

describe('metrics labels', () => {
  it('when a key holder sends 400 case variants of a path, then /metrics gains no time series', async () => {
    const call = api(plainUrl, account.live);
    const first = await call('GET', '/v1/enrichment?email=nobody@example.com');
    expect(first.status).toBe(200);
    await routeLabels(); // the scrape itself is a request: its own series exists from now on
    const before = await routeLabels();
    const sizeBefore = (await api(plainUrl)('GET', '/metrics')).text.length;
    for (let n = 1; n <= 400; n++) {
      const res = await call(
        'GET',
        `/${spelling('v1', n >> 10)}/${spelling('enrichment', n)}?email=nobody@example.com`,
      );
      expect(res.status).toBe(200);
      // Unmatched paths, with and without a key, share one label too.
      if (n % 50 === 0) {
        expect((await call('GET', `/v1/nothing-${n}`)).status).toBe(404);
        expect((await api(plainUrl)('GET', `/v1/Nothing-${n}`)).status).toBe(401);
      }
    }
    const after = await routeLabels();
    expect([...after].filter((l) => !before.has(l)).sort()).toEqual(
      [...new Set(['unmatched', ...before])].filter((l) => !before.has(l)),
    );
    expect(after.has('/v1/enrichment')).toBe(true);
    expect([...after].some((l) => /[A-Z]/.test(l))).toBe(false);
    const sizeAfter = (await api(plainUrl)('GET', '/metrics')).text.length;
    // Only counts change (plus at most the one shared 'unmatched' series per status).
    expect(sizeAfter - sizeBefore).toBeLessThan(20_000);
  });

  it('when a request is refused with 401 before its route runs, then its metric and its log line carry the full route pattern', async () => {
    const call = api(plainUrl); // no key
    const res = await call('GET', '/v1/jobs/job_abc/results.csv', undefined, {
      'x-request-id': 'req-labels-401-test',
    });
    expect(res.status).toBe(401);
    const text = (await api(plainUrl)('GET', '/metrics')).text;
    expect(text).toMatch(
      /mailsift_http_request_duration_seconds_count\{[^}]*route="\/v1\/jobs\/:id\/results\.csv",status="401"\} [1-9]/,
    );
    const line = await waitFor(
      async () => logLines.find((l) => l.reqId === 'req-labels-401-test' && l.msg === 'request'),
      { what: 'the request log line' },
    );
    expect(line).toMatchObject({ route: '/v1/jobs/:id/results.csv', status: 401 });
    // A route the app answers, and one on a router mounted under a prefix, read the same way.
    const ok = await api(plainUrl, account.live)(
      'POST',
      '/v1/validate/batch',
      { emails: [] },
      {
        'x-request-id': 'req-labels-batch-test',
      },
    );
    expect(ok.status).toBe(400);
    const batch = await waitFor(
      async () => logLines.find((l) => l.reqId === 'req-labels-batch-test' && l.msg === 'request'),
      { what: 'the batch log line' },
    );
    expect(batch).toMatchObject({ route: '/v1/validate/batch', status: 400 });
  });
});
