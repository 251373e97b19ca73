import { describe, expect, it } from 'vitest';
import { api, startHarness, useHarness, useAccount } from '../../support/harness.ts';
import { admin, dropCounters, expectError, newKey, refused } from '../../support/limits.ts';

// API.md's error table, the rows about the caller (401, 402, 403): status, code, details, the
// envelope, and that a refused request charged and stored nothing. error-table-input.test.ts
// has the rows about the request itself.

const h = useHarness({}, { beforeClose: dropCounters });
const acct = useAccount(h, 'business', 1000);

describe('401: who is calling', () => {
  it('when no key is sent, then MISSING_API_KEY names the four ways to send one', async () => {
    const res = await api(h.url)('GET', '/v1/account');
    expectError(res, 401, 'MISSING_API_KEY');
    for (const way of ['Authorization: Token', 'Authorization: Bearer', 'X-API-Key', 'api_key']) {
      expect(res.json.error.message).toContain(way);
    }
  });

  it('when the key is malformed or unknown, then INVALID_API_KEY', async () => {
    expectError(await api(h.url, 'not-a-key')('GET', '/v1/account'), 401, 'INVALID_API_KEY');
    const unknown = `ms_live_${'A'.repeat(40)}`;
    expectError(await api(h.url, unknown)('GET', '/v1/account'), 401, 'INVALID_API_KEY');
  });

  it('when the key was disabled, then API_KEY_DISABLED, and nothing is charged', async () => {
    const key = await newKey(h, acct.id, {});
    expect((await api(h.url, key.key)('GET', '/v1/account')).status).toBe(200);
    expect((await admin(h)('PATCH', `/admin/keys/${key.id}`, { disabled: true })).status).toBe(200);
    const res = await refused(h, acct.id, () =>
      api(h.url, key.key)('POST', '/v1/validate', { email: 'a@example.com' }),
    );
    expectError(res, 401, 'API_KEY_DISABLED');
  });

  it('when the key is past expires_at, then API_KEY_EXPIRED with expiredAt', async () => {
    const expiredAt = new Date(Date.now() - 60_000).toISOString();
    const key = await newKey(h, acct.id, { expires_at: expiredAt });
    const res = await refused(h, acct.id, () =>
      api(h.url, key.key)('POST', '/v1/jobs', { emails: ['a@example.com'] }),
    );
    expectError(res, 401, 'API_KEY_EXPIRED', { expiredAt });
  });
});

describe('402: the wallet', () => {
  it('when the balance cannot cover a job, then INSUFFICIENT_CREDITS with required and balance, nothing deducted', async () => {
    const poor = await h.account('business', 2);
    // 3 unique valid addresses: the duplicate and the invalid one are not charged.
    const emails = ['a@example.com', 'b@example.com', 'c@example.com', ' a@EXAMPLE.com', 'nope'];
    const res = await refused(h, poor.id, () =>
      api(h.url, poor.live)('POST', '/v1/jobs', { emails }),
    );
    expectError(res, 402, 'INSUFFICIENT_CREDITS', { required: 3, balance: 2 });
  });

  it('when the balance cannot cover a sync validation, then INSUFFICIENT_CREDITS and no quota or facts are used', async () => {
    const broke = await h.account('business', 0);
    const call = api(h.url, broke.live);
    const single = await refused(h, broke.id, () =>
      call('POST', '/v1/validate', { email: 'a@example.com', quick_mode: true }),
    );
    expectError(single, 402, 'INSUFFICIENT_CREDITS', { required: 1, balance: 0 });
    const batch = await refused(h, broke.id, () =>
      call('POST', '/v1/validate/batch', {
        emails: ['a@example.com', 'b@example.com', 'a@example.com'],
        quick_mode: true,
      }),
    );
    expectError(batch, 402, 'INSUFFICIENT_CREDITS', { required: 2, balance: 0 });
    const account = await call('GET', '/v1/account');
    expect(account.json.usage).toMatchObject({ today: 0, month: 0 });
  });
});

describe('403: what the key may do', () => {
  it('when a read-only key writes, or a write-only key reads, then INSUFFICIENT_SCOPE on every route', async () => {
    const reader = await newKey(h, acct.id, { scopes: ['validate:read'] });
    const writer = await newKey(h, acct.id, { scopes: ['validate:write'] });
    const writes: [string, string, unknown][] = [
      ['POST', '/v1/jobs', { emails: ['a@example.com'] }],
      ['POST', '/v1/validate', { email: 'a@example.com' }],
      ['POST', '/v1/validate/batch', { emails: ['a@example.com'] }],
      ['DELETE', '/v1/jobs/job_whatever', undefined],
    ];
    for (const [method, path, body] of writes) {
      const res = await refused(h, acct.id, () => api(h.url, reader.key)(method, path, body));
      expectError(res, 403, 'INSUFFICIENT_SCOPE', {
        requiredScope: 'validate:write',
        availableScopes: ['validate:read'],
      });
    }
    const reads = [
      '/v1/account',
      '/v1/enrichment?email=a@example.com',
      '/v1/jobs',
      '/v1/jobs/job_x',
      '/v1/jobs/job_x/results',
      '/v1/jobs/job_x/results.csv',
      '/v1/jobs/job_x/webhooks',
    ];
    for (const path of reads) {
      const res = await api(h.url, writer.key)('GET', path);
      expectError(res, 403, 'INSUFFICIENT_SCOPE', {
        requiredScope: 'validate:read',
        availableScopes: ['validate:write'],
      });
    }
  });

  it('when the client IP is outside the allowlist, then IP_NOT_ALLOWED, and X-Forwarded-For is ignored without TRUST_PROXY', async () => {
    const fenced = await newKey(h, acct.id, { ip_allowlist: ['10.0.0.0/8', '2001:db8::/32'] });
    const res = await refused(h, acct.id, () =>
      api(h.url, fenced.key)(
        'POST',
        '/v1/validate',
        { email: 'a@example.com' },
        { 'x-forwarded-for': '10.1.2.3' },
      ),
    );
    expectError(res, 403, 'IP_NOT_ALLOWED', { requestIp: '127.0.0.1' });
    const local = await newKey(h, acct.id, { ip_allowlist: ['192.0.2.1', '127.0.0.0/8'] });
    expect((await api(h.url, local.key)('GET', '/v1/account')).status).toBe(200);
  });

  it('when TRUST_PROXY is on, then the X-Forwarded-For client is checked, IPv4 and IPv6 CIDRs alike', async () => {
    const proxied = await startHarness({ TRUST_PROXY: 'true' });
    try {
      const owner = await proxied.account('business', 10);
      const { key } = await newKey(proxied, owner.id, {
        ip_allowlist: ['10.0.0.0/8', '2001:db8::/32'],
      });
      const from = (ip: string) =>
        api(proxied.url, key)('GET', '/v1/account', undefined, { 'x-forwarded-for': ip });
      expect((await from('10.200.0.1')).status).toBe(200);
      expect((await from('2001:db8::5')).status).toBe(200);
      expectError(await from('192.0.2.7'), 403, 'IP_NOT_ALLOWED', { requestIp: '192.0.2.7' });
      expectError(await from('2001:db9::5'), 403, 'IP_NOT_ALLOWED', { requestIp: '2001:db9::5' });
      expectError(await api(proxied.url, key)('GET', '/v1/account'), 403, 'IP_NOT_ALLOWED', {
        requestIp: '127.0.0.1',
      });
    } finally {
      await dropCounters(proxied);
      await proxied.close();
    }
  });

  it.each([
    ['true', '192.0.2.9'],
    ['127.0.0.0/8', '192.0.2.9'],
    ['2', '10.0.0.1'],
  ])(
    'when TRUST_PROXY is %s and the client writes its own X-Forwarded-For entry, then only the hops it trusts count (the client is %s)',
    async (trust, client) => {
      // The client sent "X-Forwarded-For: 10.0.0.1"; the proxy before us appended 192.0.2.9.
      const proxied = await startHarness({ TRUST_PROXY: trust });
      try {
        const owner = await proxied.account('business', 10);
        const { key } = await newKey(proxied, owner.id, { ip_allowlist: ['10.0.0.0/8'] });
        const res = await api(proxied.url, key)('GET', '/v1/account', undefined, {
          'x-forwarded-for': '10.0.0.1, 192.0.2.9',
        });
        if (client === '10.0.0.1') expect(res.status).toBe(200);
        else expectError(res, 403, 'IP_NOT_ALLOWED', { requestIp: client });
      } finally {
        await dropCounters(proxied);
        await proxied.close();
      }
    },
  );

  it('when smtp: true is asked on a plan without the probe, then FEATURE_NOT_AVAILABLE (sync and jobs)', async () => {
    const growth = await h.account('growth', 100);
    const call = api(h.url, growth.live);
    const details = { feature: 'smtp', currentTier: 'growth', requiredTier: 'business' };
    expectError(
      await refused(h, growth.id, () =>
        call('POST', '/v1/validate', { email: 'a@example.com', smtp: true }),
      ),
      403,
      'FEATURE_NOT_AVAILABLE',
      details,
    );
    expectError(
      await refused(h, growth.id, () =>
        call('POST', '/v1/validate/batch', { emails: ['a@example.com'], smtp: true }),
      ),
      403,
      'FEATURE_NOT_AVAILABLE',
      details,
    );
    expectError(
      await refused(h, growth.id, () =>
        call('POST', '/v1/jobs', { emails: ['a@example.com'], smtp: true }),
      ),
      403,
      'FEATURE_NOT_AVAILABLE',
      details,
    );
  });
});
