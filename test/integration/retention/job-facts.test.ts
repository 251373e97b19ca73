import { describe, expect, it } from 'vitest';
import { api, jobWhen, useAccount, useHarness } from '../../support/harness.ts';

// What GET /v1/enrichment knows from a job is read from the job itself (its rows and results),
// not from a copy (issue 13): the latest verdict of each address wins, among the account's live
// jobs and its synchronous validations; a job's verdicts are dated by its end; they go with the
// job (deleted or expired). Test keys: the local part decides the verdict (API.md, test mode).

const h = useHarness({ RESULTS_RETENTION_DAYS: '30' }, { workers: true });
const sql = <T = Record<string, unknown>>(text: string, ...params: unknown[]) =>
  h.deps.db.pool.query(text, params).then((r) => r.rows as T[]);

async function endedJob(call: ReturnType<typeof api>, emails: string[]) {
  const created = await call('POST', '/v1/jobs', { emails, quick_mode: true });
  expect(created.status, created.text).toBe(201);
  return jobWhen(call, created.json.id as string) as Promise<{ id: string; completed_at: string }>;
}

const enrich = async (call: ReturnType<typeof api>, email: string) => {
  const res = await call('GET', `/v1/enrichment?email=${encodeURIComponent(email)}`);
  expect(res.status, res.text).toBe(200);
  return res.json;
};

describe("an account's jobs and synchronous validations", () => {
  const acct = useAccount(h);
  const call = () => api(h.url, acct.test);

  it('when a job ends, then enrichment answers for its addresses from it, dated by its end, and counts each address of the domain once by its latest verdict', async () => {
    const first = await endedJob(call(), [
      'deliverable@one.test',
      'undeliverable@one.test',
      'risky@one.test',
      'risky@one.test', // a duplicate: one address
      'not an address',
    ]);
    // The domain's case is not the address's: `risky@ONE.test` is the job's `risky@one.test`.
    const fact = await enrich(call(), 'risky@ONE.test');
    expect(fact).toMatchObject({
      status: 'found',
      email: 'risky@one.test',
      result: { status: 'risky', source: 'job', validated_at: first.completed_at },
      domain: {
        name: 'one.test',
        known_addresses: { deliverable: 1, undeliverable: 1, risky: 1, unknown: 0 },
        last_validated_at: first.completed_at,
      },
    });
    // A local part keeps its case: `Risky@one.test` is another address, never checked.
    expect((await enrich(call(), 'Risky@one.test')).status).toBe('not_found');
    expect((await enrich(call(), 'nobody@one.test')).status).toBe('not_found');
  });

  it('when the same address is validated again, synchronously and then by a second job, then the latest verdict answers and the domain still counts it once', async () => {
    const sync = await call()('POST', '/v1/validate', {
      email: 'unknown@one.test',
      quick_mode: true,
    });
    expect(sync.status, sync.text).toBe(200);
    const validated = await enrich(call(), 'unknown@one.test');
    expect(validated.result).toMatchObject({ status: 'unknown', source: 'validate' });
    expect(validated.domain.known_addresses).toEqual({
      deliverable: 1,
      undeliverable: 1,
      risky: 1,
      unknown: 1,
    });

    // The second job checks `unknown@` (now by a job) and one new address.
    const second = await endedJob(call(), ['unknown@one.test', 'catchall@one.test']);
    const again = await enrich(call(), 'unknown@one.test');
    expect(again.result).toMatchObject({
      status: 'unknown',
      source: 'job',
      validated_at: second.completed_at,
    });
    const counts = again.domain.known_addresses as Record<string, number>;
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(5);
    expect(again.domain.last_validated_at).toBe(second.completed_at);
  });

  it('when the newer job is deleted, then its addresses answer from the older sources again, and the ones only it knew are not found', async () => {
    const jobs = (await call()('GET', '/v1/jobs')).json.data as { id: string }[];
    const newest = jobs[0]!.id;
    expect((await call()('DELETE', `/v1/jobs/${newest}`)).status).toBe(204);
    expect((await enrich(call(), 'unknown@one.test')).result).toMatchObject({
      source: 'validate',
    });
    expect((await enrich(call(), 'catchall@one.test')).status).toBe('not_found');
  });

  it("when another account or the other key mode asks, then none of this account's facts answer", async () => {
    const other = await h.account('business', 100);
    expect((await enrich(api(h.url, other.test), 'risky@one.test')).status).toBe('not_found');
    expect((await enrich(api(h.url, acct.live), 'risky@one.test')).status).toBe('not_found');
  });
});

describe("a job's facts go with the job", () => {
  const acct = useAccount(h);
  const call = () => api(h.url, acct.test);

  it("when its expires_at has passed, then its addresses are not found, even where the account's retention would keep a fact longer", async () => {
    const job = await endedJob(call(), ['deliverable@two.test', 'risky@two.test']);
    expect((await enrich(call(), 'risky@two.test')).status).toBe('found');
    // Created when the default was 10 days, ended 11 days ago: expired, though the retention in
    // force (30 days) would keep an 11-day-old fact.
    await sql(
      `UPDATE jobs SET retention_days = 10, completed_at = completed_at - interval '11 days',
                       expires_at = completed_at - interval '1 day',
                       created_at = created_at - interval '11 days' WHERE id = $1`,
      job.id,
    );
    expect((await enrich(call(), 'risky@two.test')).status).toBe('not_found');
    // The purge then removes its rows (test/integration/retention/retention.test.ts; not run
    // here: test files share one database, and a purge takes every file's expired jobs).
    expect((await call()('GET', `/v1/jobs/${job.id}`)).status).toBe(404);
  });

  it("when a job's end is older than the account's retention in force (lowered since), then its addresses are not found while the job itself is still kept", async () => {
    const job = await endedJob(call(), ['deliverable@three.test']);
    await sql(
      `UPDATE jobs SET completed_at = completed_at - interval '40 days',
                       expires_at = now() + interval '1 day' WHERE id = $1`,
      job.id,
    );
    expect((await call()('GET', `/v1/jobs/${job.id}`)).status).toBe(200);
    expect((await enrich(call(), 'deliverable@three.test')).status).toBe('not_found');
  });
});
