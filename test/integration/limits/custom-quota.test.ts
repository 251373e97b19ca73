import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mxZones, startDnsServer } from '../../support/dns-server.ts';
import { ADMIN_TOKEN, api, useHarness } from '../../support/harness.ts';
import { useResource } from '../../support/use-resource.ts';
import { dropCounters, expectError, stateOf } from '../../support/limits.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const asAdmin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const admin = () => api(h.url, undefined);

const dns = useResource(() => startDnsServer(mxZones({ 'example.com': '127.0.0.2' })));
const h = useHarness(() => ({ DNS_SERVERS: dns.address }), { beforeClose: dropCounters });

const emails = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => `${tag}${i}@example.com`);
const usageOf = async (key: string) => (await api(h.url, key)('GET', '/v1/account')).json.usage;
const setPlan = (id: string, body: unknown) =>
  admin()('PATCH', `/admin/accounts/${id}`, body, asAdmin);

function cli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: h.config.db.url, LOG_LEVEL: 'silent' },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('an operator gives an account its own monthly quota (custom plan)', () => {
  it('when a free account gets a quota of 150, then a job of 120 passes, the next 31 get QUOTA_EXCEEDED at 150, and null returns it to 100', async () => {
    const acct = await h.account('free', 1_000);
    const call = api(h.url, acct.live);

    const set = await setPlan(acct.id, { monthly_quota: 150 });
    expect(set.status).toBe(200);
    expect(set.json).toEqual({
      id: acct.id,
      plan: 'free',
      monthly_quota: 150,
      custom_quota: true,
      results_retention_days: 30,
      custom_retention: false,
    });
    expect(await usageOf(acct.live)).toMatchObject({ month: 0, monthly_quota: 150 });

    // Past the free plan's 100: accepted under the account's own quota.
    expect((await call('POST', '/v1/jobs', { emails: emails(120, 'a') })).status).toBe(201);
    expect((await usageOf(acct.live)).month).toBe(120);

    const before = await stateOf(h, acct.id);
    const over = await call('POST', '/v1/jobs', { emails: emails(31, 'b') });
    expectError(over, 429, 'QUOTA_EXCEEDED', {
      limit: 150,
      used: 120,
      percentage: 80,
      requested: 31,
      tier: 'free',
      resetsAt: expect.any(String),
    });
    expect(over.json.error.message).toContain('custom quota');
    expect(await stateOf(h, acct.id)).toEqual(before);
    expect((await call('POST', '/v1/jobs', { emails: emails(30, 'c') })).status).toBe(201);

    const back = await setPlan(acct.id, { monthly_quota: null });
    expect(back.json).toEqual({
      id: acct.id,
      plan: 'free',
      monthly_quota: 100,
      custom_quota: false,
      results_retention_days: 30,
      custom_retention: false,
    });
    expect(await usageOf(acct.live)).toMatchObject({ month: 150, monthly_quota: 100 });
    expectError(
      await call('POST', '/v1/jobs', { emails: emails(1, 'd') }),
      429,
      'QUOTA_EXCEEDED',
      expect.objectContaining({ limit: 100, used: 150 }),
    );
  });

  it('when the plan is changed with the quota, then both hold; the grace of the plan applies to the custom quota', async () => {
    const acct = await h.account('hobby', 1_000);
    const res = await setPlan(acct.id, { plan: 'business', monthly_quota: 200 });
    expect(res.json).toEqual({
      id: acct.id,
      plan: 'business',
      monthly_quota: 200,
      custom_quota: true,
      results_retention_days: 30,
      custom_retention: false,
    });
    const row = await h.deps.db.prisma.account.findUniqueOrThrow({ where: { id: acct.id } });
    expect({ plan: row.plan, monthlyQuota: row.monthlyQuota }).toEqual({
      plan: 'business',
      monthlyQuota: 200,
    });
    const call = api(h.url, acct.live);
    // business runs on to 120 %: 240 of 200.
    expect((await call('POST', '/v1/jobs', { emails: emails(240, 'g') })).status).toBe(201);
    expectError(
      await call('POST', '/v1/jobs', { emails: emails(1, 'h') }),
      429,
      'GRACE_PERIOD_EXCEEDED',
      expect.objectContaining({ limit: 200, used: 240, hardLimit: 240 }),
    );
  });

  it('when the body is empty, the quota not a positive integer or the plan unknown, then 400; an unknown account is 404', async () => {
    const acct = await h.account('free', 10);
    for (const body of [
      {},
      { monthly_quota: 0 },
      { monthly_quota: 1.5 },
      { monthly_quota: '9' },
      { plan: 'gold' },
    ]) {
      const res = await setPlan(acct.id, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error.code).toBe('VALIDATION_ERROR');
    }
    const row = await h.deps.db.prisma.account.findUniqueOrThrow({ where: { id: acct.id } });
    expect({ plan: row.plan, monthlyQuota: row.monthlyQuota }).toEqual({
      plan: 'free',
      monthlyQuota: null,
    });
    const missing = await setPlan('acct_nope', { monthly_quota: 10 });
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe('NOT_FOUND');
    const anonymous = await admin()('PATCH', `/admin/accounts/${acct.id}`, { monthly_quota: 10 });
    expect(anonymous.status).toBe(401);
  });

  it('when the operator runs `cli set-plan --monthly-quota`, then the account gets it, and `--monthly-quota plan` removes it', async () => {
    const acct = await h.account('business', 10);
    const set = cli(['set-plan', acct.id, '--monthly-quota', '1000000']);
    expect(set.status, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({
      id: acct.id,
      plan: 'business',
      monthly_quota: 1_000_000,
      custom_quota: true,
    });
    expect(await usageOf(acct.live)).toMatchObject({ monthly_quota: 1_000_000 });

    const cleared = cli(['set-plan', acct.id, '--monthly-quota', 'plan']);
    expect(JSON.parse(cleared.stdout)).toMatchObject({
      monthly_quota: 100_000,
      custom_quota: false,
    });

    const bad = cli(['set-plan', acct.id, '--monthly-quota', 'lots']);
    expect(bad.status).toBe(1);
    // A negative quota is the option's value, refused by its check (not an unknown option).
    const negative = cli(['set-plan', acct.id, '--monthly-quota', '-5']);
    expect(negative.status).toBe(1);
    expect(negative.stderr).toContain('--monthly-quota: Too small');
    const missing = cli(['set-plan', 'acct_nope', '--monthly-quota', '5']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('NOT_FOUND');
  }, 240_000); // four CLI processes, each compiling on start: slow on a loaded machine
});
