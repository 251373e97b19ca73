import { describe, expect, it } from 'vitest';
import { chunkStarts } from '../../../src/data/results.repository.ts';
import { chunkSizeOf } from '../../../src/domain/jobs/plan-job.ts';
import { mxZones, startDnsServer } from '../../support/dns-server.ts';
import { api, jobWhen, useHarness } from '../../support/harness.ts';
import { useResource } from '../../support/use-resource.ts';

// A quick-mode job is cut in chunks of QUICK_CHUNK_SIZE (not CHUNK_SIZE), each flushed in one
// transaction: several such chunks on real workers must still give every row exactly one verdict,
// the right counts and the right charge.

const dns = useResource(() =>
  startDnsServer(
    mxZones({ 'qa.test': '127.0.0.2', 'qb.test': '127.0.0.3', 'qc.test': '127.0.0.4' }),
  ),
);
const h = useHarness(() => ({ DNS_SERVERS: dns.address, CHUNK_SIZE: '2', QUICK_CHUNK_SIZE: '4' }), {
  workers: true,
});

describe('a quick-mode job larger than QUICK_CHUNK_SIZE', () => {
  it('when 18 rows (15 unique addresses over 3 domains, 2 repeats, 1 invalid) are split into quick chunks of 4, then every row gets one verdict and 15 credits are charged', async () => {
    const acct = await h.account('business', 100);
    const call = api(h.url, acct.live);
    const unique = Array.from({ length: 15 }, (_, i) => `u${i}@q${'abc'[i % 3]}.test`);
    const emails = [...unique, 'u3@QA.test', 'u4@QB.test', 'not-an-address'];
    const created = await call('POST', '/v1/jobs', { emails, quick_mode: true });
    expect(created.status, created.text).toBe(201);
    const done = await jobWhen(call, created.json.id as string);
    expect(done).toMatchObject({
      total: 18,
      unique: 16,
      processed: 18,
      counts: { deliverable: 17, undeliverable: 1, risky: 0, unknown: 0 },
      credits_charged: 15,
    });

    // Planned by the quick size: 16 unique rows (the invalid one included) in chunks of 4.
    const job = await h.deps.db.prisma.job.findUniqueOrThrow({ where: { id: done.id } });
    expect(chunkSizeOf(h.deps.config.jobs, job)).toBe(4);
    expect(await chunkStarts(h.deps.db, job.id, chunkSizeOf(h.deps.config.jobs, job))).toHaveLength(
      4,
    );

    const page = await call('GET', `/v1/jobs/${done.id}/results?limit=100`);
    expect(page.status, page.text).toBe(200);
    const results = page.json.data as { email: string; status: string }[];
    expect(results.map((r) => r.email)).toEqual(emails);
    expect(results.filter((r) => r.status === 'deliverable')).toHaveLength(17);
  });
});
