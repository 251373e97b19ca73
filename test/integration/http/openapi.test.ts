import type { Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../../src/http/openapi/document.ts';
import { launchBrowser } from '../../support/browser.ts';
import { api, useHarness } from '../../support/harness.ts';

const h = useHarness();

/** Every route of ../shared/API.md. */
const apiMdRoutes = [
  ['post', '/v1/jobs'],
  ['get', '/v1/jobs'],
  ['get', '/v1/jobs/{id}'],
  ['delete', '/v1/jobs/{id}'],
  ['get', '/v1/jobs/{id}/results'],
  ['get', '/v1/jobs/{id}/results.csv'],
  ['get', '/v1/jobs/{id}/webhooks'],
  ['post', '/v1/validate'],
  ['post', '/v1/validate/batch'],
  ['get', '/v1/account'],
  ['get', '/v1/enrichment'],
  ['post', '/admin/accounts'],
  ['post', '/admin/accounts/{id}/keys'],
  ['patch', '/admin/keys/{id}'],
  ['post', '/admin/accounts/{id}/credits'],
  ['get', '/healthz'],
  ['get', '/readyz'],
  ['get', '/metrics'],
] as const;

describe('GET /openapi.json', () => {
  it('when asked without a key, then it serves the generated OpenAPI 3.1 document of every route', async () => {
    const res = await api(h.url)('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.json).toEqual(buildOpenApiDocument());
    expect(res.json.openapi).toMatch(/^3\.1\./);
    for (const [method, path] of apiMdRoutes) {
      expect(res.json.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    expect(Object.keys(res.json.components.securitySchemes).sort()).toEqual([
      'AdminToken',
      'ApiKeyBearer',
      'ApiKeyHeader',
      'ApiKeyQuery',
      'ApiKeyToken',
    ]);
  });

  it('when a route is documented, then each error status lists the codes of that status only', async () => {
    const doc = buildOpenApiDocument();
    const create = doc.paths['/v1/jobs']!.post as any;
    const codesOf = (status: number) =>
      create.responses[status].content['application/json'].schema.properties.error.properties.code
        .enum;
    expect(codesOf(401)).toEqual([
      'MISSING_API_KEY',
      'INVALID_API_KEY',
      'API_KEY_DISABLED',
      'API_KEY_EXPIRED',
    ]);
    expect(codesOf(402)).toEqual(['INSUFFICIENT_CREDITS']);
    expect(codesOf(429).sort()).toEqual([
      'DAILY_LIMIT_EXCEEDED',
      'GRACE_PERIOD_EXCEEDED',
      'QUOTA_EXCEEDED',
      'RATE_LIMIT_EXCEEDED',
    ]);
    expect(create.responses[429].headers['Retry-After']).toBeDefined();
    expect(create.responses[201].headers.Location).toBeDefined();
    expect(Object.keys(create.requestBody.content).sort()).toEqual([
      'application/json',
      'multipart/form-data',
    ]);
    // The job list has no 402: it never charges.
    expect((doc.paths['/v1/jobs']!.get as any).responses[402]).toBeUndefined();
  });
});

describe('GET /docs', () => {
  it('when asked, then the page and its assets come from this origin, under a self-only CSP', async () => {
    const res = await api(h.url)('GET', '/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    const refs = [...res.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThanOrEqual(4);
    for (const ref of refs) {
      expect(ref, ref).toMatch(/^\/[^/]/);
      const asset = await fetch(new URL(ref, h.url));
      expect(asset.status, ref).toBe(200);
      expect((await asset.arrayBuffer()).byteLength, ref).toBeGreaterThan(0);
    }
    expect(res.text).not.toMatch(/<script>|<style>/);
  });

  it('when an asset is not one of the served files, then 404 in the envelope', async () => {
    for (const path of ['/docs/assets/package.json', '/docs/assets/..%2Fpackage.json']) {
      const res = await api(h.url)('GET', path);
      expect(res.status, path).toBe(404);
      expect(res.json.error.code).toBe('NOT_FOUND');
    }
  });

  // Rendering the whole reference takes a browser tens of seconds on a loaded machine.
  it(
    'when a browser opens /docs, then every operation renders, with nothing from another origin',
    { timeout: 240_000 },
    async () => {
      let browser: Browser | undefined;
      try {
        browser = await launchBrowser();
        const page = await browser.newPage();
        const requested: string[] = [];
        const refused: string[] = [];
        page.on('request', (r) => requested.push(r.url()));
        page.on('console', (m) => {
          if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
        });
        await page.goto(`${h.url}/docs`, { timeout: 120_000 });
        const ops = page.locator('.opblock-summary');
        await expect
          .poll(() => ops.count(), { timeout: 200_000, interval: 1000 })
          .toBe(countOperations());
        expect(await page.locator('.info .title').innerText()).toContain('mailsift API');
        const origin = new URL(h.url).origin;
        const foreign = requested.filter(
          (u) => !u.startsWith('data:') && new URL(u).origin !== origin,
        );
        expect(foreign).toEqual([]);
        expect(requested).toContain(`${origin}/openapi.json`);
        expect(refused).toEqual([]);
      } finally {
        await browser?.close();
      }
    },
  );
});

function countOperations(): number {
  return Object.values(buildOpenApiDocument().paths).reduce(
    (n, item) => n + Object.keys(item).length,
    0,
  );
}
