import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, api, startHarness, useHarness } from '../../support/harness.ts';

const h = useHarness();

describe('operations routes', () => {
  it('when Redis and Postgres answer, then /healthz and /readyz are 200, with X-Request-Id', async () => {
    const health = await api(h.url)('GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    expect((await api(h.url)('GET', '/readyz')).json).toMatchObject({ status: 'ready' });
    const echoed = await api(h.url)('GET', '/healthz', undefined, {
      'x-request-id': 'client-trace-1234',
    });
    expect(echoed.headers.get('x-request-id')).toBe('client-trace-1234');
  });

  it('when /metrics is scraped, then it is Prometheus text with the HTTP histogram', async () => {
    const res = await api(h.url)('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.text).toContain('mailsift_http_request_duration_seconds_bucket');
  });
});

describe('admin routes', () => {
  const admin = () => api(h.url, ADMIN_TOKEN);

  it('when the token is wrong or missing, then 401 in the envelope', async () => {
    for (const call of [api(h.url, 'nope-nope-nope-nope'), api(h.url)]) {
      const res = await call('POST', '/admin/accounts', { name: 'x' });
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe('INVALID_API_KEY');
    }
  });

  it('when an operator creates an account, a key, credits and disables the key, then each takes effect', async () => {
    const created = await admin()('POST', '/admin/accounts', {
      name: 'Acme',
      plan: 'hobby',
      credits: 10,
    });
    expect(created.status).toBe(201);
    expect(created.json).toEqual({
      id: expect.stringMatching(/^acct_/),
      webhook_secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]+=*$/),
      keys: { live: expect.stringMatching(/^ms_live_/), test: expect.stringMatching(/^ms_test_/) },
      key_ids: { live: expect.stringMatching(/^key_/), test: expect.stringMatching(/^key_/) },
    });
    expect(created.json.key_ids.live).not.toBe(created.json.key_ids.test);
    const stored = await h.deps.db.prisma.apiKey.findMany({
      where: { accountId: created.json.id },
    });
    expect(stored.map((k) => k.keyHash)).not.toContain(created.json.keys.live);
    expect(JSON.stringify(stored)).not.toContain(created.json.keys.live);

    const key = await admin()('POST', `/admin/accounts/${created.json.id}/keys`, {
      mode: 'live',
      scopes: ['validate:read'],
      ip_allowlist: ['10.0.0.0/8', '2001:db8::/32'],
      expires_at: '2099-01-01T00:00:00Z',
    });
    expect(key.status).toBe(201);
    expect(key.json).toEqual({
      id: expect.stringMatching(/^key_/),
      key: expect.stringMatching(/^ms_live_/),
    });

    const credits = await admin()('POST', `/admin/accounts/${created.json.id}/credits`, {
      amount: 15,
    });
    expect(credits.json).toEqual({ balance: 25 });

    const disabled = await admin()('PATCH', `/admin/keys/${key.json.id}`, { disabled: true });
    expect(disabled.status).toBe(200);
    const use = await api(h.url, key.json.key)('GET', '/v1/jobs');
    expect(use.status).toBe(401);
    expect(use.json.error.code).toBe('API_KEY_DISABLED');
  });

  it('when the body is invalid or the account unknown, then 400 / 404 in the envelope', async () => {
    const bad = await admin()('POST', '/admin/accounts', {
      name: '',
      plan: 'platinum',
      credits: -5,
    });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.json.error.details.fields).sort()).toEqual(['credits', 'name', 'plan']);
    const missing = await admin()('POST', '/admin/accounts/acct_nope/credits', { amount: 5 });
    expect(missing.status).toBe(404);
  });
});

describe('when ADMIN_TOKEN is unset or a backing service is down', () => {
  it('then /admin is 404 like any unknown route', async () => {
    const off = await startHarness({ ADMIN_TOKEN: '' });
    try {
      const res = await api(off.url, ADMIN_TOKEN)('POST', '/admin/accounts', { name: 'x' });
      expect(res.status).toBe(404);
      expect(res.json.error.code).toBe('NOT_FOUND');
    } finally {
      await off.close();
    }
  });

  it('then /readyz is 503 with Retry-After while Redis is unreachable, and /healthz stays 200', async () => {
    const down = await startHarness({ REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const ready = await api(down.url)('GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.headers.get('retry-after')).toBe('5');
      expect(ready.json.error.code).toBe('SERVICE_UNAVAILABLE');
      expect((await api(down.url)('GET', '/healthz')).status).toBe(200);
    } finally {
      await down.close();
    }
  });

  it('then /readyz and the job routes are 503 while Postgres is unreachable, naming no host', async () => {
    const down = await startHarness({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/mailsift' });
    try {
      const ready = await api(down.url)('GET', '/readyz');
      expect(ready.status).toBe(503);
      const key = `ms_live_${'a'.repeat(40)}`;
      for (const [method, path, body] of [
        ['GET', '/v1/jobs'],
        ['POST', '/v1/jobs', { emails: ['a@b.co'] }],
      ] as const) {
        const res = await api(down.url, key)(method, path, body);
        expect(res.status, `${method} ${path}`).toBe(503);
        expect(res.headers.get('retry-after')).toBe('5');
        expect(res.json.error.code).toBe('SERVICE_UNAVAILABLE');
        expect(res.text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|postgres/i);
      }
    } finally {
      await down.close();
    }
  });

  it('then creating a job is 503 while Redis is unreachable, and nothing is charged or stored', async () => {
    const up = await startHarness();
    const acct = await up.account('business', 10);
    await up.close();
    const down = await startHarness({ REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const res = await api(down.url, acct.live)('POST', '/v1/jobs', { emails: ['a@example.com'] });
      expect(res.status).toBe(503);
      expect(res.json.error.code).toBe('SERVICE_UNAVAILABLE');
      expect(res.headers.get('retry-after')).toBe('5');
      const account = await down.deps.db.prisma.account.findUniqueOrThrow({
        where: { id: acct.id },
      });
      expect(account.creditBalance).toBe(10);
      expect(
        await down.deps.db.prisma.job.count({
          where: { accountId: acct.id, deletedAt: null, status: { not: 'failed' } },
        }),
      ).toBe(0);
    } finally {
      await down.close();
    }
  });
});
