import { describe, expect, it } from 'vitest';
import { api, jobWhen, useHarness, useAccount } from '../../support/harness.ts';

// The page is served by the API itself, at /, with a CSP that allows this origin only, and it
// takes no path from anyone else: /v1, /admin, /healthz... answer as before.

const h = useHarness({}, { workers: true });
const keys = useAccount(h, 'business', 100);

const PAGE_MARK = '<div id="app">';

describe('the web page as the API serves it', () => {
  it('when / is asked for, then the built page comes with a CSP that forbids other origins and no inline script', async () => {
    const res = await fetch(`${h.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    const html = await res.text();
    expect(html).toContain(PAGE_MARK);
    // Every script is a file of this origin; none is inline.
    const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const attrs of scripts) expect(attrs).toMatch(/src="\/assets\/[\w.-]+\.js"/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);

    const js = /src="(\/assets\/[\w.-]+\.js)"/.exec(html)![1]!;
    const asset = await fetch(`${h.url}${js}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toMatch(/immutable/);
    expect(asset.headers.get('content-security-policy')).toBe(csp);
    // The key goes in a header: the bundle never builds an api_key query.
    expect(await asset.text()).not.toContain('api_key');
  });

  it('when paths outside the page are asked for, then they keep their own answers and a missing asset is the JSON 404', async () => {
    const missing = await fetch(`${h.url}/assets/nope.js`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as any).error.code).toBe('NOT_FOUND');

    const noKey = await fetch(`${h.url}/v1/nothing-here`);
    expect(noKey.status).toBe(401);
    const unknownV1 = await api(h.url, keys.test)('GET', '/v1/nothing-here');
    expect(unknownV1.status).toBe(404);
    expect(unknownV1.json.error.code).toBe('NOT_FOUND');

    expect((await api(h.url)('GET', '/healthz')).json).toEqual({ status: 'ok' });
    expect((await api(h.url)('GET', '/metrics')).text).toMatch(/# HELP/);
    const admin = await api(h.url)('GET', '/admin/accounts');
    expect(admin.text).not.toContain(PAGE_MARK);
    for (const path of ['/openapi.json', '/docs', '/index.html', '/v1', '/jobs', '/readyz']) {
      const res = await fetch(`${h.url}${path}`);
      expect(await res.text(), path).not.toContain(PAGE_MARK);
    }
  });

  it('when the page asks GET /v1/account, then it learns whether the plan has the SMTP probe', async () => {
    const business = await api(h.url, keys.test)('GET', '/v1/account');
    expect(business.json.features).toEqual({ smtp: true });
    const free = await h.account('free', 10);
    expect((await api(h.url, free.live)('GET', '/v1/account')).json.features).toEqual({
      smtp: false,
    });
  });

  it('when a job has run, then GET /v1/jobs/{id}/summary counts its rows per status and per reason, duplicates included', async () => {
    const call = api(h.url, keys.test);
    const created = await call('POST', '/v1/jobs', {
      emails: [
        'deliverable@example.com',
        'catchall@example.com',
        'risky@example.com',
        'timeout@example.com',
        'not-an-address',
        ' deliverable@EXAMPLE.com',
      ],
    });
    expect(created.status).toBe(201);
    const job = await jobWhen(call, created.json.id);
    const summary = await call('GET', `/v1/jobs/${job.id}/summary`);
    expect(summary.status).toBe(200);
    expect(summary.json).toMatchObject({
      object: 'job_summary',
      job_id: job.id,
      status: 'completed',
      total: 6,
      processed: 6,
      counts: job.counts,
    });
    expect(summary.json.reasons).toEqual([
      { status: 'deliverable', reason: 'accepted_email', count: 2 },
      { status: 'risky', reason: 'catch_all', count: 1 },
      { status: 'risky', reason: 'low_quality', count: 1 },
      { status: 'undeliverable', reason: 'invalid_syntax', count: 1 },
      { status: 'unknown', reason: 'timeout', count: 1 },
    ]);
    const other = await h.account('business', 10);
    expect((await api(h.url, other.test)('GET', `/v1/jobs/${job.id}/summary`)).status).toBe(404);
  });
});
