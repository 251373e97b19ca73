import { beforeAll, describe, expect, it } from 'vitest';
import { api, errorBytes, waitFor, useHarness, useAccount } from '../../support/harness.ts';

let aliceJob: string;

const h = useHarness({}, { workers: true });
const alice = useAccount(h, 'business', 100);
const bob = useAccount(h, 'business', 100);
beforeAll(async () => {
  const created = await api(h.url, alice.test)('POST', '/v1/jobs', {
    emails: ['a@example.com', 'b@example.com'],
  });
  aliceJob = created.json.id;
  await waitFor(
    async () =>
      (await api(h.url, alice.test)('GET', `/v1/jobs/${aliceJob}`)).json.status === 'completed',
  );
});

const routes = (id: string) =>
  [
    ['GET', `/v1/jobs/${id}`],
    ['GET', `/v1/jobs/${id}/results`],
    ['GET', `/v1/jobs/${id}/results.csv`],
    ['GET', `/v1/jobs/${id}/webhooks`],
    ['DELETE', `/v1/jobs/${id}`],
  ] as const;

/** The body without its timestamp: the rest must match byte for byte. */

describe('tenancy: another account’s job is exactly as absent as a job that never existed', () => {
  for (const [method, path] of routes('JOB')) {
    it(`when the key belongs to another account, then ${method} ${path.replace('JOB', ':id')} is 404 with the same bytes as a missing job`, async () => {
      const asBob = api(h.url, bob.live);
      const foreign = await asBob(method, path.replace('JOB', aliceJob));
      const missing = await asBob(method, path.replace('JOB', 'job_doesnotexist000000000000'));
      expect(foreign.status).toBe(404);
      expect(missing.status).toBe(404);
      expect(foreign.json.error.code).toBe('NOT_FOUND');
      expect(errorBytes(foreign.text)).toBe(errorBytes(missing.text));
      expect(foreign.headers.get('content-type')).toBe(missing.headers.get('content-type'));
    });
  }

  it('when another account lists jobs, then it never sees them, and starting_after on a foreign id is 404', async () => {
    const asBob = api(h.url, bob.live);
    const list = await asBob('GET', '/v1/jobs');
    expect(list.status).toBe(200);
    expect(list.json.data.map((j: { id: string }) => j.id)).not.toContain(aliceJob);
    const paged = await asBob('GET', `/v1/jobs?starting_after=${aliceJob}`);
    expect(paged.status).toBe(404);
  });

  it('after all that, the owner still sees the job whole (the foreign DELETE touched nothing)', async () => {
    const asAlice = api(h.url, alice.test);
    const job = await asAlice('GET', `/v1/jobs/${aliceJob}`);
    expect(job.status).toBe(200);
    expect(job.json).toMatchObject({ status: 'completed', total: 2, processed: 2 });
    const results = await asAlice('GET', `/v1/jobs/${aliceJob}/results`);
    expect(results.json.data).toHaveLength(2);
  });

  it('when the owner deletes the job, then it is 204 and afterwards 404 on every route, its rows purged', async () => {
    const asAlice = api(h.url, alice.test);
    const del = await asAlice('DELETE', `/v1/jobs/${aliceJob}`);
    expect(del.status).toBe(204);
    for (const [method, path] of routes(aliceJob)) {
      expect((await asAlice(method, path)).status, `${method} ${path}`).toBe(404);
    }
    await waitFor(
      async () => (await h.deps.db.prisma.jobRow.count({ where: { job: { id: aliceJob } } })) === 0,
      {
        what: 'rows purged',
      },
    );
    expect(await h.deps.db.prisma.result.count({ where: { job: { id: aliceJob } } })).toBe(0);
  });
});
