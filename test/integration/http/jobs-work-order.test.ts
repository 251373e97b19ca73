import { describe, expect, it } from 'vitest';
import {
  chunkStarts,
  pendingRowsInLegacyRange,
  pendingRowsInRange,
} from '../../../src/data/results.repository.ts';
import { ingestJob } from '../../../src/domain/jobs/ingest-job.ts';
import { chunkSizeOf, planJob } from '../../../src/domain/jobs/plan-job.ts';
import { processChunk } from '../../../src/domain/jobs/process-chunk.ts';
import { catalog } from '../../../src/queue/catalog.ts';
import { mxZones, startDnsServer } from '../../support/dns-server.ts';
import { api, jobWhen, useHarness, type Harness } from '../../support/harness.ts';
import { useResource } from '../../support/use-resource.ts';

// The work order (issue 13): a job's unique rows in (hashtext(domain), idx) order, the key of
// job_rows_work_order_idx, cut into chunks at every QUICK_CHUNK_SIZE-th row. Two domains whose
// hashes are equal share a group; chunk tasks queued by the release before carry (domain, idx)
// bounds and must still be served.

/** Two domains of one hashtext (found by a search of c1.test … c200000.test; checked below). */
const COLLIDING = ['c141595.test', 'c171642.test'] as const;
const OTHERS = ['qa.test', 'qb.test', 'zz.test'] as const;
const DOMAINS = [...COLLIDING, ...OTHERS];

/** 30 rows, the domains interleaved in the input, 2 repeats and an invalid address: 28 unique. */
function interleaved(tag: string): string[] {
  const unique = Array.from({ length: 27 }, (_, i) => `${tag}${i}@${DOMAINS[i % DOMAINS.length]}`);
  const shouted = unique[0]!.replace(/@.*/, (d) => d.toUpperCase());
  return [...unique, shouted, `not-an-address-${tag}`, unique[6]!];
}

/** The job of `interleaved` at its end: one verdict a row, the 27 valid unique ones charged. */
const ENDED = {
  total: 30,
  unique: 28,
  processed: 30,
  counts: { deliverable: 29, undeliverable: 1, risky: 0, unknown: 0 },
  credits_charged: 27,
};

const dns = useResource(() =>
  startDnsServer(mxZones(Object.fromEntries(DOMAINS.map((d) => [d, '127.0.0.2'])))),
);

/** A quick-mode job of `emails`, ingested (its rows stored) but not planned. */
async function ingestedJob(h: Harness, emails: string[]) {
  const acct = await h.account('business', 1000);
  const call = api(h.url, acct.live);
  const created = await call('POST', '/v1/jobs', { emails, quick_mode: true });
  expect(created.status, created.text).toBe(201);
  const jobId = created.json.id as string;
  const ingested = await ingestJob(h.deps, jobId);
  expect(ingested.live).toBe(true);
  const job = await h.deps.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
  return { call, job, size: chunkSizeOf(h.deps.config.jobs, job), order: ingested.order };
}

async function uniqueRows(h: Harness, seq: number) {
  const { rows } = await h.deps.db.pool.query<{ idx: number; domain: string; hash: number }>(
    `SELECT idx, domain, hashtext(domain) AS hash FROM job_rows
      WHERE job_seq = $1 AND duplicate_of IS NULL`,
    [seq],
  );
  return rows;
}

describe('a job whose domains collide in hashtext and interleave in its input', () => {
  const h = useHarness(() => ({ DNS_SERVERS: dns.address, QUICK_CHUNK_SIZE: '4' }));

  it('when it is cut in chunks of 4, then the chunks hold every unique row once, in (hash, idx) order, and the job ends with one verdict a row', async () => {
    const hashes = await h.deps.db.pool.query<{ a: number; b: number }>(
      'SELECT hashtext($1) AS a, hashtext($2) AS b',
      [...COLLIDING],
    );
    expect(hashes.rows[0]!.a).toBe(hashes.rows[0]!.b);

    const emails = interleaved('w');
    const { call, job, size, order } = await ingestedJob(h, emails);
    expect(size).toBe(4);
    const unique = await uniqueRows(h, job.seq);
    expect(unique).toHaveLength(28);

    const starts = await chunkStarts(h.deps.db, job.id, size);
    expect(starts).toHaveLength(7);
    // The ingest learnt the same bounds as it wrote the rows (planJob takes them, no read back).
    expect(order?.startsEvery(size)).toEqual(starts);
    expect(order?.startsEvery(3)).toEqual(await chunkStarts(h.deps.db, job.id, 3));
    // planJob's first chunk starts at the job's start: the same rows as from its first key.
    expect(await pendingRowsInRange(h.deps.db, job.id, null, starts[1]!)).toEqual(
      await pendingRowsInRange(h.deps.db, job.id, starts[0]!, starts[1]!),
    );
    const chunks = await Promise.all(
      starts.map((from, i) => pendingRowsInRange(h.deps.db, job.id, from, starts[i + 1] ?? null)),
    );
    expect(chunks.map((c) => c.length)).toEqual([4, 4, 4, 4, 4, 4, 4]);
    // Work order: by the domain's hash, then input order; the colliding domains share a group
    // (their rows alternate in it), and that group is cut between chunks.
    const hashOf = new Map(unique.map((r) => [r.domain, r.hash]));
    const expected = unique
      .map((r) => [hashOf.get(r.domain)!, r.idx] as const)
      .sort((x, y) => x[0] - y[0] || x[1] - y[1])
      .map(([, idx]) => idx);
    expect(chunks.flat().map((r) => r.idx)).toEqual(expected);
    const shared = chunks.map((c) =>
      c.filter((r) => (COLLIDING as readonly string[]).includes(r.domain)),
    );
    expect(shared.filter((c) => c.length > 0).length).toBeGreaterThan(1);
    expect(new Set(shared.flat().map((r) => r.domain))).toEqual(new Set(COLLIDING));
    // Each chunk starts where its bound says: its first row is its `from`.
    chunks.forEach((c, i) => {
      expect([hashOf.get(c[0]!.domain), c[0]!.idx]).toEqual(starts[i]);
    });

    // planJob with the ingest's order queues those bounds, the first chunk from the job's start.
    expect(await planJob(h.deps, job.id, order)).toBe(7);
    const queued = await Promise.all(
      starts.map((_, chunk) =>
        h.deps.queues
          .queue('chunks')
          .getJob(catalog['validate-chunk'].jobId({ jobId: job.id, chunk })),
      ),
    );
    expect(queued.map((t) => t?.data)).toEqual(
      starts.map((from, chunk) => ({
        jobId: job.id,
        chunk,
        ...(chunk > 0 ? { from } : {}),
        to: starts[chunk + 1] ?? null,
      })),
    );

    // Run by real workers: the chunks queued above (the ingest task queued by POST finds the job
    // ingested, and its plan by chunkStarts has the same chunk ids: it adds nothing).
    h.startWorkers();
    const done = await jobWhen(call, job.id);
    expect(done).toMatchObject(ENDED);
    const { rows } = await h.deps.db.pool.query<{ n: number; rows: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT idx)::int AS rows FROM results WHERE job_seq = $1',
      [job.seq],
    );
    expect(rows[0]).toEqual({ n: 28, rows: 28 });
  });
});

describe('chunk tasks queued by the release before the hashed work order', () => {
  const h = useHarness(() => ({ DNS_SERVERS: dns.address, QUICK_CHUNK_SIZE: '4' }));

  it('when their bounds are [domain, idx], then each chunk is served the rows that release gave it, no row twice, none lost, and the job ends', async () => {
    const { call, job, size } = await ingestedJob(h, interleaved('o'));
    // The release before: its chunkStarts (work order (domain, idx)) and the payloads planJob made.
    const { rows: oldStarts } = await h.deps.db.pool.query<{ domain: string; idx: number }>(
      `SELECT domain, idx FROM (
         SELECT domain, idx, row_number() OVER (ORDER BY domain, idx) - 1 AS rn
           FROM job_rows WHERE job_seq = $1 AND duplicate_of IS NULL) s
        WHERE rn % $2 = 0 ORDER BY domain, idx`,
      [job.seq, size],
    );
    expect(oldStarts).toHaveLength(7);
    const payloads = oldStarts.map((s, chunk) => {
      const next = oldStarts[chunk + 1];
      // As the worker reads a task: through the catalog's schema.
      return catalog['validate-chunk'].payload.parse({
        jobId: job.id,
        chunk,
        from: [s.domain, s.idx],
        to: next ? [next.domain, next.idx] : null,
      });
    });

    // The rows the release before read for each chunk (its pendingRowsInRange, before results).
    const { rows: ordered } = await h.deps.db.pool.query<{ idx: number }>(
      `SELECT idx FROM job_rows WHERE job_seq = $1 AND duplicate_of IS NULL ORDER BY domain, idx`,
      [job.seq],
    );
    const oldChunks = payloads.map((_, i) =>
      ordered.slice(i * size, (i + 1) * size).map((r) => r.idx),
    );
    const served = await Promise.all(
      oldStarts.map((s, i) => {
        const next = oldStarts[i + 1];
        return pendingRowsInLegacyRange(
          h.deps.db,
          job.id,
          [s.domain, s.idx],
          next ? [next.domain, next.idx] : null,
        );
      }),
    );
    expect(served.map((c) => c.map((r) => r.idx))).toEqual(oldChunks);
    expect(new Set(served.flat().map((r) => r.idx)).size).toBe(28);

    // Processed by the new release's chunk code, one task after the other.
    let written = 0;
    for (const payload of payloads) written += (await processChunk(h.deps, payload)).written;
    expect(written).toBe(28);
    expect(await jobWhen(call, job.id)).toMatchObject(ENDED);
  });

  it('when a task mixes the two orders, then the catalog refuses it', () => {
    const mixed = { jobId: 'job_x', chunk: 0, from: ['qa.test', 3], to: [12, 5] };
    expect(catalog['validate-chunk'].payload.safeParse(mixed).success).toBe(false);
    const hashed = { ...mixed, from: [-7, 3] };
    expect(catalog['validate-chunk'].payload.safeParse(hashed).success).toBe(true);
  });
});

describe('a quick-mode chunk that runs again after its verdicts were written', () => {
  const h = useHarness(() => ({ DNS_SERVERS: dns.address, QUICK_CHUNK_SIZE: '4' }));

  it('when it runs twice (its worker died after the flush), then it reads its rows again but keeps the first verdicts, counts each row once, and the job ends exactly', async () => {
    const { call, job, size } = await ingestedJob(h, interleaved('r'));
    const starts = await chunkStarts(h.deps.db, job.id, size);
    const payloads = starts.map((from, chunk) =>
      catalog['validate-chunk'].payload.parse({
        jobId: job.id,
        chunk,
        from,
        to: starts[chunk + 1] ?? null,
      }),
    );
    const counted = async () =>
      (await h.deps.db.pool.query('SELECT processed FROM jobs WHERE id = $1', [job.id])).rows[0]
        .processed as number;
    const results = async () =>
      (
        await h.deps.db.pool.query<{ idx: number; reason: string }>(
          'SELECT idx, reason FROM results WHERE job_seq = $1 ORDER BY idx',
          [job.seq],
        )
      ).rows;

    expect((await processChunk(h.deps, payloads[0]!)).written).toBe(4);
    const first = await results();
    expect(first).toHaveLength(4);
    const processed = await counted();
    // Marks the first run's verdict of one row: the second run must leave it as it is.
    await h.deps.db.pool.query(
      `UPDATE results SET reason = 'first run' WHERE job_seq = $1 AND idx = $2`,
      [job.seq, first[0]!.idx],
    );

    // Its 4 rows checked again and handed to the flush, which keeps none of them.
    expect((await processChunk(h.deps, payloads[0]!)).written).toBe(4);
    const again = await results();
    expect(again.map((r) => r.idx)).toEqual(first.map((r) => r.idx));
    expect(again[0]!.reason).toBe('first run');
    expect(await counted()).toBe(processed);

    for (const payload of payloads.slice(1)) await processChunk(h.deps, payload);
    expect(await jobWhen(call, job.id)).toMatchObject(ENDED);
  });
});
