import { describe, expect, it } from 'vitest';
import { startMailWorld } from '../../support/mail-world.ts';
import { api, errorBytes, waitFor, useHarness } from '../../support/harness.ts';
import { useResource } from '../../support/use-resource.ts';

// DELETE of a job while it is being verified for real: real DNS and SMTP servers on loopback,
// real workers. One domain answers at once, so its chunks are written early; the other answers
// every command after a second, so its chunks are still probing when the job is deleted.

const FAST = 'del-fast.test';
const SLOW = 'del-slow.test';
const LATENCY_MS = 1000;
const fastEmails = Array.from({ length: 20 }, (_, i) => `${i % 5 === 3 ? 'u' : 'f'}${i}@${FAST}`);
const slowEmails = Array.from({ length: 40 }, (_, i) => `s${i}@${SLOW}`);

const mail = useResource(() =>
  startMailWorld(
    [
      {
        host: '127.0.0.91',
        behaviour: {
          // f<even>: exists; f<odd>: 550 user unknown; u*: a temporary 451 (verdict unknown).
          rcpt: (address) => {
            const local = address.slice(0, address.indexOf('@'));
            if (local.startsWith('u')) return { code: 451, message: '4.3.0 Try again later' };
            if (local.startsWith('f') && Number(local.slice(1)) % 2 === 0)
              return { code: 250, message: '2.1.5 Ok' };
            return { code: 550, message: '5.1.1 User unknown' };
          },
        },
      },
      { host: '127.0.0.92', behaviour: { acceptAll: true, latencyMs: LATENCY_MS } },
    ],
    { [FAST]: '127.0.0.91', [SLOW]: '127.0.0.92' },
  ),
);
const h = useHarness(
  () => ({
    ...mail.env,
    CHUNK_SIZE: '10',
    // Every chunk at once: the fast ones are never stuck behind slow ones.
    WORKER_CONCURRENCY: '6',
    SMTP_MAX_CONNECTIONS_PER_HOST: '20',
    SMTP_TIMEOUT_MS: '20000',
    // A temporary answer is a verdict (unknown) at once, not a retry minutes later.
    SMTP_RETRY_ATTEMPTS: '0',
  }),
  { workers: true },
);

/** The body without its timestamp: the rest must match byte for byte. */

describe('DELETE /v1/jobs/{id} of a running live job', () => {
  it('when a job is deleted mid-run, then it is 404 at once, its probes stop, its data is purged and only what was verified is paid', async () => {
    const acct = await h.account('business', 1000);
    const call = api(h.url, acct.live);
    const slow = mail.smtp.servers[1]!;
    // Input order mixes the domains; the work runs a domain at a time, fast one first.
    const emails = slowEmails.flatMap((s, i) => (i % 2 === 0 ? [s, fastEmails[i / 2]!] : [s]));
    expect(emails).toHaveLength(60);

    const created = await call('POST', '/v1/jobs', { emails, smtp: true });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ unique: 60, credits_reserved: 60, mode: 'live' });
    const jobId: string = created.json.id;

    // The fast domain's two chunks are written; the slow domain's four are probing: a session
    // of 10 addresses takes ~14 replies at 1 s each. Its answers are kept as they come (issue
    // 13.5), so a few of its addresses may have results already.
    const running = await waitFor(
      async () => {
        const job = (await call('GET', `/v1/jobs/${jobId}`)).json;
        return job?.status === 'processing' &&
          job.counts.deliverable + job.counts.undeliverable + job.counts.unknown ===
            fastEmails.length &&
          slow.rcpts.length >= 4
          ? job
          : null;
      },
      { what: 'the fast domain verified while the slow one is probing', timeoutMs: 30_000 },
    );
    // What was verified: every address of the fast domain, and slow ones the server answered.
    const results = (await call('GET', `/v1/jobs/${jobId}/results?limit=100`)).json.data;
    const fastResults = results.filter((r: { email: string }) => r.email.endsWith(`@${FAST}`));
    expect(fastResults.map((r: { email: string }) => r.email).sort()).toEqual(
      [...fastEmails].sort(),
    );
    for (const r of results.filter((x: { email: string }) => !x.email.endsWith(`@${FAST}`))) {
      expect(slow.rcpts).toContain(r.email);
      expect(r.status).toBe('risky'); // the slow domain accepts everyone: catch-all
    }
    const unknown = fastEmails.filter((e) => e.startsWith('u')).length;
    expect(unknown).toBe(4);
    expect(running.counts).toMatchObject({ deliverable: 8, undeliverable: 8, unknown });
    expect(slow.openSessions).toBeGreaterThan(0);

    const before = await h.deps.db.prisma.account.findUniqueOrThrow({ where: { id: acct.id } });
    expect(before.creditBalance).toBe(1000 - 60);

    const del = await call('DELETE', `/v1/jobs/${jobId}`);
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    const rcptsAtDelete = slow.rcpts.length;
    /** Slow addresses the server had been asked about when the job was deleted. */
    const askedAtDelete = new Set(
      slow.rcpts.slice(0, rcptsAtDelete).filter((r) => r.startsWith('s')),
    );

    // From now on the job is absent, exactly like one that never existed.
    const gone = await call('GET', `/v1/jobs/${jobId}`);
    const never = await call('GET', `/v1/jobs/job_${'Z'.repeat(24)}`);
    expect(gone.status).toBe(404);
    expect(gone.json.error.code).toBe('NOT_FOUND');
    expect(errorBytes(gone.text)).toBe(errorBytes(never.text));
    expect(gone.headers.get('content-type')).toBe(never.headers.get('content-type'));
    expect((await call('GET', `/v1/jobs/${jobId}/results`)).status).toBe(404);
    expect((await call('DELETE', `/v1/jobs/${jobId}`)).status).toBe(404);

    // The probes stop: the slow server's sessions are cut (each would run ~14 s otherwise)...
    await waitFor(async () => slow.openSessions === 0, {
      what: 'the deleted job’s SMTP sessions closed',
      timeoutMs: 5000,
    });
    // ...and no RCPT arrives any more: the count stays the same across 2.5 s of polls. A
    // probe still running would send one a second.
    let last = slow.rcpts.length;
    let since = Date.now();
    await waitFor(
      async () => {
        if (slow.rcpts.length !== last) {
          last = slow.rcpts.length;
          since = Date.now();
        }
        return Date.now() - since >= 2500;
      },
      { what: 'no more RCPT for the deleted job', timeoutMs: 8000, intervalMs: 250 },
    );
    // At most the one RCPT per session that was already on its way when the watch fired.
    expect(slow.rcpts.length - rcptsAtDelete).toBeLessThanOrEqual(4);
    expect(slow.rcpts.filter((r) => r.startsWith('s')).length).toBeLessThan(slowEmails.length);
    expect(slow.dataCommands).toBe(0);

    // Rows and results go in the background.
    await waitFor(
      async () =>
        (await h.deps.db.prisma.result.count({ where: { job: { id: jobId } } })) === 0 &&
        (await h.deps.db.prisma.jobRow.count({ where: { job: { id: jobId } } })) === 0,
      { what: 'the deleted job purged' },
    );

    // The wallet: reserved 60, charged what was verified and billable, the rest refunded once.
    // Verified: the fast domain (its `unknown` refunded) and the slow answers kept before the
    // delete, no more than the slow server had been asked.
    const job = await h.deps.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(job).toMatchObject({ deliverable: 8, undeliverable: 8, unknown });
    expect(job.risky).toBeLessThanOrEqual(askedAtDelete.size);
    const charged = fastEmails.length - unknown + job.risky;
    expect(job.processed).toBe(fastEmails.length + job.risky);
    expect(job).toMatchObject({
      status: 'cancelled',
      creditsReserved: 60,
      creditsCharged: charged,
    });
    expect(job.deletedAt).not.toBeNull();
    const jobLedger = await h.deps.db.prisma.creditLedger.findMany({
      where: { jobId },
      orderBy: { id: 'asc' },
    });
    expect(jobLedger.map((l) => [l.kind, l.amount])).toEqual([
      ['reserve', -60],
      ['refund', 60 - charged],
    ]);
    const ledger = await h.deps.db.prisma.creditLedger.findMany({
      where: { accountId: acct.id },
      orderBy: { id: 'asc' },
    });
    let sum = 0;
    for (const line of ledger) {
      sum += line.amount;
      expect(line.balanceAfter).toBe(sum);
    }
    const after = await h.deps.db.prisma.account.findUniqueOrThrow({ where: { id: acct.id } });
    expect(after.creditBalance).toBe(sum);
    expect(after.creditBalance).toBe(1000 - charged);
    expect((await call('GET', '/v1/account')).json.remaining_credits).toBe(1000 - charged);
  });
});
