import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/app.ts';
import { api, startHarness, type Harness, type TestAccount } from '../../support/harness.ts';

let h: Harness;
let account: TestAccount;
// The harness's own server checks every response against the OpenAPI document, which spells
// paths in one case; these requests spell them in 400 ways, so they go to a plain app server.
let plain: Server;
let plainUrl: string;
beforeAll(async () => {
  h = await startHarness();
  account = await h.account('business');
  plain = buildApp(h.deps).listen(0, '127.0.0.1');
  await new Promise((r) => plain.once('listening', r));
  plainUrl = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => plain?.close(r));
  plain?.closeAllConnections();
  await h?.close();
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
});
