import { describe, expect, it } from 'vitest';
import { limitKeys } from '../../../src/data/limits.store.ts';
import { monthStamp } from '../../../src/domain/limits/calendar.ts';
import { queueNames } from '../../../src/queue/catalog.ts';
import { queuePrefixOf } from '../../../src/queue/redis.ts';
import { createLogger } from '../../../src/lib/logger.ts';
import { ProviderPacer } from '../../../src/validation/pacing.ts';
import { startMailWorld } from '../../support/mail-world.ts';
import { api, csvForm, jobWhen, useHarness } from '../../support/harness.ts';
import { useResource } from '../../support/use-resource.ts';
import { startRedisCluster } from '../../support/redis-cluster.ts';
import { startReceiver } from '../../support/webhook-receiver.ts';
import { expectError } from '../../support/limits.ts';
import { FAST_WEBHOOKS, verifyWith } from '../../support/webhooks.ts';

// The whole service on a 3-master Redis Cluster of the test's own (REDIS_CLUSTER_NODES): the
// API's queues, the workers, the limit counters and the engine's shared keys. A key layout that
// put two keys of one script or MULTI in different slots would fail here with CROSSSLOT.

const cluster = useResource(() => startRedisCluster(3), { timeout: 120_000 });
const mail = useResource(
  () =>
    startMailWorld(
      [
        { host: '127.0.0.151', behaviour: { knownUsers: ['alice', 'bob'] } },
        { host: '127.0.0.152', behaviour: { acceptAll: true } },
      ],
      { 'good.test': '127.0.0.151', 'catch.test': '127.0.0.152' },
      { 'gone.test': { nxdomain: true } },
    ),
  { timeout: 120_000 },
);
const receiver = useResource(() => startReceiver(), { timeout: 120_000 });
const h = useHarness(
  () => ({
    ...mail.env,
    ...FAST_WEBHOOKS,
    SMTP_TIMEOUT_MS: '5000',
    CHUNK_SIZE: '3',
    REDIS_CLUSTER_NODES: cluster.nodes,
  }),
  { workers: true, timeout: 120_000 },
);

/** Every key of the cluster, by the port of the master that holds it. */
async function keysByMaster(): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  for (const port of cluster.ports) {
    out.set(port, await cluster.node(port).keys(`*${h.config.redis.queuePrefix}*`));
  }
  return out;
}

describe('mailsift on a 3-master Redis Cluster', () => {
  it('when a CSV is uploaded, then workers on the cluster verify it in chunks, the results match the rows, and the signed webhook arrives', async () => {
    expect(h.config.redis.cluster?.nodes).toHaveLength(3);
    const acct = await h.account('business', 1000);
    const call = api(h.url, acct.test);
    const csv = [
      'name,email',
      'ann,deliverable@example.com',
      'bob,undeliverable@example.org',
      'cy,risky@example.net',
      'dee,not-an-email',
      'eve,deliverable@EXAMPLE.com',
      'fay,unknown@example.com',
      'gus,deliverable@example.org',
    ].join('\n');
    const created = await call(
      'POST',
      '/v1/jobs',
      csvForm(csv, { webhook_url: `${receiver.url}/hooks` }),
    );
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({ total: 7, unique: 6, status: 'queued' });
    const done = await jobWhen(call, created.json.id, 'completed', 60_000);
    expect(done).toMatchObject({ processed: 7, progress: 100 });
    expect(done.counts).toEqual({ deliverable: 3, undeliverable: 2, risky: 1, unknown: 1 });

    const results = await call('GET', `/v1/jobs/${created.json.id}/results?limit=3`);
    expect(results.status).toBe(200);
    const rest = await call(
      'GET',
      `/v1/jobs/${created.json.id}/results?cursor=${results.json.next_cursor}`,
    );
    const rows = [...results.json.data, ...rest.json.data];
    expect(rows.map((r: any) => [r.index, r.status])).toEqual([
      [0, 'deliverable'],
      [1, 'undeliverable'],
      [2, 'risky'],
      [3, 'undeliverable'],
      [4, 'deliverable'],
      [5, 'unknown'],
      [6, 'deliverable'],
    ]);

    const [request] = await receiver.waitForRequests(1);
    const event = verifyWith(acct.webhookSecret, request!);
    expect(event).toMatchObject({
      type: 'job.completed',
      data: { id: created.json.id, status: 'completed', processed: 7 },
    });

    // Each queue's keys sit together on the master that serves its hash tag, {prefix:queue}.
    const byMaster = await keysByMaster();
    for (const queue of queueNames) {
      const tag = queuePrefixOf(h.config.redis, queue);
      const master = await cluster.masterOf(tag);
      const keys = [...byMaster.values()].flat().filter((k) => k.startsWith(`${tag}:`));
      expect(keys.length, `keys of queue ${queue}`).toBeGreaterThan(0);
      expect(byMaster.get(master)).toEqual(expect.arrayContaining(keys));
    }
  });

  it('when a live job probes real mail servers, then its verdicts are right and the engine keeps its shared state on the cluster', async () => {
    const acct = await h.account('business', 100);
    const call = api(h.url, acct.live);
    const csv = [
      'email',
      'alice@good.test',
      'carol@good.test',
      'anyone@catch.test',
      'someone@gone.test',
      'bob@good.test',
    ].join('\n');
    const created = await call('POST', '/v1/jobs', csvForm(csv, { smtp: 'true' }));
    expect(created.status, created.text).toBe(201);
    await jobWhen(call, created.json.id, 'completed', 60_000);
    const results = (await call('GET', `/v1/jobs/${created.json.id}/results`)).json.data;
    expect(results.map((r: any) => [r.email, r.status, r.reason])).toEqual([
      ['alice@good.test', 'deliverable', 'accepted_email'],
      ['carol@good.test', 'undeliverable', 'rejected_email'],
      ['anyone@catch.test', 'risky', 'catch_all'],
      ['someone@gone.test', 'undeliverable', 'invalid_domain'],
      ['bob@good.test', 'deliverable', 'accepted_email'],
    ]);

    // The catch-all answer is shared through the cluster, and every connection lease came back.
    const prefix = `${h.config.redis.queuePrefix}:`;
    expect(await h.deps.redis.get(`${prefix}smtp:catchall:catch.test`)).toBe('1');
    expect(await h.deps.redis.get(`${prefix}smtp:catchall:good.test`)).toBe('0');
    expect(await h.deps.redis.zcard(`${prefix}smtp:conn:127.0.0.151`)).toBe(0);
    // The live emails were counted against the month on the account's slot.
    const month = limitKeys(h.config.redis.queuePrefix, acct.id).emailsOfMonth(
      monthStamp(new Date()),
    );
    expect(Number(await h.deps.redis.get(month))).toBe(5);
  });

  it("when a provider throttles, then its pause and its level are set together in one script on the provider's slot", async () => {
    const prefix = `${h.config.redis.queuePrefix}:smtp:pause:`;
    const logger = createLogger('silent');
    const pacer = new ProviderPacer(
      h.deps.redis,
      prefix,
      { baseMs: 60_000, maxMs: 600_000 },
      logger,
    );
    expect(await pacer.pause('service:google')).toBe(60_000);
    // The script ran in Redis (a CROSSSLOT error would have fallen back to this process only).
    expect(await h.deps.redis.pttl(`${prefix}{service:google}`)).toBeGreaterThan(0);
    expect(await h.deps.redis.get(`${prefix}level:{service:google}`)).toBe('1');
    const other = new ProviderPacer(
      h.deps.redis,
      prefix,
      { baseMs: 60_000, maxMs: 600_000 },
      logger,
    );
    expect(await other.pausedFor('service:google')).toBeGreaterThan(0);
  });

  it('when an account passes its quota and its minute, then the counters on the cluster refuse it like on one server', async () => {
    const acct = await h.account('free', 1000);
    const call = api(h.url, acct.live);
    const emails = (n: number, p: string) =>
      Array.from({ length: n }, (_, i) => `${p}${i}@example.com`);
    expect((await call('POST', '/v1/jobs', { emails: emails(90, 'a') })).status).toBe(201);
    const over = await call('POST', '/v1/jobs', { emails: emails(11, 'b') });
    expectError(over, 429, 'QUOTA_EXCEEDED', expect.anything() as never);
    expect(over.json.error.details).toMatchObject({ limit: 100, used: 90, requested: 11 });
    const usage = (await call('GET', '/v1/account')).json.usage;
    expect(usage).toMatchObject({ month: 90, today: 90, monthly_quota: 100 });

    // Free plan: 60 requests a minute per key, three were made above.
    const replies = await Promise.all(Array.from({ length: 58 }, () => call('GET', '/v1/account')));
    expect(replies.filter((r) => r.status === 429)).toHaveLength(1);
    const remaining = replies
      .filter((r) => r.status === 200)
      .map((r) => Number(r.headers.get('x-ratelimit-remaining')))
      .sort((x, y) => x - y);
    expect(remaining).toEqual(Array.from({ length: 57 }, (_, i) => i));
  });
});
