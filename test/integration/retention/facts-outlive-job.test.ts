import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeExpired } from '../../../src/domain/retention/purge-expired.ts';
import { mxZones, startDnsServer, type DnsServer } from '../../support/dns-server.ts';
import { api, jobWhen, startHarness, type Harness } from '../../support/harness.ts';

// docs/retention.md: facts follow the retention in force, a job the days it was created with;
// after the default is raised a job's facts outlive it. Its facts refer to its results
// (email_facts.job_seq, idx): the purge of the job must not leave them pointing at nothing.

let h: Harness;
let dns: DnsServer;

beforeAll(async () => {
  dns = await startDnsServer(mxZones({ 'example.com': '127.0.0.2' }));
  h = await startHarness(
    { DNS_SERVERS: dns.address, RESULTS_RETENTION_DAYS: '30' },
    { workers: true },
  );
});
afterAll(async () => {
  await h?.close();
  await dns?.close();
});

const sql = (text: string, ...params: unknown[]) => h.deps.db.pool.query(text, params);

describe('a job whose facts outlive it (the default retention raised after it was created)', () => {
  it('when the purge removes the job, then GET /v1/enrichment answers for its addresses exactly as before the purge', async () => {
    const acct = await h.account('business', 1_000);
    const call = api(h.url, acct.live);
    const created = await call('POST', '/v1/jobs', {
      emails: ['a.1@example.com', 'a.2@example.com', 'a.3@example.com'],
      quick_mode: true,
    });
    expect(created.status, created.text).toBe(201);
    const job = await jobWhen(call, created.json.id as string);
    // Created when the default was 10 days, ended 11 days ago; its facts are 11 days old of 30.
    await sql(
      `UPDATE jobs SET retention_days = 10, completed_at = completed_at - interval '11 days',
                       expires_at = completed_at - interval '1 day',
                       created_at = created_at - interval '11 days' WHERE id = $1`,
      job.id,
    );
    await sql(
      `UPDATE email_facts SET validated_at = validated_at - interval '11 days'
        WHERE job_seq = (SELECT seq FROM jobs WHERE id = $1)`,
      job.id,
    );
    const ask = async () => {
      const res = await call('GET', '/v1/enrichment?email=a.2@example.com');
      expect(res.status, res.text).toBe(200);
      const { remaining_credits: _, ...body } = res.json as Record<string, unknown>;
      return body;
    };
    const before = await ask();
    expect(before).toMatchObject({ status: 'found', email: 'a.2@example.com' });

    const report = await purgeExpired(h.deps, { batch: 2 });
    expect(report.jobs).toBe(1);
    expect((await call('GET', `/v1/jobs/${job.id}`)).status).toBe(404);

    expect(await ask()).toEqual(before);
  });

  it('when the purge removes a job its owner deleted (its purge-job task never ran), then its addresses stay unknown to enrichment', async () => {
    const acct = await h.account('business', 1_000);
    const call = api(h.url, acct.live);
    const created = await call('POST', '/v1/jobs', {
      emails: ['d.1@example.com'],
      quick_mode: true,
    });
    expect(created.status, created.text).toBe(201);
    const job = await jobWhen(call, created.json.id as string);
    await sql(
      `UPDATE jobs SET retention_days = 10, completed_at = completed_at - interval '11 days',
                       deleted_at = completed_at - interval '11 days',
                       expires_at = completed_at - interval '1 day' WHERE id = $1`,
      job.id,
    );
    const ask = () => call('GET', '/v1/enrichment?email=d.1@example.com');
    await purgeExpired(h.deps);
    expect((await ask()).json.status).toBe('not_found');
  });
});
